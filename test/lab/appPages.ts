/**
 * The built classroom app (demo/) in the network lab: the relay serves it from inside the lab's internet namespace
 * (`--static`), and Chromium in a host namespace opens it by URL, as a user would. Used by appOffline.test.ts.
 */
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { SERVER_ADDRESS, RELAY_PORT, type Lab, type LabHost } from './lab.js';
import type { LabCoturn } from './services.js';
import { tool } from './sh.js';

/** Where the lab's relay serves the app. Not a secure context by itself: see {@link launchAppChromium}. */
export const APP_ORIGIN = `http://${SERVER_ADDRESS}:${RELAY_PORT}`;

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).filter((n) => n !== 'dist' && n !== 'node_modules').map((n) => newestMtime(join(path, n))));
}

/**
 * A private copy of the built app in `lab.dir/app`. demo/dist is copied when it is newer than demo/ and src/ (the
 * rule bin/peerclass-start.js uses), else the app is built straight into the copy: never into demo/dist, which
 * test/demo/lesson.test.ts rebuilds (emptying the folder) and may be doing right now in another worker.
 */
export async function appCopy(lab: Lab): Promise<string> {
  const out = join(lab.dir, 'app');
  const dist = resolve('demo/dist');
  const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
  if (built >= Math.max(newestMtime(resolve('demo')), newestMtime(resolve('src')))) {
    cpSync(dist, out, { recursive: true });
    if (existsSync(join(out, 'index.html'))) return out;
  }
  process.env.PEERCLASS_VITE_LOG = 'silent';
  await build({ configFile: resolve('demo/vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  return out;
}

/** Our relay on {@link APP_ORIGIN} serving `staticDir`, handing out coturn's STUN/TURN (as services.startRelay does). */
export async function startAppRelay(lab: Lab, coturn: LabCoturn, staticDir: string): Promise<void> {
  const proc = lab.spawnIn(lab.internetNs, process.execPath, [
    resolve('bin/peerclass-signal.js'), '--host', SERVER_ADDRESS, '--port', String(RELAY_PORT), '--log-level', 'warn', '--static', staticDir,
    '--stun', coturn.stunUrl, '--turn', coturn.turnUdpUrl, '--turn', coturn.turnTcpUrl, '--turn-secret', coturn.secret, '--turn-ttl', '3600',
  ], { cwd: resolve('.') });
  try {
    await lab.waitForTcp(SERVER_ADDRESS, RELAY_PORT, lab.internetNs, 30_000, 'the relay');
  } catch (error) {
    throw new Error(`${(error as Error).message}; relay output: ${proc.output()}`);
  }
}

/**
 * Chromium in `host`'s namespace (wrapper as executablePath, like browser.ts). The app needs WebCrypto (teacher
 * signatures), which a plain-http origin other than localhost lacks, so the lab's app origin is declared secure
 * as an HTTPS deployment would be.
 */
export async function launchAppChromium(lab: Lab, host: LabHost): Promise<Browser> {
  const wrapper = join(lab.dir, `chromium-app-${host.label}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${tool('ip')} netns exec ${host.ns} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({
    executablePath: wrapper, headless: true, timeout: 60_000,
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${APP_ORIGIN}`],
  });
  lab.onClose(() => browser.close());
  return browser;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
};

/**
 * Serves the app's files from `staticDir` to `context` (the same files the relay serves) until the returned function
 * is called. This stands in for an offline cache: the app has no service worker, so without it a reload while the
 * link is down shows Chromium's "no internet" page. Only HTTP loads are served; WebRTC and the relay socket still
 * need the real network.
 */
export async function serveAppOffline(context: BrowserContext, staticDir: string): Promise<() => Promise<void>> {
  const pattern = `${APP_ORIGIN}/**`;
  await context.route(pattern, (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = normalize(join(staticDir, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(staticDir) || !existsSync(file) || statSync(file).isDirectory()) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
  return () => context.unroute(pattern);
}

/** What a user sees of the class: board items, chat messages, the status bar. Read from the DOM only. */
export interface AppView { strokes: number; chats: number; state: string; peers: number; text: string }

export async function viewOf(page: Page): Promise<AppView> {
  return await page.evaluate(() => {
    const status = document.querySelector('[data-testid=status]');
    return {
      strokes: Number(document.querySelector('[data-testid=board]')?.getAttribute('data-count') ?? -1),
      chats: document.querySelectorAll('[data-testid=chat-message]').length,
      state: status?.getAttribute('data-state') ?? '',
      peers: Number(status?.getAttribute('data-peers') ?? -1),
      text: status?.textContent ?? '',
    };
  });
}

/** The N of the status bar's "Offline — N changes waiting to sync", or 0. */
export function pendingOf(view: AppView): number {
  return Number(/(\d+) changes? waiting/.exec(view.text)?.[1] ?? 0);
}

/**
 * Starts an in-page watch that stamps `window.__reachedAt` (Date.now(), same clock as the test's) once the DOM shows
 * at least `strokes` board items and `chats` messages; checked every 50 ms so polling from the test does not blur it.
 */
export async function watchFor(page: Page, strokes: number, chats: number): Promise<void> {
  await page.evaluate(([s, c]) => {
    const w = window as unknown as { __reachedAt: number | null; __watch?: number };
    w.__reachedAt = null;
    if (w.__watch !== undefined) clearInterval(w.__watch);
    w.__watch = window.setInterval(() => {
      const n = Number(document.querySelector('[data-testid=board]')?.getAttribute('data-count') ?? -1);
      if (n >= s! && document.querySelectorAll('[data-testid=chat-message]').length >= c!) {
        w.__reachedAt = Date.now();
        clearInterval(w.__watch);
      }
    }, 50);
  }, [strokes, chats]);
}

export async function reachedAt(page: Page): Promise<number | null> {
  return await page.evaluate(() => (window as unknown as { __reachedAt: number | null }).__reachedAt);
}

/** A stroke drawn with the mouse on the board, as a user would (12 moves between the ends). */
export async function draw(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator('[data-testid=board-input]').first().boundingBox();
  if (box === null) throw new Error('board not visible');
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + from[0] + ((to[0] - from[0]) * i) / 12, box.y + from[1] + ((to[1] - from[1]) * i) / 12);
  await page.mouse.up();
}

/** Sends a chat message through the chat panel, then leaves the input (Escape) so board shortcuts work again. */
export async function chat(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid=chat-input]', text);
  await page.click('[data-testid=chat-send]');
  await page.keyboard.press('Escape');
}

/**
 * Records every RTCPeerConnection's state changes in the page (window.__pcLog), installed before the app loads. Only
 * observation, for the log: why convergence after a cut took as long as it did (a surviving connection, or a new one).
 */
export async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __pcLog: string[]; RTCPeerConnection: typeof RTCPeerConnection };
    w.__pcLog = [];
    const Original = w.RTCPeerConnection;
    let n = 0;
    w.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        super(config);
        const id = ++n;
        w.__pcLog.push(`${Date.now()} pc${id} new`);
        this.addEventListener('connectionstatechange', () => w.__pcLog.push(`${Date.now()} pc${id} ${this.connectionState}`));
        this.addEventListener('iceconnectionstatechange', () => w.__pcLog.push(`${Date.now()} pc${id} ice=${this.iceConnectionState}`));
      }
    };
  });
}

/** The page's peer-connection log since `since` (ms, test clock), as "+12.3s pc1 connected". */
export async function peerConnectionLog(page: Page, since: number): Promise<string> {
  const log = await page.evaluate(() => (window as unknown as { __pcLog?: string[] }).__pcLog ?? []);
  return log.map((line) => line.split(' ')).filter(([at]) => Number(at) >= since)
    .map(([at, ...rest]) => `+${((Number(at) - since) / 1000).toFixed(1)}s ${rest.join(' ')}`).join(', ');
}
