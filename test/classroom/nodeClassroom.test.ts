import { providerOf } from '../helpers/providerOf.js';
import { afterEach, describe, expect, it } from 'vitest';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startRelay, type Relay } from '../../signaling/index.js';
import {
  Classroom, PeerclassProvider, createTeacherIdentity, randomClassId, randomSecret, chatType, type TeacherIdentity,
} from '../../src/index.js';
import { encodeSignedControl, signControl } from '../../src/authority/index.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

const rtc = nodeRtc;
const WS = NodeWebSocket;
let relay: Relay | undefined;
const rooms: Classroom[] = [];
afterEach(async () => {
  for (const c of rooms.splice(0)) c.leave();
  // The provider closes its RTCPeerConnections once their channels finished closing (≤ 2 s); let that happen before the worker may exit
  // (@roamhq/wrtc can crash when peer connections are torn down at process exit).
  await new Promise((r) => setTimeout(r, 4000));
  await relay?.close();
  relay = undefined;
});

interface Setup { url: string; classId: string; secret: string; teacherKey: string; identity: TeacherIdentity }

async function setup(): Promise<Setup> {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  const identity = await createTeacherIdentity();
  return { url: relay.url, classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey, identity };
}

async function join(s: Setup, name: string, teacher = false): Promise<Classroom> {
  const c = await Classroom.create({
    signaling: s.url, classId: s.classId, secret: s.secret, teacherKey: s.teacherKey, name, peerId: name, rtc, WebSocket: WS,
    ...(teacher ? { identity: s.identity } : {}),
  });
  rooms.push(c);
  return c;
}

/** Peer ids with an open data channel from `c`. */
const linked = (c: Classroom): string[] => [...providerOf(c).connections()].filter(([, pc]) => pc.link !== null).map(([id]) => id).sort();
const describeLinks = (cs: Classroom[]): string => cs.map((c) => `${c.peerId}:[${linked(c).join(',')}] stage=${c.stage()}`).join(' | ');
async function until(what: string, cs: Classroom[], predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  try { await waitUntil(predicate, what, timeoutMs); } catch (e) { throw new Error(`${String(e)} — ${describeLinks(cs)}`); }
}
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

describe('Classroom over @roamhq/wrtc through the real relay (no media)', () => {
  it('a peer that claims the teacher role without the teacher\'s proof is treated as a student and reported', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', true);
    const [s1, s2] = [await join(s, 's1'), await join(s, 's2')] as [Classroom, Classroom];
    const reports: Array<{ reason: string; writer?: string }> = [];
    s1.on('rejected', (r) => reports.push(r));
    // Knows the link (hence the public key) and announces the teacher role with a made-up proof.
    const impostor = new PeerclassProvider(s.classId, new Y.Doc(), {
      signaling: s.url, secret: s.secret, rtc, WebSocket: WS, peerId: 'x-impostor',
      self: { role: 'teacher', name: 'Totally the teacher', teacherKey: s.teacherKey, teacherProof: 'A'.repeat(86) },
      // It dials only the teacher: students must not dial it either (they would if they believed its claim). A mesh
      // impostor would also be refused, but its offers that students accept and then close crash @roamhq/wrtc.
      topology: { name: 'impostor', neighbours: (_self, known) => new Set(known.filter((p) => p.peerId === 't-teacher').map((p) => p.peerId)) },
    });
    try {
      await until('the impostor is reported', [teacher, s1, s2], () => reports.some((r) => r.writer === 'x-impostor' && /forged-teacher/.test(r.reason)));
      await until('star around the real teacher only', [teacher, s1, s2], () => sameSet(linked(teacher), ['s1', 's2', 'x-impostor']) && sameSet(linked(s1), ['t-teacher']) && sameSet(linked(s2), ['t-teacher']), 30_000);
      await until('the teacher lists the impostor', [teacher, s1, s2], () => teacher.participants().some((p) => p.peerId === 'x-impostor'));
      expect(teacher.participants().find((p) => p.peerId === 'x-impostor')?.role).toBe('student');
      await until('s1 believes only the real teacher', [teacher, s1, s2], () => sameSet(s1.participants().filter((p) => p.role === 'teacher').map((p) => p.peerId), ['t-teacher']));
    } finally {
      impostor.destroy();
    }
  });

  it('star topology, stage, forged control ignored, removal', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', true);
    const [s1, s2, s3] = [await join(s, 's1'), await join(s, 's2'), await join(s, 's3')] as [Classroom, Classroom, Classroom];
    const students = [s1, s2, s3];
    expect(teacher.role).toBe('teacher');
    expect(s1.role).toBe('student');

    const joined: string[] = [];
    const left: string[] = [];
    teacher.on('participant-joined', (p) => joined.push(p.peerId));
    teacher.on('participant-left', (id) => left.push(id));
    // Star: students reach only the teacher directly, yet data from one student reaches the others through it.
    await until('star of data channels', [teacher, ...students], () => sameSet(linked(teacher), ['s1', 's2', 's3']) && students.every((c) => sameSet(linked(c), ['t-teacher'])), 30_000);
    s1.doc(chatType).send('hello from s1');
    await waitUntil(() => [s2, s3, teacher].every((c) => c.doc(chatType).messages().some((m) => m.text === 'hello from s1')), 'chat reaches everyone via the hub');
    await waitUntil(() => teacher.participants().filter((p) => p.connected).length === 4, 'teacher sees 4 connected participants');
    expect(s3.participants().find((p) => p.peerId === 't-teacher')?.role).toBe('teacher');

    // Stage s2: it connects to every student; s1 and s3 still do not connect to each other.
    const stageEvents: Array<string | null> = [];
    s3.on('stage', (id) => stageEvents.push(id));
    await teacher.setStage('s2');
    await waitUntil(() => students.every((c) => c.stage() === 's2'), 'everyone sees the stage');
    await until('staged student linked to everyone', [teacher, ...students], () => sameSet(linked(s2), ['t-teacher', 's1', 's3']) && sameSet(linked(s1), ['t-teacher', 's2']) && sameSet(linked(s3), ['t-teacher', 's2']), 20_000);
    expect(stageEvents).toContain('s2');
    expect(s1.participants().find((p) => p.peerId === 's2')?.onStage).toBe(true);

    // s1 forges: a stage statement signed with its own key, sent as message 19 and written into the control map.
    const rejectedAtTeacher: Array<{ reason: string; writer?: string }> = [];
    const rejectedAtS3: Array<{ reason: string; writer?: string }> = [];
    teacher.on('rejected', (e) => rejectedAtTeacher.push(e));
    s3.on('rejected', (e) => rejectedAtS3.push(e));
    const forger = await createTeacherIdentity();
    const forged = encodeSignedControl(await signControl(forger, { kind: 'stage', classId: s.classId, seq: Date.now() + 1e9, issuedAt: Date.now(), body: { peerId: 's1' } }));
    s1['controlChannel'].send(forged);
    s1.ydoc.getMap('control').set('stage', forged);
    await waitUntil(() => rejectedAtTeacher.length >= 1 && rejectedAtS3.length >= 1, 'forgery reported by teacher and s3');
    expect(rejectedAtTeacher.some((e) => /bad-signature/.test(e.reason) && e.writer === 's1')).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect([teacher, ...students].map((c) => c.stage())).toEqual(['s2', 's2', 's2', 's2']);
    // The control map was repaired, so the forger's own doc holds the teacher's statement again.
    await waitUntil(() => s1.stage() === 's2' && sameSet(linked(s1), ['t-teacher', 's2']), 's1 still sees the real stage');

    // Unstage: back to the star.
    await teacher.setStage(null);
    await waitUntil(() => students.every((c) => sameSet(linked(c), ['t-teacher'])), 'star again after unstage', 20_000);

    // Remove s3: it is told, leaves, and nobody keeps a link to it.
    let removed = 0;
    s3.on('removed', () => { removed++; });
    await teacher.removeStudent('s3');
    await waitUntil(() => removed === 1, 's3 hears it was removed', 10_000);
    await waitUntil(() => sameSet(linked(teacher), ['s1', 's2']) && providerOf(s3).connections().size === 0, 'everyone dropped s3', 10_000);
    expect(teacher.participants().map((p) => p.peerId)).not.toContain('s3');
    expect([...new Set(joined)].sort()).toEqual(['s1', 's2', 's3']);
    expect(left).toContain('s3');
    expect(left).not.toContain('s1');
    s1.doc(chatType).send('after removal');
    await waitUntil(() => s2.doc(chatType).messages().some((m) => m.text === 'after removal'), 'data still flows after removal');
  }, 60_000);

  it('teacher offline: students fall back to a mesh and keep working; the returning teacher gets everything and the star is restored', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', true);
    const [a, b] = [await join(s, 'a'), await join(s, 'b')] as [Classroom, Classroom];
    const all = [teacher, a, b];
    await until('star', all, () => sameSet(linked(teacher), ['a', 'b']) && sameSet(linked(a), ['t-teacher']) && sameSet(linked(b), ['t-teacher']), 30_000);
    await teacher.lockBoard(true);
    await waitUntil(() => a.boardLocked() && b.boardLocked(), 'lock reaches students');

    teacher.leave();
    // Usually within a few seconds (the teacher's leave marks it departed); in about 1 of 3 runs here the departure is
    // missed and the fallback comes only when the relay-silent teacher is forgotten (30 s): a known gap, see the note.
    await until('students mesh without the teacher', [a, b], () => sameSet(linked(a), ['b']) && sameSet(linked(b), ['a']), 45_000);
    a.doc(chatType).send('while the teacher is away');
    await waitUntil(() => b.doc(chatType).messages().some((m) => m.text === 'while the teacher is away'), 'students sync directly');

    const back = await join(s, 't-teacher', true);
    await until('star again', [back, a, b], () => sameSet(linked(back), ['a', 'b']) && sameSet(linked(a), ['t-teacher']) && sameSet(linked(b), ['t-teacher']), 30_000);
    await waitUntil(() => back.doc(chatType).messages().some((m) => m.text === 'while the teacher is away'), 'returning teacher gets the students\' work');
    // Its fresh document got the signed lock back from the students.
    await waitUntil(() => back.boardLocked(), 'returning teacher sees its earlier lock');
  }, 100_000);

  it('raised hands form a queue in raise order; teacher-only actions refuse students', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', true);
    const [a, b, c] = [await join(s, 'a'), await join(s, 'b'), await join(s, 'c')] as [Classroom, Classroom, Classroom];
    await waitUntil(() => teacher.participants().filter((p) => p.connected).length === 4, 'all joined', 30_000);
    const queues: string[][] = [];
    teacher.on('hands', (q) => queues.push(q));
    c.raiseHand();
    await new Promise((r) => setTimeout(r, 20));
    a.raiseHand();
    await new Promise((r) => setTimeout(r, 20));
    b.raiseHand();
    await waitUntil(() => teacher.handQueue().length === 3, 'teacher sees three hands');
    expect(teacher.handQueue()).toEqual(['c', 'a', 'b']);
    // Students see the same queue through the hub.
    await waitUntil(() => a.handQueue().length === 3, 'student sees three hands');
    expect(a.handQueue()).toEqual(['c', 'a', 'b']);
    c.lowerHand();
    await waitUntil(() => teacher.handQueue().length === 2, 'c lowered');
    expect(teacher.handQueue()).toEqual(['a', 'b']);
    expect(queues.at(-1)).toEqual(['a', 'b']);
    expect(teacher.participants().find((p) => p.peerId === 'a')?.handRaisedAt).toBeTypeOf('number');

    // getStats-based quality arrives for every peer the teacher is connected to; status reports the links.
    await waitUntil(() => teacher.participants().every((p) => p.peerId === 't-teacher' || p.quality !== undefined), 'quality for every student', 10_000);
    const ended: string[] = [];
    for (const room of [a, b, c]) room.on('ended', () => ended.push(room.peerId));

    await expect(a.setStage('a')).rejects.toThrow(/only the teacher/);
    await expect(a.lockBoard(true)).rejects.toThrow(/only the teacher/);
    await teacher.lockBoard(true);
    await waitUntil(() => b.boardLocked(), 'lock reaches students');
    expect(b.documents.identity.role).toBe('student');
    const late = await join(s, 'd');
    const statuses: Array<{ signaling: string; peers: number; synced: boolean }> = [];
    late.on('status', (st) => statuses.push(st));
    await waitUntil(() => statuses.some((st) => st.signaling === 'connected' && st.peers === 4 && st.synced), 'late joiner reports connected, 4 peers, synced');
    // The late joiner got the lock from the document (signed state replicated by any peer).
    await waitUntil(() => late.boardLocked(), 'late joiner sees the lock');
    await teacher.endClass();
    await waitUntil(() => ended.length === 3, 'every student hears the class ended');
    const other = await createTeacherIdentity();
    await expect(Classroom.create({ signaling: s.url, classId: s.classId, secret: s.secret, teacherKey: s.teacherKey, name: 'x', identity: other, rtc, WebSocket: WS }))
      .rejects.toThrow(/teacher key/);
  }, 60_000);
});
