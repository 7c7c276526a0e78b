/**
 * Sync benchmark: the same edit script with peerclass and with y-webrtc, one Chromium context per peer
 * (y-webrtc allows one provider per room per realm), data-channel sends counted in every page.
 *
 *   npm run bench:sync -- --peers 10 --json bench/results/sync-10.json
 */
import type { Browser, Page } from 'playwright-core';
import { startRelay } from '../signaling/index.js';
import { bundleForBrowser, servePages } from '../harness/browserBundle.js';
import { launchChromium } from '../harness/chromium.js';
import { benchArgs, percentile, printTable, round, writeJson } from './support/report.js';

const args = benchArgs({ peers: 5, edits: 40, awareness: 20, intervalMs: 150 });

interface Result { messagesPerEdit: number; bytesPerEdit: number; messagesPerAwareness: number; p50Ms: number; p99Ms: number }
type Kind = 'peerclass' | 'ywebrtc';

const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
const server = await servePages({
  '/peerclass.html': '<script type="module" src="/peerclass.js"></script>', '/peerclass.js': await bundleForBrowser('test/fixtures/peerclassPage.ts'),
  '/ywebrtc.html': '<script type="module" src="/ywebrtc.js"></script>', '/ywebrtc.js': await bundleForBrowser('test/fixtures/ywebrtcPage.ts'),
});
const browser: Browser = await launchChromium();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function counters(pages: Page[]): Promise<{ messages: number; bytes: number }> {
  const all = await Promise.all(pages.map((p) => p.evaluate(() => ({ ...window.channelCounters }))));
  return all.reduce((a, b) => ({ messages: a.messages + b.messages, bytes: a.bytes + b.bytes }), { messages: 0, bytes: 0 });
}

/** Waits until sends stop for `quietMs` (periodic awareness renewals aside), so phases do not bleed into each other. */
async function settle(pages: Page[], quietMs = 700): Promise<void> {
  let last = -1;
  for (;;) {
    const now = (await counters(pages)).messages;
    if (now === last) return;
    last = now;
    await sleep(quietMs);
  }
}

async function run(kind: Kind): Promise<Result> {
  const room = `bench-${kind}-${Math.random().toString(36).slice(2)}`;
  const pages: Page[] = [];
  for (let i = 0; i < args.peers; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/${kind}.html`);
    await page.waitForFunction((k) => typeof (k === 'peerclass' ? window.startPeerclass : window.startYWebrtc) === 'function', kind);
    await page.evaluate(([k, url, r]) => k === 'peerclass' ? window.startPeerclass(url!, r!, 'bench') : window.startYWebrtc(url!, r!, 'bench'), [kind, relay.url, room] as const);
    pages.push(page);
  }
  const want = args.peers - 1;
  for (const page of pages) {
    await page.waitForFunction(([k, n]) => (k === 'peerclass' ? window.peerclass.connectedPeers() : window.ywebrtc.webrtcPeers()) === n, [kind, want] as const, { timeout: 120_000, polling: 200 });
  }
  await sleep(1500);
  await Promise.all(pages.map((p) => p.evaluate((k) => (k === 'peerclass' ? window.peerclass : window.ywebrtc).hideAwareness(), kind)));
  await settle(pages);

  // Edits: round-robin authors, one at a time, spaced so each measures propagation rather than queueing.
  const before = await counters(pages);
  const sentAt: number[] = [];
  for (let k = 0; k < args.edits; k++) {
    const author = pages[k % pages.length]!;
    sentAt.push(await author.evaluate(([k2, kd]) => kd === 'peerclass' ? window.peerclass.edit(k2!) : window.ywebrtc.edit(k2!), [k, kind] as const));
    await sleep(args.intervalMs);
  }
  for (const page of pages) {
    await page.waitForFunction(([k, n]) => (k === 'peerclass' ? window.peerclass.markers : window.ywebrtc.markers).size === n, [kind, args.edits] as const, { timeout: 60_000, polling: 100 });
  }
  await settle(pages);
  const afterEdits = await counters(pages);
  const arrivals = await Promise.all(pages.map((p) => p.evaluate((k) => [...(k === 'peerclass' ? window.peerclass.markers : window.ywebrtc.markers)], kind)));
  const latencies = sentAt.map((t, k) => Math.max(...arrivals.map((m) => new Map(m).get(String(k))!)) - t).sort((a, b) => a - b);

  // Awareness: one cursor move at a time from round-robin peers.
  for (let k = 0; k < args.awareness; k++) {
    await pages[k % pages.length]!.evaluate(([x, kd]) => kd === 'peerclass' ? window.peerclass.setCursor(x!) : window.ywebrtc.setCursor(x!), [k, kind] as const);
    await sleep(args.intervalMs);
  }
  await settle(pages);
  const afterAwareness = await counters(pages);
  await Promise.all(pages.map((p) => p.context().close()));
  return {
    messagesPerEdit: round((afterEdits.messages - before.messages) / args.edits),
    bytesPerEdit: round((afterEdits.bytes - before.bytes) / args.edits, 0),
    messagesPerAwareness: round((afterAwareness.messages - afterEdits.messages) / args.awareness),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

try {
  const peerclass = await run('peerclass');
  const ywebrtc = await run('ywebrtc');
  const ratio = {
    messagesPerEdit: round(peerclass.messagesPerEdit / ywebrtc.messagesPerEdit),
    bytesPerEdit: round(peerclass.bytesPerEdit / ywebrtc.bytesPerEdit),
    messagesPerAwareness: round(peerclass.messagesPerAwareness / ywebrtc.messagesPerAwareness),
    p50: round(peerclass.p50Ms / ywebrtc.p50Ms),
    p99: round(peerclass.p99Ms / ywebrtc.p99Ms),
  };
  printTable(`sync: ${args.peers} peers (Chromium contexts), ${args.edits} edits, ${args.awareness} awareness changes`,
    ['library', 'msgs/edit', 'bytes/edit', 'msgs/awareness', 'p50 ms', 'p99 ms'],
    [['peerclass', peerclass.messagesPerEdit, peerclass.bytesPerEdit, peerclass.messagesPerAwareness, peerclass.p50Ms, peerclass.p99Ms],
     ['y-webrtc', ywebrtc.messagesPerEdit, ywebrtc.bytesPerEdit, ywebrtc.messagesPerAwareness, ywebrtc.p50Ms, ywebrtc.p99Ms],
     ['ratio', ratio.messagesPerEdit, ratio.bytesPerEdit, ratio.messagesPerAwareness, ratio.p50, ratio.p99]]);
  writeJson(args.json, { peers: args.peers, peerclass, ywebrtc, ratio });
} finally {
  await browser.close();
  await server.close();
  await relay.close();
}
process.exit(0);
