import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { startRelay, type Relay } from '../../signaling/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { waitUntil } from '../helpers/processes.js';
import { matchesPattern, patternBytes, startMeshPeer, type MeshPeer } from './meshPeer.js';
import { nodeRtc } from '../helpers/nodeWebRtc.js';

interface Api {
  start(url: string, roomId: string, secret: string, peerId: string): void;
  linked(): string[];
  sendPattern(to: string, length: number, seed: number): boolean;
  receivedOk(from: string, length: number, seed: number): boolean;
  errors(): string[];
  describe(): string;
  restartIce(to: string): string;
  ufrags(to: string): string;
}
declare global { interface Window { peerTransport: Api } }

let relay: Relay;
let server: PageServer;
let browser: Browser;
let nodePeer: MeshPeer | null = null;

beforeAll(async () => {
  relay = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', processMetrics: false });
  const js = await bundleForBrowser(fileURLToPath(new URL('./browserEntry.ts', import.meta.url)));
  server = await servePages({ '/index.html': '<!doctype html><script type="module" src="/app.js"></script>', '/app.js': js });
  browser = await launchChromium();
});

afterAll(async () => {
  nodePeer?.destroy();
  await browser?.close();
  await server?.close();
  await relay?.close();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.peerTransport !== undefined);
  return page;
}

describe('transport in Chromium (native RTCPeerConnection and WebSocket) with a Node peer', () => {
  it('two pages and a Node peer connect through the relay and exchange 2 MiB messages', async () => {
    const room = 'browser-room'; const secret = 's3cret';
    const [p1, p2] = await Promise.all([openPage(), openPage()]);
    await p1.evaluate(([u, r, s]) => window.peerTransport.start(u!, r!, s!, 'page-1'), [relay.url, room, secret]);
    await p2.evaluate(([u, r, s]) => window.peerTransport.start(u!, r!, s!, 'page-2'), [relay.url, room, secret]);
    nodePeer = startMeshPeer({ url: relay.url, roomId: room, secret, peerId: 'node-3', rtc: nodeRtc, WebSocket });

    try {
      await waitUntil(async () => {
        const [l1, l2] = await Promise.all([p1.evaluate(() => window.peerTransport.linked()), p2.evaluate(() => window.peerTransport.linked())]);
        return l1.join() === 'node-3,page-2' && l2.join() === 'node-3,page-1' && nodePeer!.links.size === 2;
      }, 'full mesh of three', 30_000);
    } catch (error) {
      const states = await Promise.all([p1.evaluate(() => window.peerTransport.describe()), p2.evaluate(() => window.peerTransport.describe())]);
      throw new Error(`${String(error)}\n${states.join('\n')}\n${nodePeer.describe()}`);
    }

    const size = 2 * 1024 * 1024;
    await p1.evaluate(([n]) => { window.peerTransport.sendPattern('page-2', n!, 1); window.peerTransport.sendPattern('node-3', n!, 2); }, [size]);
    nodePeer.links.get('page-2')!.send(patternBytes(size, 3));
    await waitUntil(() => p2.evaluate(([n]) => window.peerTransport.receivedOk('page-1', n!, 1), [size]), 'page-1 → page-2', 30_000);
    await waitUntil(() => p2.evaluate(([n]) => window.peerTransport.receivedOk('node-3', n!, 3), [size]), 'node-3 → page-2', 30_000);
    await waitUntil(() => (nodePeer!.received.get('page-1') ?? []).some((m) => matchesPattern(m, size, 2)), 'page-1 → node-3', 30_000);

    // Both pages restart ICE toward each other at the same moment: the offers collide in Chromium's own
    // implementation and perfect negotiation must settle it, with new credentials on both sides.
    const before = await p1.evaluate(() => window.peerTransport.ufrags('page-2'));
    await Promise.all([p1.evaluate(() => window.peerTransport.restartIce('page-2')), p2.evaluate(() => window.peerTransport.restartIce('page-1'))]);
    try {
      await waitUntil(async () => {
        const [u1, u2] = await Promise.all([p1.evaluate(() => window.peerTransport.ufrags('page-2')), p2.evaluate(() => window.peerTransport.ufrags('page-1'))]);
        const [s1, l1, r1] = u1.split(' '); const [s2, l2, r2] = u2.split(' ');
        const [, oldL, oldR] = before.split(' ');
        return s1 === 'stable' && s2 === 'stable' && l1 === r2 && l2 === r1 && l1 !== oldL && r1 !== oldR;
      }, 'ICE restart glare settles in Chromium', 20_000);
    } catch (error) {
      const states = await Promise.all([p1.evaluate(() => window.peerTransport.describe()), p2.evaluate(() => window.peerTransport.describe())]);
      throw new Error(`${String(error)}\n${states.join('\n')}`);
    }
    await p2.evaluate(([n]) => window.peerTransport.sendPattern('page-1', n!, 4), [1000]);
    await waitUntil(() => p1.evaluate(() => window.peerTransport.receivedOk('page-2', 1000, 4)), 'page-2 → page-1 after the restart');

    expect(await p1.evaluate(() => window.peerTransport.errors())).toEqual([]);
    expect(nodePeer.errors).toEqual([]);
  });
});
