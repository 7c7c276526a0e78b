/**
 * Soak of Node WebRTC implementations: N connect/close cycles with random timing, for @roamhq/wrtc and for
 * node-datachannel (its `polyfill` entry), to pick the one a long-running Node peer (the keeper) can rely on.
 *
 * Each cycle opens two RTCPeerConnections in one process, wires offer/answer/candidates directly and closes them
 * at a random moment: before the offer, in the middle of negotiation (after some of the offer/answer/candidate
 * steps), from inside the implementation's own callbacks, or after the data channel opened. Either side may close first, the other a few ms later or not before
 * the next cycle starts. Cycles run in child processes of `--batch` cycles each, so a native crash (exit by a
 * signal) is counted and the run goes on in a fresh child; each child's exit is itself a chance to crash, with its
 * last pair sometimes still open.
 *
 *   npm run bench:soak -- [--cycles 1000] [--batch 100] [--seed N] [--impl wrtc|node-datachannel] [--json FILE]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTable, round, writeJson } from './support/report.js';

/** The implementations compared. */
export type SoakImpl = 'wrtc' | 'node-datachannel';
const IMPLS: readonly SoakImpl[] = ['wrtc', 'node-datachannel'];

/** When a cycle closes its pair. */
type Phase = 'before-offer' | 'mid-negotiation' | 'in-callback' | 'after-connect';
const PHASES: readonly Phase[] = ['before-offer', 'mid-negotiation', 'in-callback', 'after-connect'];

/** One implementation's result. */
export interface SoakResult {
  impl: SoakImpl;
  cycles: number;
  completed: number;
  /** Child processes that died by a signal (SIGSEGV, SIGABRT …). */
  crashes: number;
  /** Signal and phase of the cycle running when each crash happened ('exit' when after the last cycle). */
  crashDetails: Array<{ signal: string; phase: Phase | 'exit'; cycle: number }>;
  /** Children that exited with a non-zero code (a JS error), or stalled and were killed. */
  errors: number;
  /** Cycles that reached an open data channel (those meant to close after connecting). */
  connected: number;
  /** Cycles meant to connect that did not within the cycle timeout. */
  timeouts: number;
  seconds: number;
}

type PeerConnectionCtor = typeof RTCPeerConnection;

async function loadImpl(impl: SoakImpl): Promise<PeerConnectionCtor> {
  if (impl === 'wrtc') {
    const wrtc = (await import('@roamhq/wrtc')).default as unknown as { RTCPeerConnection: PeerConnectionCtor };
    return wrtc.RTCPeerConnection;
  }
  const polyfill = await import('node-datachannel/polyfill');
  return polyfill.RTCPeerConnection as unknown as PeerConnectionCtor;
}

/** Small deterministic PRNG (mulberry32) so a run can be repeated with `--seed`. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One cycle. Negotiation steps run as far as `steps` allows (mid-negotiation) and the close comes after a random
 * delay, so it may land while a native callback of the previous step is still in flight — the case that crashes.
 */
async function cycle(Ctor: PeerConnectionCtor, random: () => number, phase: Phase, closeOnExit: boolean): Promise<'connected' | 'timeout' | 'closed'> {
  const a = new Ctor({ iceServers: [] });
  const b = new Ctor({ iceServers: [] });
  // Late async failures (addIceCandidate on a closed pc …) are expected here; only native crashes count.
  const ignore = (): void => {};
  a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate).catch(ignore); };
  b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate).catch(ignore); };
  const opened = new Promise<void>((resolve) => {
    b.ondatachannel = (e) => { e.channel.onopen = () => resolve(); if (e.channel.readyState === 'open') resolve(); };
  });
  const channel = a.createDataChannel('soak');
  const openedA = new Promise<void>((resolve) => { channel.onopen = () => resolve(); });
  const closeBoth = async (): Promise<void> => {
    const [first, second] = random() < 0.5 ? [a, b] : [b, a];
    first.close();
    const gap = random();
    if (gap < 0.3) second.close();
    else if (gap < 0.8) { await sleep(Math.floor(random() * 5)); second.close(); }
    else setTimeout(() => second.close(), Math.floor(random() * 20)); // still closing while the next cycle starts
  };
  let outcome: 'connected' | 'timeout' | 'closed' = 'closed';
  try {
    if (phase === 'before-offer') {
      await sleep(Math.floor(random() * 3));
    } else if (phase === 'mid-negotiation') {
      const steps = 1 + Math.floor(random() * 4);
      const negotiate = (async () => {
        const offer = await a.createOffer();
        if (steps < 2) return;
        await a.setLocalDescription(offer);
        if (steps < 3) return;
        await b.setRemoteDescription(offer);
        const answer = await b.createAnswer();
        await b.setLocalDescription(answer);
        if (steps < 4) return;
        await a.setRemoteDescription(answer);
      })().catch(ignore);
      // Close either after the chosen step or racing it.
      if (random() < 0.5) await negotiate;
      else await sleep(Math.floor(random() * 4));
    } else if (phase === 'in-callback') {
      // Close from inside the implementation's own event callbacks (a candidate, a state change, the channel
      // arriving): what a peer does when it learns mid-event that the other side is gone.
      const which = Math.floor(random() * 3);
      const closedInside = new Promise<void>((resolve) => {
        const closeNow = (): void => { a.close(); b.close(); resolve(); };
        if (which === 0) b.onicecandidate = () => closeNow();
        else if (which === 1) a.onconnectionstatechange = () => { if (a.connectionState === 'connecting' || a.connectionState === 'connected') closeNow(); };
        else b.ondatachannel = () => closeNow();
      });
      const negotiate = exchangeDescriptions(a, b).catch(ignore);
      await Promise.race([closedInside, negotiate.then(() => sleep(3000))]);
    } else {
      await exchangeDescriptions(a, b);
      const ok = await Promise.race([Promise.all([opened, openedA]).then(() => true), sleep(5000).then(() => false)]);
      outcome = ok ? 'connected' : 'timeout';
      if (ok && random() < 0.5) channel.send('x'.repeat(1 + Math.floor(random() * 2000)));
      await sleep(Math.floor(random() * 10));
    }
  } catch {
    // A step failing is not what this soak measures; closing afterwards still is.
  }
  if (!closeOnExit) await closeBoth();
  return outcome;
}

/** Child: runs cycles [from, to) and reports each on stdout; exits right after the last, sometimes with a pair open. */
async function child(impl: SoakImpl, from: number, to: number, seed: number): Promise<void> {
  const Ctor = await loadImpl(impl);
  const random = prng(seed + from);
  for (let i = from; i < to; i++) {
    const phase = PHASES[Math.floor(random() * PHASES.length)]!;
    process.stdout.write(`start ${i} ${phase}\n`);
    const leaveOpen = i === to - 1 && random() < 0.5;
    const outcome = await cycle(Ctor, random, phase, leaveOpen);
    process.stdout.write(`done ${i} ${outcome}\n`);
  }
  process.stdout.write('exit\n');
  // Exit while native threads may still be tearing down the last pair: the "crash at exit" case.
  await sleep(Math.floor(random() * 30));
  process.exit(0);
}

/** Parent: runs batches in children until `cycles` cycles were attempted, counting how each child ended. */
async function soak(impl: SoakImpl, cycles: number, batch: number, seed: number): Promise<SoakResult> {
  const started = performance.now();
  const result: SoakResult = { impl, cycles, completed: 0, crashes: 0, crashDetails: [], errors: 0, connected: 0, timeouts: 0, seconds: 0 };
  let next = 0;
  const self = fileURLToPath(import.meta.url);
  while (next < cycles) {
    const to = Math.min(cycles, next + batch);
    const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child', impl, '--from', String(next), '--to', String(to), '--seed', String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let current: { cycle: number; phase: Phase | 'exit' } = { cycle: next, phase: 'before-offer' };
    let lastDone = next - 1;
    let buffered = '';
    let stderr = '';
    let lastOutput = Date.now();
    proc.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    proc.stdout.on('data', (d: Buffer) => {
      lastOutput = Date.now();
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n, extra] = line.split(' ');
        if (word === 'start') current = { cycle: Number(n), phase: extra as Phase };
        else if (word === 'done') {
          lastDone = Number(n);
          result.completed++;
          if (extra === 'connected') result.connected++;
          if (extra === 'timeout') result.timeouts++;
        } else if (word === 'exit') current = { cycle: lastDone, phase: 'exit' };
      }
    });
    // A child that stops reporting for 30 s is stuck (a deadlock in native code): kill it and count an error.
    const watchdog = setInterval(() => { if (Date.now() - lastOutput > 30_000) proc.kill('SIGKILL'); }, 1000);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (c, s) => resolve({ code: c, signal: s })));
    clearInterval(watchdog);
    if (signal !== null && Date.now() - lastOutput <= 30_000) {
      result.crashes++;
      result.crashDetails.push({ signal, phase: current.phase, cycle: current.cycle });
      process.stderr.write(`  ${impl}: crash ${signal} at cycle ${current.cycle} (${current.phase})\n`);
    } else if (code !== 0) {
      result.errors++;
      process.stderr.write(`  ${impl}: child ended with ${signal ?? `code ${code}`} at cycle ${current.cycle}\n${stderr}\n`);
    }
    // Continue after the cycle that was running (a crash skips it; it counts as attempted, not completed).
    next = current.phase === 'exit' ? to : Math.max(lastDone + 1, current.cycle + 1);
  }
  result.seconds = round((performance.now() - started) / 1000, 1);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      cycles: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' }, impl: { type: 'string', multiple: true },
      json: { type: 'string' }, child: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    },
    strict: true,
  });
  const seed = Number(values.seed ?? 1);
  if (values.child !== undefined) {
    await child(values.child as SoakImpl, Number(values.from), Number(values.to), seed);
    return;
  }
  const cycles = Number(values.cycles ?? 1000);
  const batch = Number(values.batch ?? 100);
  const impls = (values.impl ?? IMPLS) as SoakImpl[];
  for (const impl of impls) if (!IMPLS.includes(impl)) throw new Error(`--impl must be one of ${IMPLS.join(', ')}`);
  const results: SoakResult[] = [];
  for (const impl of impls) {
    process.stderr.write(`soak ${impl}: ${cycles} cycles in children of ${batch}\n`);
    results.push(await soak(impl, cycles, batch, seed));
  }
  printTable(`WebRTC soak: ${cycles} connect/close cycles, random close timing (seed ${seed})`,
    ['impl', 'cycles', 'completed', 'crashes', 'errors', 'connected', 'timeouts', 'seconds'],
    results.map((r) => [r.impl, String(r.cycles), String(r.completed), String(r.crashes), String(r.errors), String(r.connected), String(r.timeouts), r.seconds.toFixed(1)]));
  for (const r of results) {
    for (const c of r.crashDetails) console.log(`${r.impl}: ${c.signal} in cycle ${c.cycle} (${c.phase})`);
  }
  writeJson(values.json, { cycles, batch, seed, results });
}

await main();

/** One offer/answer round from `a` to `b`, directly (no signaling in the soak). */
async function exchangeDescriptions(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
}
