import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startRelay, type Relay } from '../../signaling/index.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { launchChromium } from '../helpers/chromium.js';
import { waitUntil } from '../helpers/processes.js';

let relay: Relay;
let pages: PageServer;
let browser: Browser;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  const script = await bundleForBrowser('test/fixtures/ywebrtcPage.ts');
  pages = await servePages({ '/index.html': '<script type="module" src="/page.js"></script>', '/page.js': script });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await relay?.close();
});

async function openPeer(room: string, password?: string): Promise<Page> {
  // Separate contexts: y-webrtc would otherwise sync same-origin tabs over BroadcastChannel instead of WebRTC.
  const page = await (await browser.newContext()).newPage();
  await page.goto(pages.url);
  await page.waitForFunction(() => typeof window.startYWebrtc === 'function');
  await page.evaluate(([url, r, p]) => window.startYWebrtc(url!, r!, p), [relay.url, room, password] as const);
  return page;
}

describe('y-webrtc compatibility', () => {
  for (const password of [undefined, 'class-secret']) {
    it(`two unmodified y-webrtc providers sync a Y.Doc in both directions through our relay${password ? ' (encrypted signaling)' : ''}`, async () => {
      const room = 'interop-' + Math.random().toString(36).slice(2);
      // One after the other, as a class fills: y-webrtc announces once per connect, and two pages starting in the same
      // instant race their subscribe against each other's announce (then neither dials; y-webrtc does not re-announce).
      const a = await openPeer(room, password);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const b = await openPeer(room, password);
      try {
        await a.waitForFunction(() => window.ywebrtc.webrtcPeers() === 1, undefined, { timeout: 30_000 });
        await b.waitForFunction(() => window.ywebrtc.webrtcPeers() === 1, undefined, { timeout: 30_000 });
        await a.evaluate(() => window.ywebrtc.insert('from a;'));
        await b.evaluate(() => window.ywebrtc.insert('from b;'));
        for (const page of [a, b]) {
          await page.waitForFunction(() => window.ywebrtc.text().includes('from a;') && window.ywebrtc.text().includes('from b;'), undefined, { timeout: 30_000 });
        }
        expect(await a.evaluate(() => window.ywebrtc.text())).toBe(await b.evaluate(() => window.ywebrtc.text()));
        // One topic: this room's (the previous test's closes asynchronously once its pages are gone).
        await waitUntil(() => relay.topicCount() === 1, 'exactly one topic on the relay');
      } finally {
        await Promise.all([a.context().close(), b.context().close()]);
      }
    });
  }
});
