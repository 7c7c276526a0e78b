/**
 * A scripted lesson under random loss (issue 12, test 5), shared by test/lab/lossyLesson.test.ts (which asserts) and
 * bench:network (which reports): teacher and students in Chromium behind cone NATs, the teacher's camera on, loss on
 * every link, then strokes, chat, slide changes and a stage switch after raised hands, then wait until converged.
 */
import type { Page } from 'playwright-core';
import { waitUntil } from '../processes.js';
import { openLabClass } from './browser.js';
import type { Lab, LabHost } from './lab.js';
import { sleep } from './sh.js';

export interface LessonOptions {
  lessonMs: number;
  lossPercent: number;
  students: readonly string[];
  /** The teacher's fake camera (small: several encoders share a loaded 2-core machine). */
  video: { width: number; height: number; frameRate: number };
  /** How long to wait for convergence after the last edit before failing. */
  convergeTimeoutMs?: number;
}

export interface LessonResult {
  strokes: number;
  chats: number;
  slide: number;
  stage: string | null;
  /** Last edit → every page holds every item, the last slide and the stage. */
  convergeMs: number;
  /** Teacher frames decoded on each student (in `students` order), sampled about every 10 s and at the end. */
  frameLog: number[][];
  /** Links of the staged student at the end (it links every student as well as the teacher). */
  stagedLinks: string[];
  /** Chat messages each page holds at the end, by peer id. */
  chatsByPeer: Record<string, number>;
}

interface View { strokes: number; chats: string[]; slide: number | null; stage: string | null; linked: string[] }
const view = (page: Page): Promise<View> => page.evaluate(() => ({
  strokes: window.lab.strokes(), chats: window.lab.chatTexts(), slide: window.lab.classroom.slide()?.slideIndex ?? null,
  stage: window.lab.classroom.stage(), linked: window.lab.linked(),
}));
const frames = (page: Page): Promise<number> => page.evaluate(() => window.lab.framesDecoded('t'));

const TICK_MS = 1000;

/** Runs the lesson in a new class on `lab` (hosts are added here); the class's browsers are closed at the end. */
export async function runLossyLesson(lab: Lab, relayUrl: string, o: LessonOptions): Promise<LessonResult> {
  const hosts: Array<[string, LabHost]> = [['t', await lab.addHost('t', 'cone')]];
  for (const s of o.students) hosts.push([s, await lab.addHost(s, 'cone')]);
  // Stats on, so the teacher's bitrate control follows the (lossy) links as it would in a real class.
  const cls = await openLabClass(lab, relayUrl, hosts, { video: o.video, statsIntervalMs: 1000 });
  try {
    const teacher = cls.pages.get('t')!;
    const students = o.students.map((s) => cls.pages.get(s)!);
    await waitUntil(async () => (await view(teacher)).linked.join() === [...o.students].sort().join(), 'the star', 60_000, 250);
    await teacher.evaluate(() => window.lab.classroom.media.setCamera(true));
    await waitUntil(async () => (await Promise.all(students.map(frames))).every((f) => f > 0), 'every student decoding the teacher', 45_000, 500);
    // Loss from here on: the lesson is what runs under loss (joining across NATs is what tests 1/2 cover).
    for (const [, host] of hosts) await host.link.setLoss(o.lossPercent);

    let strokes = 0;
    const chats: string[] = [];
    let slide = 0;
    const frameLog: number[][] = [await Promise.all(students.map(frames))];
    const start = Date.now();
    // Two stage changes (a switch): at a third and two thirds of the lesson, the next student raises a hand.
    const stageAt = [Math.round(o.lessonMs / 3), Math.round((2 * o.lessonMs) / 3)];
    let staged = 0;
    for (let tick = 0; Date.now() - start < o.lessonMs; tick++) {
      const who = tick % students.length;
      await teacher.evaluate((l) => window.lab.draw(l), `t ${tick}`);
      await students[who]!.evaluate((l) => window.lab.draw(l), `s ${tick}`);
      strokes += 2;
      if (tick % 3 === 0) {
        const text = `${o.students[who]} says ${tick}`;
        await students[who]!.evaluate((t) => window.lab.chat(t), text);
        chats.push(text);
      }
      if (tick % 4 === 2) {
        const text = `teacher says ${tick}`;
        await teacher.evaluate((t) => window.lab.chat(t), text);
        chats.push(text);
      }
      if (tick % 10 === 5) await teacher.evaluate((i) => window.lab.classroom.setSlide(i, true), ++slide);
      if (staged < stageAt.length && staged < students.length && Date.now() - start >= stageAt[staged]!) {
        const id = o.students[staged]!;
        const page = students[staged]!;
        await page.evaluate(() => window.lab.classroom.raiseHand());
        await waitUntil(async () => (await teacher.evaluate(() => window.lab.classroom.handQueue())).includes(id), `${id}'s hand reaching the teacher`, 20_000, 200);
        await teacher.evaluate((p) => window.lab.classroom.setStage(p), id);
        await page.evaluate(() => window.lab.classroom.lowerHand());
        staged++;
      }
      if (tick % 10 === 9) frameLog.push(await Promise.all(students.map(frames)));
      await sleep(Math.max(0, start + (tick + 1) * TICK_MS - Date.now()));
    }
    const lastEdit = Date.now();
    const stage = staged === 0 ? null : o.students[staged - 1]!;
    try {
      await waitUntil(async () => {
        for (const page of cls.pages.values()) {
          const v = await view(page);
          if (v.strokes !== strokes || !chats.every((c) => v.chats.includes(c)) || v.slide !== slide || v.stage !== stage) return false;
        }
        return true;
      }, 'every page holding every item, the last slide and the stage', o.convergeTimeoutMs ?? 60_000, 200);
    } catch (error) {
      const detail: Record<string, unknown> = {};
      for (const [id, page] of cls.pages) { const v = await view(page); detail[id] = { ...v, chats: v.chats.length }; }
      throw new Error(`${(error as Error).message}; expected ${JSON.stringify({ strokes, chats: chats.length, slide, stage })}, have ${JSON.stringify(detail)}`);
    }
    const convergeMs = Date.now() - lastEdit;
    frameLog.push(await Promise.all(students.map(frames)));
    const chatsByPeer: Record<string, number> = {};
    for (const [id, page] of cls.pages) chatsByPeer[id] = (await view(page)).chats.length;
    const stagedLinks = stage === null ? [] : (await view(cls.pages.get(stage)!)).linked;
    return { strokes, chats: chats.length, slide, stage, convergeMs, frameLog, stagedLinks, chatsByPeer };
  } finally {
    for (const [, host] of hosts) await host.link.setLoss(0).catch(() => undefined);
    await cls.close();
  }
}
