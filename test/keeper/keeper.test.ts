// The keeper as a real process (bin/peerclass-keeper.js through tsx) against a real relay on 127.0.0.1:
// a teacher's board and chat survive everyone leaving and a keeper restart, and reach the next day's student
// from the keeper alone. Plus the CLI's exits: --help, a bad link, an unwritable folder, an unreachable relay.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startRelay, type Relay } from '../../signaling/index.js';
import {
  Classroom, chatType, createJoinLink, createTeacherIdentity, randomClassId, randomSecret, whiteboardType,
} from '../../src/index.js';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import { createClassDoc } from '../../src/doctypes/replay.js';
import { readUpdateLog } from '../../src/persistence/file.js';
import { classFileName } from '../../src/keeper/store.js';
import { spawnTracked, waitUntil, type TrackedProcess } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

const BIN = 'bin/peerclass-keeper.js';
const work = mkdtempSync(join(tmpdir(), 'peerclass-keeper-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the keeper CLI to its exit (for the error paths); bounded. */
async function runToExit(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const proc = spawnTracked(process.execPath, [BIN, ...args]);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`keeper did not exit within ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
      proc.child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
      if (proc.child.exitCode !== null) { clearTimeout(timer); resolve(proc.child.exitCode); }
    });
    // Let the pipes drain so the output is complete.
    await new Promise((r) => setTimeout(r, 50));
    return { code, output: proc.output() };
  } finally {
    await proc.stop();
  }
}

/** Starts a keeper and waits until it reached the relay and keeps the class. */
async function startKeeperProcess(relayUrl: string, link: string, dir: string): Promise<TrackedProcess> {
  const proc = spawnTracked(process.execPath, [BIN, '--signaling', relayUrl, '--link', link, '--dir', dir, '--name', 'Keeper', '--log-level', 'debug']);
  try {
    await waitUntil(() => /"msg":"keeping the class"/.test(proc.output()) || proc.child.exitCode !== null, 'the keeper to join', 30_000);
  } catch (error) {
    await proc.stop();
    throw new Error(`${String(error)}\n${proc.output()}`);
  }
  if (proc.child.exitCode !== null) throw new Error(`keeper exited with ${proc.child.exitCode}:\n${proc.output()}`);
  return proc;
}

/** Stops a keeper with SIGTERM and returns its exit code (it flushes and leaves first). */
async function stopKeeper(proc: TrackedProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => {
    if (proc.child.exitCode !== null) resolve(proc.child.exitCode);
    proc.child.once('exit', (code) => resolve(code));
  });
  await proc.stop(10_000);
  return await exited;
}

/** What the keeper's file holds, read the way the keeper loads it. */
function readKeptClass(file: string): { chat: string[]; board: number } {
  const doc = createClassDoc();
  if (existsSync(file)) {
    const updates = readUpdateLog(new Uint8Array(readFileSync(file)));
    if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates));
  }
  const docs = new DocumentSet(doc, { peerId: 'reader', name: 'reader', role: 'student' });
  const chat = docs.register(chatType).messages().map((m) => m.text);
  const board = docs.register(whiteboardType).elements().length;
  docs.destroy();
  return { chat, board };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('peerclass-keeper', () => {
  it('holds the board and chat across everyone leaving and a restart, and serves the next day\'s student alone', async () => {
    const relay: Relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const identity = await createTeacherIdentity();
    const params = { classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey };
    const link = createJoinLink('http://127.0.0.1:4444/', params);
    const dir = join(work, 'day');
    const file = join(dir, classFileName(params.classId));
    const rooms: Classroom[] = [];
    let keeper: TrackedProcess | undefined;
    const context = (): string => `\n--- keeper output ---\n${keeper?.output().split('\n').filter((l) => !/update persisted|peer input ignored/.test(l)).slice(-40).join('\n')}`;
    try {
      // Day 1: the keeper is in the class, the teacher draws and chats.
      keeper = await startKeeperProcess(relay.url, link, dir);
      const teacher = await Classroom.create({ signaling: relay.url, ...params, identity, name: 'Ms Rivera', rtc: nodeRtc, WebSocket: NodeWebSocket, statsIntervalMs: 0 });
      rooms.push(teacher);
      await waitUntil(() => teacher.participants().some((p) => p.name === 'Keeper' && p.role === 'student' && p.connected), 'the teacher to see the keeper as a connected student', 30_000)
        .catch((e: unknown) => { throw new Error(`${String(e)}${context()}`); });
      // The teacher trusts the keeper to serve others' content to late joiners (write policies accept anti-entropy
      // from the teacher and the keepers it signed for only).
      const keeperId = teacher.participants().find((p) => p.name === 'Keeper')!.peerId;
      await teacher.admission.trustKeeper(keeperId);
      const board = teacher.doc(whiteboardType);
      board.addInk({ pageId: 'main', points: [[0, 0], [10, 20], [20, 10], [30, 30]], color: '#ff0000', width: 4 });
      board.addShape({ pageId: 'main', kind: 'rect', x: 5, y: 5, w: 50, h: 40 });
      board.addText({ pageId: 'main', x: 100, y: 100, text: 'Photosynthesis' });
      teacher.doc(chatType).send('Homework: chapter 3');
      teacher.doc(chatType).send('See you tomorrow');
      const expected = { chat: ['Homework: chapter 3', 'See you tomorrow'], board: 3 };
      expect(board.elements()).toHaveLength(3);
      // Every update reaches the keeper's disk while the class is running (not only at shutdown).
      await waitUntil(() => { const kept = readKeptClass(file); return kept.board === 3 && kept.chat.length === 2; }, 'the keeper to write the board and chat to disk', 20_000)
        .catch((e: unknown) => { throw new Error(`${String(e)}${context()}`); });

      // Everyone leaves; then the keeper restarts (SIGTERM: flush, leave, exit 0; start again on the same folder).
      teacher.leave();
      await sleep(2500); // the provider closes its peer connections once their channels finished closing (≤ 2 s)
      expect(await stopKeeper(keeper)).toBe(0);
      expect(keeper.output()).toMatch(/"msg":"left the class; all updates are on disk"/);
      expect(existsSync(`${file}.lock`)).toBe(false);
      keeper = await startKeeperProcess(relay.url, link, dir);
      expect(keeper.output()).toMatch(/"msg":"class file loaded"/);

      // Day 2: a student with a fresh document joins; nobody but the keeper is online.
      const student = await Classroom.create({ signaling: relay.url, ...params, name: 'Sam', doc: createClassDoc(), rtc: nodeRtc, WebSocket: NodeWebSocket, statsIntervalMs: 0 });
      rooms.push(student);
      expect(student.doc(chatType).messages()).toHaveLength(0);
      await waitUntil(() => student.doc(chatType).messages().length === 2 && student.doc(whiteboardType).elements().length === 3, 'the student to get the board and chat from the keeper', 30_000)
        .catch((e: unknown) => { throw new Error(`${String(e)} (student has ${student.doc(chatType).messages().length} messages, ${student.doc(whiteboardType).elements().length} elements)${context()}`); });
      expect(student.doc(chatType).messages().map((m) => m.text)).toEqual(expected.chat);
      expect(student.doc(chatType).messages().every((m) => m.authorName === 'Ms Rivera')).toBe(true);
      expect(student.doc(whiteboardType).elements().map((e) => e.kind).sort()).toEqual(['ink', 'rect', 'text']);
      // Presence (awareness) may land a moment after the documents: the keeper is the only other one online.
      const others = (): string[] => student.participants().filter((p) => p.connected && p.peerId !== student.peerId).map((p) => p.name);
      await waitUntil(() => others().length > 0, 'the student to see the keeper\'s presence', 10_000);
      expect(others()).toEqual(['Keeper']);

      // What the student writes on day 2 is kept too.
      student.doc(chatType).send('Done with chapter 3');
      await waitUntil(() => readKeptClass(file).chat.includes('Done with chapter 3'), 'the keeper to keep day 2\'s chat', 20_000);
    } finally {
      for (const room of rooms) room.leave();
      await sleep(2500);
      if (keeper !== undefined) await stopKeeper(keeper);
      await relay.close();
    }
  }, 150_000);

  it('--help prints the usage and exits 0', async () => {
    const { code, output } = await runToExit(['--help']);
    expect(code).toBe(0);
    expect(output).toMatch(/Usage: peerclass-keeper --signaling URL --link JOIN_LINK --dir DATA_DIR/);
    expect(output).toMatch(/Exit codes:/);
  }, 40_000);

  it('a bad link exits 2 and says what is wrong with it', async () => {
    const { code, output } = await runToExit(['--signaling', 'ws://127.0.0.1:9', '--link', 'http://127.0.0.1:4444/#class=abc', '--dir', join(work, 'bad-link')]);
    expect(code).toBe(2);
    expect(output).toMatch(/bad --link: join link: missing secret, teacher/);
    expect(existsSync(join(work, 'bad-link'))).toBe(false);
  }, 40_000);

  it('an unwritable data directory exits 2 with a message naming it', async () => {
    const identity = await createTeacherIdentity();
    const link = createJoinLink('http://127.0.0.1:4444/', { classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey });
    // A regular file where a folder should be: unwritable even for root (sessions and CI run as root).
    const blocker = join(work, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const { code, output } = await runToExit(['--signaling', 'ws://127.0.0.1:9', '--link', link, '--dir', join(blocker, 'data')]);
    expect(code).toBe(2);
    expect(output).toMatch(/cannot create the data directory .*not-a-dir\/data/);
  }, 40_000);

  it('an unreachable relay exits 3 after --connect-timeout with a clear message, and the folder is left unlocked', async () => {
    const identity = await createTeacherIdentity();
    const params = { classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey };
    const link = createJoinLink('http://127.0.0.1:4444/', params);
    const dir = join(work, 'no-relay');
    // Port 9 (discard) on loopback: nothing listens there.
    const { code, output } = await runToExit(['--signaling', 'ws://127.0.0.1:9', '--link', link, '--dir', dir, '--connect-timeout', '2']);
    expect(code).toBe(3);
    expect(output).toMatch(/cannot reach the relay at ws:\/\/127\.0\.0\.1:9 within 2 s/);
    expect(existsSync(join(dir, `${classFileName(params.classId)}.lock`))).toBe(false);
  }, 40_000);
});
