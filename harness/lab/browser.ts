/** Chromium inside a lab host's namespace, and class pages (harness/lab/labPage.ts) in it. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'esbuild';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.js';
import type { Lab, LabHost } from './lab.js';
import type { LabStartOptions } from './labPage.js';
import { tool } from './sh.js';

/**
 * Launches Chromium in `host`'s namespace: Playwright's executablePath is a wrapper that runs
 * `ip netns exec NS chromium "$@"` (exec all the way, so Playwright's PID and pipes are Chromium's own).
 * Closed by {@link Lab.close}; whatever survives is killed when the namespace is deleted.
 */
export async function launchChromiumIn(lab: Lab, host: LabHost): Promise<Browser> {
  const wrapper = join(lab.dir, `chromium-${host.label}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${tool('ip')} netns exec ${host.ns} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({ executablePath: wrapper, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  lab.onClose(() => browser.close());
  return browser;
}

/**
 * The lab's page origin. Pages come from Playwright's request interception, not from a server: a host
 * namespace cannot reach the test process's loopback, and `localhost` is a secure context (WebCrypto).
 */
const ORIGIN = 'http://localhost';

let pageScript: Promise<string> | undefined;
/** harness/lab/labPage.ts as one browser module, built once per process (no source map: a loaded machine parses it faster). */
function labPageScript(): Promise<string> {
  pageScript ??= build({
    entryPoints: ['harness/lab/labPage.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
    write: false, logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
  return pageScript;
}

/** Opens a page that can run a Classroom (`window.labStart`), in a fresh context of `browser`. */
export async function openLabPage(browser: Browser): Promise<Page> {
  return openScriptPage(browser, await labPageScript(), 'labStart');
}

/**
 * Opens a page in a fresh context of `browser` that runs `script` (an ES module bundle) from `http://localhost`
 * (request interception: a secure context, and no page server the namespaces would have to reach), and waits until
 * the script defined `window[readyGlobal]`.
 */
export async function openScriptPage(browser: Browser, script: string, readyGlobal: string): Promise<Page> {
  const context = await browser.newContext();
  await context.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/page.js') return route.fulfill({ contentType: 'text/javascript', body: script });
    return route.fulfill({ contentType: 'text/html', body: '<!doctype html><body><script type="module" src="/page.js"></script></body>' });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('lab page error', e));
  // Generous timeouts: several Chromiums start at once on a 2-core machine that others share.
  await page.goto(`${ORIGIN}/`, { timeout: 90_000 });
  await page.waitForFunction((name) => typeof (window as unknown as Record<string, unknown>)[name] === 'function', readyGlobal, { timeout: 90_000 });
  return page;
}

/** A class: pages by peer id, the teacher's first. */
export interface LabClass {
  classId: string;
  secret: string;
  teacherKey: string;
  pages: Map<string, Page>;
  /** Closes this class's browsers (the lab closes them anyway). */
  close(): Promise<void>;
}

/**
 * Opens a class on `relayUrl`: one browser per participant (each in its host's namespace), the teacher first.
 * `participants` maps a peer id to its host; the first entry is the teacher. `media` sizes every page's fake camera
 * and turns the media stats poll on (pages are data-only without it).
 */
export async function openLabClass(
  lab: Lab, relayUrl: string, participants: Array<[peerId: string, host: LabHost]>, media: Pick<LabStartOptions, 'video' | 'statsIntervalMs'> = {},
): Promise<LabClass> {
  const browsers = await Promise.all(participants.map(([, host]) => launchChromiumIn(lab, host)));
  const pages = await Promise.all(browsers.map((b) => openLabPage(b)));
  const teacherPage = pages[0]!;
  const teacherKey = await teacherPage.evaluate(() => window.labMakeIdentity());
  const cls: LabClass = {
    classId: 'lab-' + Math.random().toString(36).slice(2), secret: 'lab-secret-' + Math.random().toString(36).slice(2), teacherKey, pages: new Map(),
    close: async () => { await Promise.all(browsers.map((b) => b.close())); },
  };
  for (const [i, [peerId]] of participants.entries()) {
    const page = pages[i]!;
    cls.pages.set(peerId, page);
    await page.evaluate((o) => window.labStart(o), {
      url: relayUrl, classId: cls.classId, secret: cls.secret, teacherKey, name: peerId, peerId, teacher: i === 0, ...media,
    });
  }
  return cls;
}
