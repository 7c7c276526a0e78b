import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startRelay, type Relay } from '../../signaling/index.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { launchChromium } from '../helpers/chromium.js';

let relay: Relay;
let pages: PageServer;
let browser: Browser;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  pages = await servePages({ '/index.html': '<script type="module" src="/page.js"></script>', '/page.js': await bundleForBrowser('test/fixtures/peerclassPage.ts') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await relay?.close();
});

async function openPeer(room: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.error('page error', e));
  await page.goto(pages.url);
  await page.waitForFunction(() => typeof window.startPeerclass === 'function');
  await page.evaluate(([url, r]) => window.startPeerclass(url!, r!, 'browser-secret'), [relay.url, room] as const);
  return page;
}

describe('PeerclassProvider in Chromium', () => {
  it('4 pages converge on concurrent edits, including a 1 MiB update', async () => {
    const room = 'browser-' + Math.random().toString(36).slice(2);
    const peers = await Promise.all([0, 1, 2, 3].map(() => openPeer(room)));
    for (const page of peers) await page.waitForFunction(() => window.peerclass.connectedPeers() === 3, undefined, { timeout: 30_000 });
    await Promise.all(peers.map((page, i) => page.evaluate((n) => { for (let k = 0; k < 20; k++) window.peerclass.insert(`<${n}:${k}>`); }, i)));
    await peers[1]!.evaluate(() => window.peerclass.doc.getMap('big').set('blob', new Uint8Array(1024 * 1024).map((_, i) => i % 251)));
    for (const page of peers) {
      await page.waitForFunction(() => (window.peerclass.doc.getMap('big').get('blob') as Uint8Array | undefined)?.length === 1024 * 1024
        && (window.peerclass.text().match(/<\d:\d+>/g) ?? []).length === 80, undefined, { timeout: 30_000 });
    }
    const states = await Promise.all(peers.map((page) => page.evaluate(() => {
      const blob = window.peerclass.doc.getMap('big').get('blob') as Uint8Array;
      let sum = 0;
      for (let i = 0; i < blob.length; i++) sum = (sum * 31 + blob[i]!) >>> 0;
      return window.peerclass.text() + '|' + sum;
    })));
    expect(new Set(states).size).toBe(1);
    await Promise.all(peers.map((page) => page.context().close()));
  });
});
