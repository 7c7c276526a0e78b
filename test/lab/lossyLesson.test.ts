// Issue 12, test 5: 5 % random loss on every link (nft numgen drop at each gateway, both directions) for a scripted
// lesson — strokes from teacher and students, chat, slide changes, a stage switch after raised hands — with the
// teacher's camera on. At the end every page holds every item, the same slide and the same stage, and every student
// kept decoding the teacher's video throughout. The lab has no netem: loss only, no latency.
// The issue asks for a 3-minute lesson; the suite's time budget (~15 min on 2 cores for everything) does not fit
// that, so the suite runs LAB_LESSON_MS (default 60 s) and `npm run bench:network` runs the full 180 s.
// The script itself lives in harness/lab/lesson.ts, shared with the benchmark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLossyLesson } from '../../harness/lab/lesson.js';
import { Lab } from './lab.js';
import { startCoturn, startRelay, type LabRelay } from './services.js';

const LESSON_MS = Number(process.env.LAB_LESSON_MS ?? 60_000);
const STUDENTS = ['s1', 's2', 's3'];

let lab: Lab;
let relay: LabRelay;
beforeAll(async () => {
  lab = await Lab.create();
  relay = await startRelay(lab, await startCoturn(lab));
}, 60_000);
afterAll(async () => { await lab?.close(); }, 60_000);

describe('a lesson with 5 % loss on every link (Chromium in the network lab)', () => {
  it(`${LESSON_MS / 1000} s of strokes, chat, slides and a stage switch with the teacher's camera on: converged, video kept decoding`, async () => {
    const r = await runLossyLesson(lab, relay.url, {
      lessonMs: LESSON_MS, lossPercent: 5, students: STUDENTS, video: { width: 160, height: 120, frameRate: 15 },
    });
    console.log(`[lab] lossy lesson (${LESSON_MS / 1000} s, 5 % loss): ${r.strokes} strokes, ${r.chats} chats, ${r.slide} slide changes, `
      + `stage ${r.stage}; converged ${r.convergeMs} ms after the last edit; teacher frames decoded per student over time ${JSON.stringify(r.frameLog)}`);
    // runLossyLesson already waited for every page to hold every item, the last slide and the stage.
    for (const count of Object.values(r.chatsByPeer)) expect(count).toBe(r.chats);
    expect(r.slide).toBeGreaterThan(0);
    // A switch happened (s1, then s2 on stage); the staged student links to every other student and the teacher.
    expect(r.stage).toBe('s2');
    expect(r.stagedLinks).toEqual(['s1', 's3', 't']);
    // The teacher's video kept decoding on every student: frames grew in every sampled interval of the lesson.
    for (let i = 1; i < r.frameLog.length; i++) {
      for (const [j, s] of STUDENTS.entries()) {
        expect(r.frameLog[i]![j]!, `${s}: frames decoded in interval ${i} ${JSON.stringify(r.frameLog)}`).toBeGreaterThan(r.frameLog[i - 1]![j]!);
      }
    }
  }, LESSON_MS + 240_000);
});
