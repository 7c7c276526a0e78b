/**
 * Document benchmark: a board of 10,000 strokes (~30 points each).
 * Usage: npm run bench:docs -- [--json FILE] [--strokes N]
 */
import * as Y from 'yjs';
import { benchArgs, printTable, writeJson } from './support/report.js';
import { DocumentSet } from '../src/doctypes/documentSet.js';
import { whiteboardType } from '../src/doctypes/whiteboard.js';

const args = benchArgs({ strokes: 10_000 });

function makeRand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = makeRand(7);

/** A hand-like stroke: a random walk with small steps, 25..35 points. */
function strokePoints(): Array<[number, number]> {
  const n = 25 + Math.floor(rand() * 11);
  let x = rand() * 1600;
  let y = rand() * 900;
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    x += rand() * 6 - 2;
    y += rand() * 6 - 3;
    pts.push([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  }
  return pts;
}

function peer(doc: Y.Doc, id: string) {
  return new DocumentSet(doc, { peerId: id, name: id, role: 'student' }).register(whiteboardType);
}

const strokes = args.strokes;
const colors = ['#000000', '#e03131', '#1971c2', '#2f9e44'];

const teacherDoc = new Y.Doc();
const board = peer(teacherDoc, 'teacher');
const t0 = performance.now();
for (let i = 0; i < strokes; i++) board.addInk({ pageId: 'main', points: strokePoints(), color: colors[i % colors.length], width: 3 });
const buildMs = performance.now() - t0;

const full = Y.encodeStateAsUpdate(teacherDoc);
const boardBytes = full.length;

// Late joiner: apply the full state into a fresh doc, then read it through the typed API.
const lateRuns: number[] = [];
for (let run = 0; run < 3; run++) {
  const start = performance.now();
  const late = new Y.Doc();
  Y.applyUpdate(late, full);
  const lb = peer(late, `late${run}`);
  const n = lb.elements('main').length;
  lateRuns.push(performance.now() - start);
  if (n !== strokes) throw new Error(`late joiner read ${n} strokes, expected ${strokes}`);
  lb.destroy();
  late.destroy();
}
const lateJoinMs = lateRuns.sort((a, b) => a - b)[1] ?? lateRuns[0] ?? 0;

// Offline resync: a student in sync goes offline and edits; the class edits too. On reconnect,
// sync step 2 carries encodeStateAsUpdate(doc, remoteStateVector) each way. Compare it to the sum
// of the individual updates the other side missed.
const studentDoc = new Y.Doc();
Y.applyUpdate(studentDoc, full);
const student = peer(studentDoc, 'student');
let missingUpdateBytes = 0;
const countStudent = (u: Uint8Array): void => { missingUpdateBytes += u.length; };
const countTeacher = (u: Uint8Array): void => { missingUpdateBytes += u.length; };
studentDoc.on('update', countStudent);
teacherDoc.on('update', countTeacher);
const studentIds: string[] = [];
for (let i = 0; i < 100; i++) studentIds.push(student.addInk({ pageId: 'main', points: strokePoints(), color: '#e03131' }));
for (let i = 0; i < 20; i++) student.move(studentIds[i] as string, 5, 5);
for (let i = 0; i < 100; i++) board.addInk({ pageId: 'main', points: strokePoints() });
studentDoc.off('update', countStudent);
teacherDoc.off('update', countTeacher);
const toTeacher = Y.encodeStateAsUpdate(studentDoc, Y.encodeStateVector(teacherDoc));
const toStudent = Y.encodeStateAsUpdate(teacherDoc, Y.encodeStateVector(studentDoc));
const resyncBytes = toTeacher.length + toStudent.length;
Y.applyUpdate(teacherDoc, toTeacher);
Y.applyUpdate(studentDoc, toStudent);
if (board.size !== strokes + 200 || student.size !== strokes + 200) throw new Error('resync did not converge');

const result = {
  strokes,
  boardBytes,
  bytesPerStroke: Math.round((boardBytes / strokes) * 10) / 10,
  lateJoinMs: Math.round(lateJoinMs * 10) / 10,
  resyncBytes,
  missingUpdateBytes,
  resyncRatio: Math.round((resyncBytes / missingUpdateBytes) * 1000) / 1000,
};

printTable('peerclass docs benchmark', ['measure', 'value'], [
  ['strokes', result.strokes],
  ['board bytes (full state update, v1)', result.boardBytes],
  ['bytes per stroke', result.bytesPerStroke],
  ['build ms (local, one transaction per stroke)', Math.round(buildMs)],
  ['late joiner: apply + typed read, ms (median of 3)', result.lateJoinMs],
  ['offline resync bytes (sync step 2, both directions)', result.resyncBytes],
  ['missing updates, bytes (sum of individual updates)', result.missingUpdateBytes],
  ['resync ratio (target <= 1.2)', result.resyncRatio],
]);
writeJson(args.json, result);
