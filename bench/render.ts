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
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => 'runRenderBench' in globalThis);
  const result = await page.evaluate(
    ([s, p, r]) => (globalThis as unknown as { runRenderBench(s: number, p: number, r: number): Promise<Record<string, number>> }).runRenderBench(s, p, r),
    [args.strokes, args.panFrames, args.remote] as const,
  );
  const out = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, round(v)]));
  printTable('board rendering (Chromium, software canvas, 1280×800, whole board visible)', ['metric', 'value'], Object.entries(out).map(([k, v]) => [k, v]));
  writeJson(args.json, out);
} finally {
  await browser.close();
  await server.close();
}
