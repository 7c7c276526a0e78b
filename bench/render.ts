// `npm run bench:render -- --json FILE`: the classroom app's board renderer in headless Chromium,
// over a board of 10,000 strokes: time to paint one remote stroke, and frame times while panning.
import { join } from 'node:path';
import { build } from 'esbuild';
import { servePages } from '../harness/browserBundle.js';
import { launchChromium } from '../harness/chromium.js';
import { benchArgs, printTable, round, writeJson } from './support/report.js';

const args = benchArgs({ strokes: 10_000, panFrames: 120, remote: 30 });
const root = process.cwd();

const bundle = await build({
  entryPoints: [join(root, 'bench/render-page.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
  write: false, logLevel: 'silent', alias: { peerclass: join(root, 'src/index.ts') },
});
const script = bundle.outputFiles[0]?.text ?? '';
const server = await servePages({
  '/index.html': '<!doctype html><html><body style="margin:0"><script type="module" src="/bench.js"></script></body></html>',
  '/bench.js': script,
});
const browser = await launchChromium();
type RunRenderBench = (s: number, p: number, r: number, w: number, h: number, dpr: number) => Promise<Record<string, number>>;
async function measure(viewport: { width: number; height: number }, phone: boolean): Promise<Record<string, number>> {
  const page = await browser.newPage({ viewport, ...(phone ? { deviceScaleFactor: 3, isMobile: true, hasTouch: true } : {}) });
  try {
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => 'runRenderBench' in globalThis);
    const result = await page.evaluate(
      ([s, p, r, w, h]) => (globalThis as unknown as { runRenderBench: RunRenderBench }).runRenderBench(s, p, r, w, h, devicePixelRatio),
      [args.strokes, args.panFrames, args.remote, viewport.width, viewport.height] as const,
    );
    return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, round(v)]));
  } finally {
    await page.close();
  }
}

try {
  const desktop = await measure({ width: 1280, height: 800 }, false);
  // A student's phone: 375×812 CSS pixels at 3 device pixels each (a 1125×2436 canvas), touch.
  const phone = await measure({ width: 375, height: 812 }, true);
  printTable('board rendering (Chromium, software canvas, whole board visible)', ['metric', 'desktop 1280×800', 'phone 375×812 @3x'],
    Object.keys(desktop).map((k) => [k, desktop[k]!, phone[k] ?? '']));
  writeJson(args.json, { ...desktop, phone: { remoteStrokePaintMs: phone.remoteStrokePaintMs, panFrameP95Ms: phone.panFrameP95Ms, ...phone } });
} finally {
  await browser.close();
  await server.close();
}
