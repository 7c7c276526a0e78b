/**
 * Media benchmark: teacher + N students in Chromium (fake 320×240@15 cameras), classroom topology vs full mesh.
 * Measures, over a steady window: video uplinks (sender→receiver pairs whose video bytes grow), bytes sent per
 * second by all peers (every transport: media + data), and the teacher's CPU time (its own Chromium instance,
 * all processes, from CDP SystemInfo.getProcessInfo).
 *
 *   npm run bench:media -- --students 6 --json bench/results/media-6.json
 */
import type { Browser, Page } from 'playwright-core';
import { startRelay } from '../signaling/index.js';
import { bundleForBrowser, servePages } from '../harness/browserBundle.js';
import { launchChromium } from '../harness/chromium.js';
import { benchArgs, printTable, round, writeJson } from './support/report.js';

const args = benchArgs({ students: 6, windowMs: 10_000 });

interface Result { videoUplinks: number; bytesPerSec: number; teacherCpuMs: number; stageSwitchMs?: number }
type Mode = 'classroom' | 'classroom-staged' | 'mesh';
type Stats = Awaited<ReturnType<Window['room']['stats']>>;

const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
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

async function run(mode: Mode): Promise<Result> {
  const teacherBrowser = await launchChromium();
  const studentBrowser = await launchChromium();
  try {
    const open = async (browser: Browser): Promise<Page> => {
      const page = await (await browser.newContext()).newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => typeof window.startClassroom === 'function');
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
    let stageSwitchMs: number | undefined;
    if (mode === 'classroom-staged') {
      // Stage switch: from the teacher's call to every other peer decoding the staged student's video.
      for (const page of pages) await page.waitForFunction(() => window.room.stats().then((s) => (s.decoded.t ?? 0) > 0 || window.room.classroom.role === 'teacher'), undefined, { timeout: 120_000, polling: 500 });
      const t0 = Date.now();
      await teacher.evaluate(() => window.room.classroom.setStage('s1'));
      await Promise.all(pages.filter((_, i) => i !== 1).map((page) => page.waitForFunction(
        () => window.room.stats().then((s) => (s.decoded.s1 ?? 0) > 0), undefined, { timeout: 60_000, polling: 100 })));
      stageSwitchMs = Date.now() - t0;
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
      ...(stageSwitchMs !== undefined ? { stageSwitchMs } : {}),
    };
  } finally {
    await teacherBrowser.close();
    await studentBrowser.close();
  }
}

try {
  const classroom = await run('classroom');
  const staged = await run('classroom-staged');
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
  console.log(`stage switch (setStage → every other peer decodes the staged student): ${staged.stageSwitchMs} ms`);
  writeJson(args.json, { students: args.students, windowMs: args.windowMs, teacherCpuUnit: 'ms of CPU per second of wall time', classroom, classroomStaged: staged, mesh, ratio });
} finally {
  await server.close();
  await relay.close();
}
process.exit(0);
