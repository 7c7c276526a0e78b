/**
 * Sync benchmark: the same edit script with peerclass in signed mode (every routed message signed and verified, links
 * authenticated), peerclass unsigned, and y-webrtc, one Chromium context per peer (y-webrtc allows one provider per
 * room per realm), data-channel sends counted in every page. `peerclass` in the JSON is the signed run (the default
 * a class runs in); `signedOverUnsigned` is what signing costs.
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
type Kind = 'signed' | 'unsigned' | 'ywebrtc';

const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
const server = await servePages({
  '/peerclass.html': '<script type="module" src="/peerclass.js"></script>', '/peerclass.js': await bundleForBrowser('test/provider/benchPeerclassPage.ts'),
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
  const html = kind === 'ywebrtc' ? 'ywebrtc' : 'peerclass';
  for (let i = 0; i < args.peers; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/${html}.html`);
    await page.waitForFunction((k) => typeof (k !== 'ywebrtc' ? window.startBenchPeerclass : window.startYWebrtc) === 'function', kind);
    await page.evaluate(([k, url, r]) => k !== 'ywebrtc' ? window.startBenchPeerclass(url!, r!, 'bench', k === 'signed') : window.startYWebrtc(url!, r!, 'bench'), [kind, relay.url, room] as const);
    pages.push(page);
  }
  const want = args.peers - 1;
  for (const page of pages) {
    await page.waitForFunction(([k, n]) => (k !== 'ywebrtc' ? window.benchPeerclass.connectedPeers() : window.ywebrtc.webrtcPeers()) === n, [kind, want] as const, { timeout: 120_000, polling: 200 });
  }
  await sleep(1500);
  await Promise.all(pages.map((p) => p.evaluate((k) => (k !== 'ywebrtc' ? window.benchPeerclass : window.ywebrtc).hideAwareness(), kind)));
  await settle(pages);

  // Edits: round-robin authors, one at a time, spaced so each measures propagation rather than queueing.
  const before = await counters(pages);
  const sentAt: number[] = [];
  for (let k = 0; k < args.edits; k++) {
    const author = pages[k % pages.length]!;
    sentAt.push(await author.evaluate(([k2, kd]) => kd !== 'ywebrtc' ? window.benchPeerclass.edit(k2!) : window.ywebrtc.edit(k2!), [k, kind] as const));
    await sleep(args.intervalMs);
  }
  for (const page of pages) {
    await page.waitForFunction(([k, n]) => (k !== 'ywebrtc' ? window.benchPeerclass.markers : window.ywebrtc.markers).size === n, [kind, args.edits] as const, { timeout: 60_000, polling: 100 });
  }
  await settle(pages);
  const afterEdits = await counters(pages);
  const arrivals = await Promise.all(pages.map((p) => p.evaluate((k) => [...(k !== 'ywebrtc' ? window.benchPeerclass.markers : window.ywebrtc.markers)], kind)));
  const latencies = sentAt.map((t, k) => Math.max(...arrivals.map((m) => new Map(m).get(String(k))!)) - t).sort((a, b) => a - b);

  // Awareness: one cursor move at a time from round-robin peers.
  for (let k = 0; k < args.awareness; k++) {
    await pages[k % pages.length]!.evaluate(([x, kd]) => kd !== 'ywebrtc' ? window.benchPeerclass.setCursor(x!) : window.ywebrtc.setCursor(x!), [k, kind] as const);
    await sleep(args.intervalMs);
  }
  await settle(pages);
  const afterAwareness = await counters(pages);
  if (kind === 'signed') {
    const failures = (await Promise.all(pages.map((p) => p.evaluate(() => window.benchPeerclass.failures)))).reduce((a, b) => a + b, 0);
    if (failures > 0) throw new Error(`signed run: ${failures} refused messages between honest peers`);
  }
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
  const unsigned = await run('unsigned');
  const signed = await run('signed');
  const ywebrtc = await run('ywebrtc');
  const ratio = {
    messagesPerEdit: round(signed.messagesPerEdit / ywebrtc.messagesPerEdit),
    bytesPerEdit: round(signed.bytesPerEdit / ywebrtc.bytesPerEdit),
    messagesPerAwareness: round(signed.messagesPerAwareness / ywebrtc.messagesPerAwareness),
    p50: round(signed.p50Ms / ywebrtc.p50Ms),
    p99: round(signed.p99Ms / ywebrtc.p99Ms),
  };
  const signedOverUnsigned = {
    messagesPerEdit: round(signed.messagesPerEdit / unsigned.messagesPerEdit),
    bytesPerEdit: round(signed.bytesPerEdit / unsigned.bytesPerEdit),
    extraBytesPerMessage: round((signed.bytesPerEdit - unsigned.bytesPerEdit) / signed.messagesPerEdit, 0),
    p50: round(signed.p50Ms / unsigned.p50Ms),
    p99: round(signed.p99Ms / unsigned.p99Ms),
  };
  const row = (name: string, r: Result): Array<string | number> => [name, r.messagesPerEdit, r.bytesPerEdit, r.messagesPerAwareness, r.p50Ms, r.p99Ms];
  printTable(`sync: ${args.peers} peers (Chromium contexts), ${args.edits} edits, ${args.awareness} awareness changes`,
    ['library', 'msgs/edit', 'bytes/edit', 'msgs/awareness', 'p50 ms', 'p99 ms'],
    [row('peerclass signed', signed), row('peerclass unsigned', unsigned), row('y-webrtc', ywebrtc),
     ['signed / y-webrtc', ratio.messagesPerEdit, ratio.bytesPerEdit, ratio.messagesPerAwareness, ratio.p50, ratio.p99],
     ['signed / unsigned', signedOverUnsigned.messagesPerEdit, signedOverUnsigned.bytesPerEdit, '', signedOverUnsigned.p50, signedOverUnsigned.p99]]);
  writeJson(args.json, { peers: args.peers, signed, unsigned, ywebrtc, peerclass: signed, ratio, signedOverUnsigned });
} finally {
  await browser.close();
  await server.close();
  await relay.close();
}
process.exit(0);
