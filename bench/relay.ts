/**
 * Relay benchmark: our relay and y-webrtc's bin/server.js under the same load in the same run.
 * ~1,000 ws clients in 100 topics, each publishing a signaling-sized payload at a fixed rate.
 *
 * Throughput is reported two ways: deliveries per wall second (equal for both while neither saturates)
 * and deliveries per second of relay CPU — the capacity the relay would reach on one saturated core,
 * which is what the ratio compares. Measuring capacity by saturation instead would measure the load
 * generator too, since it shares this 2-core machine with the relay.
 */
import { WebSocket } from 'ws';
import { freePort, spawnTracked, waitForTcp, type TrackedProcess } from '../harness/processes.js';
import { cpuSplitMs, rssKiB } from './support/procStats.js';
import { benchArgs, percentile, printTable, round, writeJson } from './support/report.js';

// `burst`: publishes a client sends back to back each time (an offer followed by ICE candidates looks like 4–8).
const args = benchArgs({ clients: 1000, topics: 100, rate: 1, seconds: 10, payload: 1500, burst: 1 });

interface Result { deliveredPerSec: number; deliveredPerCpuSec: number; p50Ms: number; p99Ms: number; rssPerConnKiB: number; relayCpuMs: number; relayUserMs: number; relaySystemMs: number; delivered: number; expected: number }

async function startServer(kind: 'peerclass' | 'ywebrtc'): Promise<{ proc: TrackedProcess; url: string }> {
  const port = await freePort();
  const proc = kind === 'peerclass'
    ? spawnTracked(process.execPath, ['bin/peerclass-signal.js', '--port', String(port), '--log-level', 'silent',
      '--rate', '1000', '--burst', '2000', '--max-subscribers', '100000'])
    : spawnTracked(process.execPath, ['--import', './bench/support/listenOnLoopback.mjs', 'node_modules/y-webrtc/bin/server.js'], { env: { ...process.env, PORT: String(port) } });
  await waitForTcp(port, 20_000);
  return { proc, url: `ws://127.0.0.1:${port}` };
}

async function connectAll(url: string, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => new WebSocket(url, { perMessageDeflate: false }));
    await Promise.all(batch.map((s) => new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject); })));
    sockets.push(...batch);
  }
  return sockets;
}

async function run(kind: 'peerclass' | 'ywebrtc'): Promise<Result> {
  const { proc, url } = await startServer(kind);
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssBefore = rssKiB(proc.pid);
    const sockets = await connectAll(url, args.clients);
    const topicOf = (i: number) => `bench-topic-${i % args.topics}`;
    sockets.forEach((s, i) => s.send(JSON.stringify({ type: 'subscribe', topics: [topicOf(i)] })));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssAfter = rssKiB(proc.pid);

    const latencies: number[] = [];
    let delivered = 0;
    let measuring = false;
    for (const socket of sockets) {
      socket.on('message', (data: Buffer) => {
        if (!measuring) return;
        delivered++;
        // The send time leads the data string; slicing it out avoids parsing a 1.5 KB frame per delivery.
        const text = data.toString('latin1', 0, 200);
        const at = text.indexOf('"data":"');
        if (at >= 0) latencies.push(performance.now() - Number(text.slice(at + 8, text.indexOf('|', at))));
      });
    }
    const pad = 'x'.repeat(args.payload);
    const perTickMs = 10;
    const publishesPerTick = (args.clients * args.rate * perTickMs) / 1000;
    let next = 0;
    let carry = 0;
    let sent = 0;
    const cpuBefore = cpuSplitMs(proc.pid);
    const wallBefore = performance.now();
    measuring = true;
    const timer = setInterval(() => {
      carry += publishesPerTick;
      for (; carry >= args.burst; carry -= args.burst) {
        const i = next++ % args.clients;
        for (let b = 0; b < args.burst; b++) {
          sockets[i]!.send(`{"type":"publish","topic":"${topicOf(i)}","data":"${performance.now()}|${pad}"}`);
          sent++;
        }
      }
    }, perTickMs);
    await new Promise((resolve) => setTimeout(resolve, args.seconds * 1000));
    clearInterval(timer);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // drain
    measuring = false;
    const wallMs = performance.now() - wallBefore;
    const cpuAfter = cpuSplitMs(proc.pid);
    const relayUserMs = cpuAfter.userMs - cpuBefore.userMs;
    const relaySystemMs = cpuAfter.systemMs - cpuBefore.systemMs;
    const relayCpuMs = relayUserMs + relaySystemMs;
    for (const s of sockets) s.terminate();
    latencies.sort((a, b) => a - b);
    const receiversPerTopic = args.clients / args.topics;
    return {
      deliveredPerSec: round(delivered / (wallMs / 1000), 0),
      deliveredPerCpuSec: round(delivered / (relayCpuMs / 1000), 0),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      rssPerConnKiB: round((rssAfter - rssBefore) / args.clients),
      relayCpuMs: round(relayCpuMs, 0),
      relayUserMs: round(relayUserMs, 0),
      relaySystemMs: round(relaySystemMs, 0),
      delivered,
      expected: sent * receiversPerTopic,
    };
  } finally {
    await proc.stop();
  }
}

const peerclass = await run('peerclass');
const ywebrtc = await run('ywebrtc');
const ratio = {
  throughput: round(peerclass.deliveredPerCpuSec / ywebrtc.deliveredPerCpuSec),
  p99: round(peerclass.p99Ms / ywebrtc.p99Ms),
  rssPerConn: round(peerclass.rssPerConnKiB / ywebrtc.rssPerConnKiB),
};
printTable(`relay: ${args.clients} clients, ${args.topics} topics, ${args.rate} publishes/s each in bursts of ${args.burst}, ${args.payload} B payload, ${args.seconds} s`,
  ['relay', 'delivered/s', 'delivered/CPU-s', 'p50 ms', 'p99 ms', 'RSS/conn KiB', 'user ms', 'sys ms', 'delivered/expected'],
  [['peerclass', peerclass.deliveredPerSec, peerclass.deliveredPerCpuSec, peerclass.p50Ms, peerclass.p99Ms, peerclass.rssPerConnKiB, peerclass.relayUserMs, peerclass.relaySystemMs, `${peerclass.delivered}/${peerclass.expected}`],
   ['y-webrtc', ywebrtc.deliveredPerSec, ywebrtc.deliveredPerCpuSec, ywebrtc.p50Ms, ywebrtc.p99Ms, ywebrtc.rssPerConnKiB, ywebrtc.relayUserMs, ywebrtc.relaySystemMs, `${ywebrtc.delivered}/${ywebrtc.expected}`],
   ['ratio', '', ratio.throughput, '', ratio.p99, ratio.rssPerConn, '', '', '']]);
writeJson(args.json, { config: args, peerclass, ywebrtc, ratio });
process.exit(0);
