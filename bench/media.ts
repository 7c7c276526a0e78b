/**
 * Media benchmark: teacher + N students in Chromium (fake 320×240@15 cameras), classroom topology vs full mesh.
 * Measures, over a steady window: video uplinks (sender→receiver pairs whose video bytes grow), bytes sent per
 * second by all peers (every transport: media + data), and the teacher's CPU time (its own Chromium instance,
 * all processes, from CDP SystemInfo.getProcessInfo).
 *
 * The `classroom-staged` run also times the stage switch (teacher's `setStage` → every other peer decodes the staged
 * student) twice: cold, staging s2 who never raised a hand (it opens a connection to every student at that moment),
 * then warm, staging s1 after it raised its hand and became the standby (head of the hand queue, linked data-only to
 * everyone while waiting), so the switch only adds tracks to links that are up.
 *
 *   npm run bench:media -- --students 6 --json bench/results/media-6.json
 *
 * `--sfu` measures lecture mode instead (issue 13): a loopback Janus beside the relay, then two runs of the classroom
 * topology in one process, `p2p` (lecture mode disabled: the teacher's star) and `sfu` (lecture mode from the start:
 * threshold 0, so the teacher publishes once to Janus and every student receives it there). Per run, over the window:
 * the teacher's video uplinks (teacher → receiver video streams whose bytes grow; the one SFU upstream counts 1), the
 * teacher's bytes sent per second on every transport (peer connections + SFU publisher + SFU subscriber), the
 * teacher's CPU in ms per second of wall time. With `--sfu` the staged and mesh runs are skipped.
 *
 *   npm run bench:media -- --students 12 --sfu --json bench/results/media-sfu-12.json
 */
import type { Browser, Page } from 'playwright-core';
import { startRelay } from '../signaling/index.js';
import { bundleForBrowser, servePages } from '../harness/browserBundle.js';
import { launchChromium } from '../harness/chromium.js';
import { startJanus, type JanusServer } from '../harness/janus.js';
import { benchArgs, printTable, round, writeJson } from './support/report.js';

const args = benchArgs({ students: 6, windowMs: 10_000 }, ['sfu']);

interface StageSwitch {
  /** Staging the standby (s1, hand raised, links up): setStage → every other peer decodes it. */
  stageSwitchMs: number;
  /** RTCPeerConnections all pages opened during the warm switch (0 when it was only a renegotiation). */
  stageSwitchNewConnections: number;
  /** Phases of the warm switch, the last peer each: sees the signed stage; gets the staged student's video track. */
  stageSwitchSeenMs: number;
  stageSwitchTrackMs: number;
  /** Staging a student without a raised hand (s2, no links to the students): the old path. Absent with 1 student. */
  stageSwitchColdMs?: number;
  stageSwitchColdNewConnections?: number;
}
interface Result extends Partial<StageSwitch> { videoUplinks: number; bytesPerSec: number; teacherCpuMs: number }
type Mode = 'classroom' | 'classroom-staged' | 'mesh';
type Stats = Awaited<ReturnType<Window['room']['stats']>>;
type LectureStats = Awaited<ReturnType<Window['room']['lectureStats']>>;
/** One route of the `--sfu` bench, the teacher's side; CPU in ms per second of wall time. */
interface LectureResult {
  teacherVideoUplinks: number; teacherUplinkBytesPerSec: number; teacherCpuMs: number;
  /** Teacher's video bytes/s on peer connections and towards the SFU (part of teacherUplinkBytesPerSec). */
  teacherP2pVideoBytesPerSec: number; teacherSfuVideoBytesPerSec: number;
  /** Bytes sent per second by every page on every transport (context: the students' side of the class). */
  allPeersBytesPerSec: number;
  /** Seconds from the first student's start until the class was steady (everyone decodes the teacher; in sfu mode, handed over). */
  settleSeconds: number;
}

// Janus first (only for --sfu): the relay hands its URL to every class. Stopped at the end, also on failure.
let janus: JanusServer | undefined;
if (args.sfu) janus = await startJanus();
const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, ...(janus !== undefined ? { sfuServers: [janus.url] } : {}), limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } }).catch(async (e: unknown) => { await janus?.stop(); throw e; });
const server = await servePages({
  '/index.html': '<!doctype html><body><script type="module" src="/page.js"></script></body>',
  '/page.js': await bundleForBrowser('test/fixtures/classroomPage.ts'),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function teacherCpuMs(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const info = await cdp.send('SystemInfo.getProcessInfo') as { processInfo: Array<{ cpuTime: number }> };
  await cdp.detach();
  return info.processInfo.reduce((sum, p) => sum + p.cpuTime, 0) * 1000;
}

const opened = (pages: Page[]): Promise<number> => Promise.all(pages.map((p) => p.evaluate(() => window.room.opened.length))).then((n) => n.reduce((a, b) => a + b, 0));

/**
 * setStage(`staged`) → every other page decodes its video. Returns that time, the time until the last peer saw the
 * stage and until the last one got the video track (phases, one wait after the other per page), and the
 * RTCPeerConnections opened meanwhile.
 */
async function timeStageSwitch(teacher: Page, pages: Page[], staged: string): Promise<{ ms: number; seenMs: number; trackMs: number; newConnections: number }> {
  const others = [];
  for (const page of pages) if (await page.evaluate(() => window.room.classroom.peerId) !== staged) others.push(page);
  const openedBefore = await opened(pages);
  const t0 = Date.now();
  let seenMs = 0;
  let trackMs = 0;
  const poll = { timeout: 180_000, polling: 50 };
  await teacher.evaluate((id) => window.room.classroom.setStage(id), staged);
  await Promise.all(others.map(async (page) => {
    await page.waitForFunction((id) => window.room.classroom.stage() === id, staged, poll);
    seenMs = Math.max(seenMs, Date.now() - t0);
    await page.waitForFunction((id) => window.room.subscribed.some((e) => e.peerId === id && e.kind === 'camera'), staged, poll);
    trackMs = Math.max(trackMs, Date.now() - t0);
    await page.waitForFunction((id) => window.room.stats().then((s) => (s.decoded[id] ?? 0) > 0), staged, poll);
  }));
  const ms = Date.now() - t0;
  return { ms, seenMs, trackMs, newConnections: (await opened(pages)) - openedBefore };
}

/** Cold switch to s2 (no hand, no links), back to no stage, then s1 raises its hand, becomes standby, warm switch to s1. */
async function measureStageSwitch(teacher: Page, students: Page[]): Promise<StageSwitch> {
  const pages = [teacher, ...students];
  const out: Partial<StageSwitch> = {};
  if (students.length >= 2) {
    const cold = await timeStageSwitch(teacher, pages, 's2');
    out.stageSwitchColdMs = cold.ms;
    out.stageSwitchColdNewConnections = cold.newConnections;
    await teacher.evaluate(() => window.room.classroom.setStage(null));
    // Its links to the other students close again (the topology review) before the warm run.
    for (const [i, page] of students.entries()) {
      if (i !== 1) await page.waitForFunction(() => !window.room.linked().includes('s2'), undefined, { timeout: 60_000, polling: 200 });
    }
    await sleep(2000);
  }
  await students[0]!.evaluate(() => window.room.classroom.raiseHand());
  // Standby links up: every other peer linked to s1, and s1 to every other peer.
  for (const [i, page] of pages.entries()) {
    if (i === 1) await page.waitForFunction((n) => window.room.linked().length >= n, pages.length - 1, { timeout: 120_000, polling: 200 });
    else await page.waitForFunction(() => window.room.linked().includes('s1'), undefined, { timeout: 120_000, polling: 200 });
  }
  await sleep(2000);
  const warm = await timeStageSwitch(teacher, pages, 's1');
  return { ...out, stageSwitchMs: warm.ms, stageSwitchNewConnections: warm.newConnections, stageSwitchSeenMs: warm.seenMs, stageSwitchTrackMs: warm.trackMs };
}

async function run(mode: Mode): Promise<Result> {
  const teacherBrowser = await launchChromium();
  const studentBrowser = await launchChromium();
  try {
    const open = async (browser: Browser): Promise<Page> => {
      const page = await (await browser.newContext()).newPage();
      // Generous: with 20 students (and whatever else shares the machine) a page can take well over the 30 s default.
      await page.goto(server.url, { timeout: 180_000 });
      await page.waitForFunction(() => typeof window.startClassroom === 'function', undefined, { timeout: 180_000 });
      return page;
    };
    const teacher = await open(teacherBrowser);
    const teacherKey = await teacher.evaluate(() => window.makeIdentity());
    const cls = { url: relay.url, classId: 'bench-' + Math.random().toString(36).slice(2), secret: 'bench-secret', teacherKey };
    const roomMode = mode === 'mesh' ? 'mesh' : 'classroom';
    await teacher.evaluate(([c, m]) => window.startClassroom({ ...c, name: 't', peerId: 't', teacher: true, mode: m }), [cls, roomMode] as const);
    const students: Page[] = [];
    for (let i = 1; i <= args.students; i++) {
      const page = await open(studentBrowser);
      await page.evaluate(([c, id, m]) => window.startClassroom({ ...c, name: id, peerId: id, mode: m }), [cls, 's' + i, roomMode] as const);
      students.push(page);
    }
    const pages = [teacher, ...students];
    let stageSwitch: StageSwitch | undefined;
    if (mode === 'classroom-staged') {
      // Stage switch: from the teacher's call to every other peer decoding the staged student's video.
      for (const page of pages) await page.waitForFunction(() => window.room.stats().then((s) => (s.decoded.t ?? 0) > 0 || window.room.classroom.role === 'teacher'), undefined, { timeout: 120_000, polling: 500 });
      stageSwitch = await measureStageSwitch(teacher, students);
      console.log(`stage switch measured: ${JSON.stringify(stageSwitch)}`);
    }
    // Every peer must be decoding everything it should before the window opens.
    const expectedSenders = (id: string): number => mode === 'mesh' ? args.students : mode === 'classroom' ? (id === 't' ? 0 : 1) : (id === 't' || id === 's1' ? 1 : 2);
    for (const [i, page] of pages.entries()) {
      const id = i === 0 ? 't' : 's' + i;
      await page.waitForFunction((n) => window.room.stats().then((s) => Object.values(s.decoded).filter((f) => f > 0).length >= n), expectedSenders(id), { timeout: 180_000, polling: 1000 });
    }
    await sleep(3000);
    const statsAll = (): Promise<Stats[]> => Promise.all(pages.map((p) => p.evaluate(() => window.room.stats())));
    const before = await statsAll();
    const cpuBefore = await teacherCpuMs(teacherBrowser);
    const started = Date.now();
    await sleep(args.windowMs);
    const after = await statsAll();
    const cpuAfter = await teacherCpuMs(teacherBrowser);
    const seconds = (Date.now() - started) / 1000;
    let videoUplinks = 0;
    let bytes = 0;
    for (const [i, a] of after.entries()) {
      const b = before[i]!;
      for (const [remote, sent] of Object.entries(a.sentTo)) if (sent > (b.sentTo[remote] ?? 0)) videoUplinks++;
      bytes += a.totalBytesSent - b.totalBytesSent;
    }
    return {
      videoUplinks, bytesPerSec: round(bytes / seconds, 0), teacherCpuMs: round((cpuAfter - cpuBefore) / seconds, 0),
      ...stageSwitch,
    };
  } finally {
    await teacherBrowser.close();
    await studentBrowser.close();
  }
}

/**
 * Teacher + N students in the classroom topology, `p2p` (lecture mode disabled) or `sfu` (lecture mode from the start),
 * measured from the teacher's side once the class is steady.
 */
async function runLecture(route: 'p2p' | 'sfu'): Promise<LectureResult> {
  const teacherBrowser = await launchChromium();
  const studentBrowser = await launchChromium();
  try {
    const open = async (browser: Browser, id: string): Promise<Page> => {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (e) => console.error(`[${route}] ${id} page error:`, e));
      await page.goto(server.url, { timeout: 180_000 });
      await page.waitForFunction(() => typeof window.startClassroom === 'function', undefined, { timeout: 180_000 });
      return page;
    };
    const lecture = route === 'sfu' ? { threshold: 0, floorBitrate: 0, enterAfterMs: 0 } : { enabled: false };
    const teacher = await open(teacherBrowser, 't');
    const teacherKey = await teacher.evaluate(() => window.makeIdentity());
    const cls = { url: relay.url, classId: `bench-${route}-` + Math.random().toString(36).slice(2), secret: 'bench-secret-' + Math.random(), teacherKey };
    await teacher.evaluate(([c, l]) => window.startClassroom({ ...c, name: 't', peerId: 't', teacher: true, mode: 'classroom', lecture: l }), [cls, lecture] as const);
    const t0 = Date.now();
    const students: Page[] = [];
    for (let i = 1; i <= args.students; i++) {
      const page = await open(studentBrowser, 's' + i);
      await page.evaluate(([c, id, l]) => window.startClassroom({ ...c, name: id, peerId: id, mode: 'classroom', lecture: l }), [cls, 's' + i, lecture] as const);
      students.push(page);
    }
    const pages = [teacher, ...students];
    const lectureStats = (page: Page): Promise<LectureStats> => page.evaluate(() => window.room.lectureStats());
    const framesOfT = async (page: Page): Promise<number> => route === 'sfu'
      ? (await lectureStats(page)).decodedViaSfu.t ?? 0
      : (await page.evaluate(() => window.room.stats())).decoded.t ?? 0;
    // Every student decodes the teacher on the route measured: the count grows between two samples.
    for (const [i, page] of students.entries()) {
      const deadline = Date.now() + 240_000;
      let last = -1;
      for (;;) {
        const n = await framesOfT(page);
        if (last > 0 && n > last) break;
        last = n;
        if (Date.now() > deadline) {
          const seen = await page.evaluate(() => ({ linked: window.room.linked(), opened: window.room.opened, route: window.room.classroom.lecture.route }));
          const t = await teacher.evaluate(() => ({ linked: window.room.linked().length, opened: window.room.opened.length }));
          const ts = await lectureStats(teacher);
          throw new Error(`[${route}] s${i + 1} does not decode t (frames ${n}); s${i + 1}: ${JSON.stringify(seen)}; teacher: ${JSON.stringify({ ...t, p2pVideoSenders: ts.p2pVideoSenders, sfuVideoSenders: ts.sfuVideoSenders, route: ts.route })}`);
        }
        await sleep(1000);
      }
    }
    // The teacher handed over: no video on its peer connections, one sender towards the SFU (sfu); the star (p2p).
    const deadline = Date.now() + 240_000;
    for (;;) {
      const st = await lectureStats(teacher);
      const ok = route === 'sfu'
        ? st.route === 'sfu' && st.p2pVideoSenders === 0 && st.sfuVideoSenders === 1
        : st.route === 'p2p' && st.sfuVideoSenders === 0 && st.p2pVideoSenders === args.students;
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`[${route}] teacher not settled: ${JSON.stringify({ ...st, decodedViaSfu: undefined })}`);
      await sleep(1000);
    }
    const settleSeconds = round((Date.now() - t0) / 1000, 1);
    console.log(`[${route}] steady after ${settleSeconds} s (${args.students} students decode t${route === 'sfu' ? ' through Janus, teacher handed over' : ' peer to peer'})`);
    await sleep(3000);
    const sample = () => Promise.all([
      Promise.all(pages.map(lectureStats)),
      teacher.evaluate(() => window.room.stats()),
    ]);
    const [beforeAll, beforeT] = await sample();
    const cpuBefore = await teacherCpuMs(teacherBrowser);
    const started = Date.now();
    await sleep(args.windowMs);
    const [afterAll, afterT] = await sample();
    const cpuAfter = await teacherCpuMs(teacherBrowser);
    const seconds = (Date.now() - started) / 1000;
    const b = beforeAll[0]!;
    const a = afterAll[0]!;
    let teacherVideoUplinks = 0;
    for (const [remote, sent] of Object.entries(afterT.sentTo)) if (sent > (beforeT.sentTo[remote] ?? 0)) teacherVideoUplinks++;
    if (a.sfuVideoBytes > b.sfuVideoBytes) teacherVideoUplinks++;
    let allBytes = 0;
    for (const [i, x] of afterAll.entries()) allBytes += x.totalBytesSent - beforeAll[i]!.totalBytesSent;
    return {
      teacherVideoUplinks,
      teacherUplinkBytesPerSec: round((a.totalBytesSent - b.totalBytesSent) / seconds, 0),
      teacherCpuMs: round((cpuAfter - cpuBefore) / seconds, 0),
      teacherP2pVideoBytesPerSec: round((a.p2pVideoBytes - b.p2pVideoBytes) / seconds, 0),
      teacherSfuVideoBytesPerSec: round((a.sfuVideoBytes - b.sfuVideoBytes) / seconds, 0),
      allPeersBytesPerSec: round(allBytes / seconds, 0),
      settleSeconds,
    };
  } finally {
    await teacherBrowser.close();
    await studentBrowser.close();
  }
}

/** A route that fails (e.g. a page never decodes the teacher under load) is reported as such; the other still runs. */
async function tryLecture(route: 'p2p' | 'sfu'): Promise<LectureResult | { error: string }> {
  try {
    const result = await runLecture(route);
    console.log(`[${route}] ${JSON.stringify(result)}`);
    return result;
  } catch (e) {
    console.error(`[${route}] failed: ${String(e)}`);
    return { error: String(e) };
  }
}

async function benchLecture(): Promise<void> {
  // Lecture mode first: at 20 students on 2 shared cores the star is the run likelier to time out.
  const sfuOrError = await tryLecture('sfu');
  const p2pOrError = await tryLecture('p2p');
  if ('error' in p2pOrError || 'error' in sfuOrError) {
    writeJson(args.json, { students: args.students, windowMs: args.windowMs, p2p: p2pOrError, sfu: sfuOrError });
    throw new Error('a route failed (see above)');
  }
  const p2p = p2pOrError;
  const sfu = sfuOrError;
  const keys = ['teacherVideoUplinks', 'teacherUplinkBytesPerSec', 'teacherCpuMs', 'allPeersBytesPerSec'] as const;
  const ratio = Object.fromEntries(keys.map((k) => [k, round(sfu[k] / p2p[k])])) as Record<typeof keys[number], number>;
  printTable(`media --sfu: teacher + ${args.students} students (Chromium, fake 320×240@15 video, classroom topology), ${args.windowMs} ms window; teacher CPU in ms of CPU per second (its own Chromium, all processes)`,
    ['route', 'teacher video uplinks', 'teacher uplink bytes/s (all transports)', 'teacher CPU ms/s', 'all peers bytes/s'],
    [['p2p (star)', p2p.teacherVideoUplinks, p2p.teacherUplinkBytesPerSec, p2p.teacherCpuMs, p2p.allPeersBytesPerSec],
     ['sfu (lecture)', sfu.teacherVideoUplinks, sfu.teacherUplinkBytesPerSec, sfu.teacherCpuMs, sfu.allPeersBytesPerSec],
     ['sfu/p2p', ratio.teacherVideoUplinks, ratio.teacherUplinkBytesPerSec, ratio.teacherCpuMs, ratio.allPeersBytesPerSec]]);
  writeJson(args.json, {
    students: args.students, windowMs: args.windowMs,
    teacherCpuUnit: 'ms of CPU per second of wall time (delta over the window / window seconds)',
    teacherUplinkUnit: 'bytes per second, all transports (peer connections + SFU publisher + SFU subscriber)',
    p2p, sfu, ratio,
  });
}

try {
  if (args.sfu) {
    await benchLecture();
  } else {
    const staged = await run('classroom-staged');
    const classroom = await run('classroom');
    const mesh = await run('mesh');
    const ratio = {
      videoUplinks: round(classroom.videoUplinks / mesh.videoUplinks),
      bytesPerSec: round(classroom.bytesPerSec / mesh.bytesPerSec),
      teacherCpuMs: round(classroom.teacherCpuMs / mesh.teacherCpuMs),
    };
    printTable(`media: teacher + ${args.students} students (Chromium, fake 320×240@15 video), ${args.windowMs} ms window; teacher CPU in ms per second`,
      ['topology', 'video uplinks', 'bytes/s (all peers)', 'teacher CPU ms/s'],
      [['classroom', classroom.videoUplinks, classroom.bytesPerSec, classroom.teacherCpuMs],
       ['classroom + stage', staged.videoUplinks, staged.bytesPerSec, staged.teacherCpuMs],
       ['mesh', mesh.videoUplinks, mesh.bytesPerSec, mesh.teacherCpuMs],
       ['classroom/mesh', ratio.videoUplinks, ratio.bytesPerSec, ratio.teacherCpuMs]]);
    console.log(`stage switch (setStage → every other peer decodes the staged student): ${staged.stageSwitchMs} ms staging the standby (hand raised, links up; ${staged.stageSwitchNewConnections} new connections; all saw the stage at ${staged.stageSwitchSeenMs} ms, had its track at ${staged.stageSwitchTrackMs} ms)`
      + (staged.stageSwitchColdMs !== undefined ? `, ${staged.stageSwitchColdMs} ms cold (no hand; ${staged.stageSwitchColdNewConnections} new connections), cold/warm ${round(staged.stageSwitchColdMs / staged.stageSwitchMs!)}` : ''));
    writeJson(args.json, { students: args.students, windowMs: args.windowMs, teacherCpuUnit: 'ms of CPU per second of wall time', classroom, classroomStaged: staged, mesh, ratio });
  }
} finally {
  await server.close();
  await relay.close();
  await janus?.stop();
}
process.exit(0);
