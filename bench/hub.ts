/**
 * The teacher's data hub (issue 13): in a class every student links only to the teacher (the star; lecture mode
 * moves media to Janus but data stays on these links), so the teacher holds one data-only RTCPeerConnection per
 * student. For each class size N: a fresh teacher process, N students (`mode: 'classroom'`, no media) spread over
 * `--procs` student processes, all over @roamhq/wrtc through a real relay on 127.0.0.1 (in this, the orchestrating
 * process). Measured per N: time from the first student's `Classroom.create` until the teacher has N open data
 * links; the teacher process's RSS and CPU (s per s) over `--idle` s of an idle class; the latency of `--edits` teacher
 * chat messages until every student has each (p50/p99); whether every student's chat ended equal to the teacher's.
 * Sizes stop at the first N whose links do not all come up within `--timeout` s (reported as the limit).
 *
 *   npm run bench:hub -- --students 10,25,50 [--procs 2] [--edits 30] [--idle 5] [--timeout 120] [--signed] [--json FILE]
 *
 * Unsigned by default (fixed peer ids 't', 's0' …, as the tests run); `--signed` gives every peer a key (the default
 * of a real class: signed envelopes, authenticated links).
 *
 * When links do not all come up (and after every size), each student process reports a census: its
 * RTCPeerConnections, the open ones and those to the teacher. Connections beyond one per student are
 * student–student attempts: the fallback mesh a student opens when it has not heard of the teacher within
 * TEACHER_SETTLE_MS (1.5 s) of joining, which on a loaded machine is what breaks large classes here (results in
 * bench/results/hub*.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import { startRelay } from '../signaling/index.js';
import { Classroom, chatType, createTeacherIdentity, randomClassId, randomSecret } from '../src/index.js';
import type { RtcImplementation } from '../src/transport/peerConnection.js';
import type { WebSocketConstructorLike } from '../src/transport/signalingClient.js';
import { providerOf } from '../harness/providerOf.js';
import { percentile, printTable, round, writeJson } from './support/report.js';

const rtc = wrtc as unknown as RtcImplementation;
const WS = WebSocket as unknown as WebSocketConstructorLike;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Wall clock with sub-ms precision, comparable across the processes of one machine. */
const now = (): number => performance.timeOrigin + performance.now();

interface ChildConfig {
  role: 'teacher' | 'students';
  url: string; classId: string; secret: string; teacherKey?: string; signed: boolean;
  /** students: first index and how many. */
  from?: number; count?: number; staggerMs?: number;
}

type Msg = Record<string, unknown> & { type: string };
const emit = (m: Msg): void => { process.stdout.write(JSON.stringify(m) + '\n'); };
const chatDigest = (c: Classroom): { count: number; hash: string } => {
  const ids = c.doc(chatType).messages().map((m) => `${m.id}:${m.text}`).sort();
  return { count: ids.length, hash: createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16) };
};
/** Messages from the parent, one JSON object a line on stdin. */
function commands(handler: (m: Msg) => Promise<void>): void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => { void handler(JSON.parse(line) as Msg).catch((e: unknown) => emit({ type: 'error', message: String(e) })); });
}
/** Leave, let the provider close its RTCPeerConnections (@roamhq/wrtc can crash on exit with connections open), exit. */
async function leaveAndExit(rooms: Classroom[]): Promise<void> {
  for (const r of rooms) r.leave();
  await sleep(3000);
  emit({ type: 'bye' });
  process.exit(0);
}

async function teacherChild(cfg: ChildConfig): Promise<void> {
  const identity = await createTeacherIdentity();
  const teacher = await Classroom.create({
    signaling: cfg.url, classId: cfg.classId, secret: cfg.secret, teacherKey: identity.publicKey, identity, name: 'Teacher',
    rtc, WebSocket: WS, mode: 'classroom', ...(cfg.signed ? {} : { peerId: 't' }),
  });
  const links = (): number => [...providerOf(teacher).connections().values()].filter((pc) => pc.link !== null).length;
  emit({ type: 'ready', teacherKey: identity.publicKey, peerId: teacher.peerId, rss: process.memoryUsage().rss });
  commands(async (m) => {
    if (m.type === 'wait-links') {
      const want = m.n as number;
      const deadline = Date.now() + (m.timeoutMs as number);
      let lastReport = 0;
      while (links() < want && Date.now() < deadline) {
        if (Date.now() - lastReport > 5000) { lastReport = Date.now(); emit({ type: 'progress', links: links(), connections: providerOf(teacher).connections().size, reachable: teacher.network.reachablePeers().length }); }
        await sleep(20);
      }
      emit({ type: 'links', at: now(), links: links(), reachable: teacher.network.reachablePeers().length, ok: links() >= want });
    } else if (m.type === 'idle') {
      const rssBefore = process.memoryUsage().rss;
      const cpu0 = process.cpuUsage();
      const t0 = now();
      await sleep(m.ms as number);
      const cpu = process.cpuUsage(cpu0);
      const seconds = (now() - t0) / 1000;
      emit({ type: 'idle', cpuPerSecond: (cpu.user + cpu.system) / 1e6 / seconds, rss: process.memoryUsage().rss, rssBefore, heapUsed: process.memoryUsage().heapUsed, links: links() });
    } else if (m.type === 'edits') {
      const sent: number[] = [];
      for (let k = 0; k < (m.count as number); k++) {
        sent.push(now());
        teacher.doc(chatType).send(`hub-${k}`);
        await sleep(m.intervalMs as number);
      }
      emit({ type: 'sent', sent });
    } else if (m.type === 'digest') {
      emit({ type: 'digest', digests: [chatDigest(teacher)] });
    } else if (m.type === 'leave') {
      await leaveAndExit([teacher]);
    }
  });
}

async function studentsChild(cfg: ChildConfig): Promise<void> {
  const rooms: Classroom[] = [];
  /** arrivals[i][k]: when student i first saw teacher message k. */
  const arrivals: Array<Map<number, number>> = [];
  emit({ type: 'creating', at: now() });
  const creations: Array<Promise<void>> = [];
  for (let i = 0; i < cfg.count!; i++) {
    const index = cfg.from! + i;
    const seen = new Map<number, number>();
    arrivals.push(seen);
    creations.push(Classroom.create({
      signaling: cfg.url, classId: cfg.classId, secret: cfg.secret, teacherKey: cfg.teacherKey!, name: `Student ${index}`,
      rtc, WebSocket: WS, mode: 'classroom', ...(cfg.signed ? {} : { peerId: `s${index}` }),
    }).then((c) => {
      rooms.push(c);
      const chat = c.doc(chatType);
      const scan = (): void => {
        const at = now();
        for (const msg of chat.messages()) {
          const match = /^hub-(\d+)$/.exec(msg.text);
          if (match !== null && !seen.has(Number(match[1]))) seen.set(Number(match[1]), at);
        }
      };
      chat.on('change', scan);
      scan();
    }));
    if (cfg.staggerMs! > 0) await sleep(cfg.staggerMs!);
  }
  const created = Promise.all(creations).then(() => emit({ type: 'created', at: now() }));
  commands(async (m) => {
    if (m.type !== 'census' && m.type !== 'leave') await created;
    if (m.type === 'await-edits') {
      const want = m.count as number;
      const deadline = Date.now() + (m.timeoutMs as number);
      while (arrivals.some((s) => s.size < want) && Date.now() < deadline) await sleep(50);
      emit({ type: 'arrivals', arrivals: arrivals.map((s) => Object.fromEntries(s)) });
    } else if (m.type === 'census') {
      // Student–student links exist only in the fallback mesh (a student that did not hear of the teacher in time).
      const teacherId = m.teacher as string;
      let connections = 0; let linked = 0; let toTeacher = 0;
      for (const r of rooms) {
        for (const [id, pc] of providerOf(r).connections()) {
          connections++;
          if (pc.link !== null) { linked++; if (id === teacherId) toTeacher++; }
        }
      }
      emit({ type: 'census', connections, linked, toTeacher, students: rooms.length, rss: process.memoryUsage().rss });
    } else if (m.type === 'digest') {
      emit({ type: 'digest', digests: rooms.map(chatDigest), rss: process.memoryUsage().rss });
    } else if (m.type === 'leave') {
      await leaveAndExit(rooms);
    }
  });
}

/** A child process speaking JSON lines: `next(type)` waits for the next message of that type. */
class Child {
  readonly proc: ChildProcess;
  private readonly queue: Msg[] = [];
  private waiters: Array<() => void> = [];
  exited = false;
  constructor(cfg: ChildConfig, readonly label: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HUB_CHILD: JSON.stringify(cfg) },
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let m: Msg;
      try { m = JSON.parse(line) as Msg; } catch { process.stderr.write(`[${label}] ${line}\n`); return; }
      if (m.type === 'error') process.stderr.write(`[${label}] error: ${String(m.message)}\n`);
      if (m.type === 'progress') process.stderr.write(`  [${label}] links ${String(m.links)} connections ${String(m.connections)} reachable ${String(m.reachable)}\n`);
      this.queue.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      if (!/ExperimentalWarning|--trace-warnings/.test(text)) process.stderr.write(`[${label}] ${text}`);
    });
    this.proc.once('exit', (code, signal) => {
      this.exited = true;
      if (code !== 0) process.stderr.write(`[${label}] exited with ${signal ?? `code ${code}`}\n`);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(m: Msg): void { this.proc.stdin!.write(JSON.stringify(m) + '\n'); }
  async next(type: string, timeoutMs: number): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((m) => m.type === type);
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      if (this.exited) throw new Error(`${this.label} exited while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, Math.min(left, 1000)); this.waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }
  /** Leave (the child closes its classrooms and waits 3 s), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.send({ type: 'leave' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

interface SizeResult {
  students: number;
  ok: boolean;
  links: number;
  /** First student's Classroom.create → the teacher has `students` open data links. */
  linksMs: number | null;
  teacherRssMb: number | null;
  /** Teacher RSS with no students (its fresh process after joining the relay). */
  teacherBaseRssMb: number;
  teacherCpuPerSecond: number | null;
  teacherHeapMb: number | null;
  studentsRssMb: number[] | null;
  edits: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Teacher messages missing at some student after the wait. */
  missing: number | null;
  converged: boolean | null;
  /** When links did not all come up: per student process, its RTCPeerConnections (open or not), open links, links to the teacher. */
  census?: Array<{ connections: number; linked: number; toTeacher: number; students: number }>;
  note?: string;
}

async function runSize(n: number, opts: { procs: number; edits: number; intervalMs: number; idleMs: number; timeoutMs: number; staggerMs: number; signed: boolean }, url: string): Promise<SizeResult> {
  const classId = randomClassId();
  const secret = randomSecret();
  const base = { url, classId, secret, signed: opts.signed };
  const teacher = new Child({ ...base, role: 'teacher' }, `teacher-${n}`);
  const studentProcs: Child[] = [];
  const result: SizeResult = {
    students: n, ok: false, links: 0, linksMs: null, teacherRssMb: null, teacherBaseRssMb: 0, teacherCpuPerSecond: null, teacherHeapMb: null,
    studentsRssMb: null, edits: opts.edits, p50Ms: null, p99Ms: null, maxMs: null, missing: null, converged: null,
  };
  let teacherPeerId = '';
  try {
    const ready = await teacher.next('ready', 60_000);
    result.teacherBaseRssMb = round((ready.rss as number) / 2 ** 20, 1);
    const procs = Math.max(1, Math.min(opts.procs, n));
    let from = 0;
    for (let p = 0; p < procs; p++) {
      const count = Math.floor(n / procs) + (p < n % procs ? 1 : 0);
      studentProcs.push(new Child({ ...base, role: 'students', teacherKey: ready.teacherKey as string, from, count, staggerMs: opts.staggerMs }, `students-${n}-${p}`));
      from += count;
    }
    const creating = await Promise.all(studentProcs.map((s) => s.next('creating', 60_000)));
    const firstCreate = Math.min(...creating.map((m) => m.at as number));
    teacher.send({ type: 'wait-links', n, timeoutMs: opts.timeoutMs });
    const linked = await teacher.next('links', opts.timeoutMs + 30_000);
    result.links = linked.links as number;
    teacherPeerId = ready.peerId as string;
    if (linked.ok !== true) {
      for (const s of studentProcs) s.send({ type: 'census', teacher: teacherPeerId });
      const census = await Promise.all(studentProcs.map((s) => s.next('census', 30_000).catch(() => null)));
      result.census = census.filter((c) => c !== null).map((c) => ({ connections: c.connections as number, linked: c.linked as number, toTeacher: c.toTeacher as number, students: c.students as number }));
      result.note = `only ${String(linked.links)} of ${n} links within ${opts.timeoutMs / 1000} s (teacher reaches ${String(linked.reachable)})`;
      return result;
    }
    result.ok = true;
    result.linksMs = round((linked.at as number) - firstCreate, 0);
    await Promise.all(studentProcs.map((s) => s.next('created', 60_000)));
    await sleep(2000); // let presence/anti-entropy after the joins settle before measuring idle
    teacher.send({ type: 'idle', ms: opts.idleMs });
    const idle = await teacher.next('idle', opts.idleMs + 30_000);
    result.teacherCpuPerSecond = round(idle.cpuPerSecond as number, 3);
    result.teacherRssMb = round((idle.rss as number) / 2 ** 20, 1);
    result.teacherHeapMb = round((idle.heapUsed as number) / 2 ** 20, 1);

    teacher.send({ type: 'edits', count: opts.edits, intervalMs: opts.intervalMs });
    const sent = (await teacher.next('sent', opts.edits * opts.intervalMs + 60_000)).sent as number[];
    for (const s of studentProcs) s.send({ type: 'await-edits', count: opts.edits, timeoutMs: 30_000 });
    const arrivals = (await Promise.all(studentProcs.map((s) => s.next('arrivals', 90_000))))
      .flatMap((m) => m.arrivals as Array<Record<string, number>>);
    let missing = 0;
    const latencies: number[] = [];
    for (let k = 0; k < sent.length; k++) {
      const at = arrivals.map((a) => a[String(k)]);
      missing += at.filter((t) => t === undefined).length;
      const present = at.filter((t): t is number => t !== undefined);
      if (present.length > 0) latencies.push(Math.max(...present) - sent[k]!);
    }
    latencies.sort((a, b) => a - b);
    result.missing = missing;
    result.p50Ms = round(percentile(latencies, 50), 1);
    result.p99Ms = round(percentile(latencies, 99), 1);
    result.maxMs = round(latencies.at(-1) ?? NaN, 1);
    await sleep(500);
    teacher.send({ type: 'digest' });
    for (const s of studentProcs) s.send({ type: 'digest' });
    const teacherDigest = (await teacher.next('digest', 30_000)).digests as Array<{ count: number; hash: string }>;
    const studentDigests = await Promise.all(studentProcs.map((s) => s.next('digest', 30_000)));
    for (const s of studentProcs) s.send({ type: 'census', teacher: teacherPeerId });
    result.census = (await Promise.all(studentProcs.map((s) => s.next('census', 30_000)))).map((c) => ({ connections: c.connections as number, linked: c.linked as number, toTeacher: c.toTeacher as number, students: c.students as number }));
    result.studentsRssMb = studentDigests.map((m) => round((m.rss as number) / 2 ** 20, 1));
    const all = studentDigests.flatMap((m) => m.digests as Array<{ count: number; hash: string }>);
    result.converged = all.length === n && all.every((d) => d.hash === teacherDigest[0]!.hash && d.count === teacherDigest[0]!.count);
    return result;
  } catch (e) {
    result.ok = false;
    result.note = String(e);
    return result;
  } finally {
    await Promise.all([...studentProcs, teacher].map((c) => c.stop()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      students: { type: 'string' }, procs: { type: 'string' }, edits: { type: 'string' }, interval: { type: 'string' }, idle: { type: 'string' },
      timeout: { type: 'string' }, stagger: { type: 'string' }, signed: { type: 'boolean' }, json: { type: 'string' },
    },
    strict: true,
  });
  const sizes = (values.students ?? '10,25,50').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--students takes a comma-separated list of positive integers');
  const opts = {
    procs: Number(values.procs ?? 2), edits: Number(values.edits ?? 30), intervalMs: Number(values.interval ?? 200), idleMs: Number(values.idle ?? 5) * 1000,
    timeoutMs: Number(values.timeout ?? 120) * 1000, staggerMs: Number(values.stagger ?? 50), signed: values.signed === true,
  };
  const relay = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', processMetrics: false, limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
  const results: SizeResult[] = [];
  let limit: number | null = null;
  try {
    for (const n of sizes) {
      process.stderr.write(`hub: ${n} students (${opts.signed ? 'signed' : 'unsigned'}) in ${Math.min(opts.procs, n)} processes\n`);
      const r = await runSize(n, opts, relay.url);
      results.push(r);
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      if (!r.ok) { limit = n; break; }
    }
  } finally {
    await relay.close();
  }
  const cell = (v: number | boolean | null): string | number => v === null ? '—' : typeof v === 'boolean' ? (v ? 'yes' : 'NO') : v;
  printTable(`teacher's data hub: star of data-only links, ${opts.signed ? 'signed' : 'unsigned'} peers, @roamhq/wrtc, relay on 127.0.0.1, ${opts.edits} teacher chat messages every ${opts.intervalMs} ms`,
    ['students', 'links', 'links up s', 'teacher RSS MB', '(no students)', 'teacher CPU s/s idle', 'p50 ms', 'p99 ms', 'missing', 'converged'],
    results.map((r) => [String(r.students), String(r.links), r.linksMs === null ? '—' : round(r.linksMs / 1000, 1), cell(r.teacherRssMb), r.teacherBaseRssMb, r.teacherCpuPerSecond === null ? '—' : r.teacherCpuPerSecond.toFixed(3), cell(r.p50Ms), cell(r.p99Ms), r.missing === null ? '—' : String(r.missing), cell(r.converged)]));
  for (const r of results) if (r.note !== undefined) console.log(`${r.students}: ${r.note}`);
  if (limit !== null) console.log(`limit: links did not all come up at ${limit} students`);
  writeJson(values.json, { ...opts, cores: (await import('node:os')).cpus().length, results, limit });
}

const childConfig = process.env.HUB_CHILD;
if (childConfig !== undefined) {
  const cfg = JSON.parse(childConfig) as ChildConfig;
  await (cfg.role === 'teacher' ? teacherChild(cfg) : studentsChild(cfg));
} else {
  await main();
  process.exit(0);
}
