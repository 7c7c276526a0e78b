import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  CONTROL_MAP_NAME,
  ControlState,
  createTeacherIdentity,
  encodeSignedControl,
  signControl,
} from '../../src/authority/index.js';
import type { ControlKind, ControlRejection, TeacherIdentity } from '../../src/authority/index.js';

const CLASS = 'class-xyz';

/** Docs wired in a full mesh: every local update is applied to every other connected doc. */
class Net {
  readonly docs: Y.Doc[] = [];
  private readonly offline = new Set<Y.Doc>();
  add(doc: Y.Doc, syncNow = true): Y.Doc {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'net' || this.offline.has(doc)) return;
      for (const other of this.docs) if (other !== doc && !this.offline.has(other)) Y.applyUpdate(other, update, 'net');
    });
    if (syncNow) for (const other of this.docs) this.sync(doc, other);
    this.docs.push(doc);
    return doc;
  }
  sync(a: Y.Doc, b: Y.Doc): void {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'net');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)), 'net');
  }
}

const states: ControlState[] = [];
afterEach(() => {
  for (const s of states.splice(0)) s.destroy();
});

interface Setup {
  net: Net;
  teacherId: TeacherIdentity;
  teacher: ControlState;
  student: ControlState;
  other: ControlState;
  /** A student running modified code: it writes to the doc directly and runs no ControlState. */
  attacker: Y.Doc;
}

async function setup(): Promise<Setup> {
  const teacherId = await createTeacherIdentity();
  const net = new Net();
  const mk = (identity?: TeacherIdentity): ControlState => {
    const doc = net.add(new Y.Doc());
    const s = new ControlState({ doc, classId: CLASS, teacherKey: teacherId.publicKey, ...(identity ? { identity } : {}) });
    states.push(s);
    return s;
  };
  const teacher = mk(teacherId);
  const student = mk();
  const other = mk();
  return { net, teacherId, teacher, student, other, attacker: net.add(new Y.Doc()) };
}

async function idle(...s: ControlState[]): Promise<void> {
  // Verifications can trigger repairs, which trigger verifications elsewhere: settle until quiet.
  for (let i = 0; i < 5; i++) await Promise.all(s.map((x) => x.whenIdle()));
}

function docOf(s: ControlState): Y.Doc {
  return (s as unknown as { doc: Y.Doc }).doc;
}

describe('ControlState', () => {
  it('replicates teacher statements to every doc with typed getters and change events', async () => {
    const { teacher, student, other } = await setup();
    const changes: ControlKind[][] = [];
    student.on('change', (kinds) => changes.push(kinds));
    await teacher.issue('stage', { peerId: 'alice' });
    await teacher.issue('slide', { slideIndex: 3, follow: true });
    await teacher.issue('board-lock', { locked: true });
    await teacher.issue('remove', { peerId: 'bob' });
    await teacher.issue('remove', { peerId: 'carol' });
    await teacher.issue('mute-request', { peerId: 'dave', muted: true });
    await teacher.issue('mute-request', { peerId: 'all', muted: false });
    await idle(teacher, student, other);
    for (const s of [teacher, student, other]) {
      expect(s.stage()).toBe('alice');
      expect(s.slide()).toEqual({ slideIndex: 3, follow: true });
      expect(s.boardLocked()).toBe(true);
      expect([...s.removed()].sort()).toEqual(['bob', 'carol']);
      expect(s.muteRequestFor('dave')).toBe(false); // the later "all: unmute" wins
      expect(s.muteRequestFor('erin')).toBe(false);
      expect(s.ended()).toBe(false);
    }
    expect(changes.flat().sort()).toEqual(['board-lock', 'mute-request', 'mute-request', 'remove', 'remove', 'slide', 'stage']);
    await teacher.issue('stage', { peerId: null });
    await teacher.issue('end-class', {});
    await idle(teacher, student, other);
    expect(other.stage()).toBeNull();
    expect(other.ended()).toBe(true);
  });

  it('ignores and reports a forged stage written by a student, and restores the valid one', async () => {
    const { teacher, student, other, attacker } = await setup();
    await teacher.issue('stage', { peerId: 'alice' });
    await idle(teacher, student, other);
    const rejections: ControlRejection[] = [];
    const otherRejections: ControlRejection[] = [];
    teacher.on('rejected', (r) => rejections.push(r));
    other.on('rejected', (r) => otherRejections.push(r));
    const forgerId = await createTeacherIdentity();
    const forged = encodeSignedControl(
      await signControl(forgerId, { kind: 'stage', classId: CLASS, seq: Number.MAX_SAFE_INTEGER, issuedAt: Date.now(), body: { peerId: 'mallory' } }),
    );
    attacker.getMap(CONTROL_MAP_NAME).set('stage', forged);
    await idle(teacher, student, other);
    for (const s of [teacher, student, other]) expect(s.stage()).toBe('alice');
    expect(rejections.some((r) => r.reason === 'bad-signature' && r.key === 'stage')).toBe(true);
    const report = otherRejections.find((r) => r.reason === 'bad-signature');
    expect(report?.writerClientId).toBe(attacker.clientID);
    // Repair put the valid statement back into every doc, so a late joiner gets "alice".
    for (const doc of [docOf(teacher), docOf(student), docOf(other), attacker]) {
      const v = doc.getMap(CONTROL_MAP_NAME).get('stage');
      expect(v).toBeInstanceOf(Uint8Array);
      expect(v).not.toEqual(forged);
    }
  });

  it('rejects a replayed older statement written into the map, and a deletion', async () => {
    const { teacher, student, other, attacker } = await setup();
    const first = await teacher.issue('stage', { peerId: 'alice' });
    await teacher.issue('stage', { peerId: 'bob' });
    await idle(teacher, student, other);
    const reasons: string[] = [];
    other.on('rejected', (r) => reasons.push(r.reason));
    attacker.getMap(CONTROL_MAP_NAME).set('stage', first);
    await idle(teacher, student, other);
    expect(reasons).toContain('replay');
    for (const s of [teacher, student, other]) expect(s.stage()).toBe('bob');
    attacker.getMap(CONTROL_MAP_NAME).delete('stage');
    await idle(teacher, student, other);
    expect(reasons.filter((r) => r === 'malformed').length).toBeGreaterThan(0);
    for (const s of [teacher, student, other]) {
      expect(s.stage()).toBe('bob');
      expect(docOf(s).getMap(CONTROL_MAP_NAME).has('stage')).toBe(true);
    }
  });

  it('rejects a statement for another class and one stored under the wrong key', async () => {
    const { teacherId, teacher, student, other, attacker } = await setup();
    await idle(teacher, student, other);
    const reasons: string[] = [];
    other.on('rejected', (r) => reasons.push(r.reason));
    const wrongClass = encodeSignedControl(
      await signControl(teacherId, { kind: 'board-lock', classId: 'another', seq: 5, issuedAt: 1, body: { locked: true } }),
    );
    const wrongKey = encodeSignedControl(
      await signControl(teacherId, { kind: 'remove', classId: CLASS, seq: 5, issuedAt: 1, body: { peerId: 'teacher' } }),
    );
    const map = attacker.getMap(CONTROL_MAP_NAME);
    map.set('board-lock', wrongClass);
    map.set('stage', wrongKey);
    map.set('remove:x', 'not bytes');
    await idle(teacher, student, other);
    expect(reasons.sort()).toEqual(['malformed', 'malformed', 'wrong-class']);
    expect(other.boardLocked()).toBe(false);
    expect(other.removed().size).toBe(0);
    expect(other.stage()).toBeNull();
  });

  it('gives a late joiner the latest state through normal sync, and reports nothing', async () => {
    const { net, teacherId, teacher, student, other } = await setup();
    await teacher.issue('slide', { slideIndex: 1, follow: false });
    await teacher.issue('slide', { slideIndex: 7, follow: true });
    await teacher.issue('stage', { peerId: 'alice' });
    await teacher.issue('remove', { peerId: 'bob' });
    await idle(teacher, student, other);
    const late = new Y.Doc();
    net.add(late); // syncs state from every existing doc
    const lateState = new ControlState({ doc: late, classId: CLASS, teacherKey: teacherId.publicKey });
    states.push(lateState);
    const rejections: ControlRejection[] = [];
    lateState.on('rejected', (r) => rejections.push(r));
    await lateState.ready;
    expect(lateState.slide()).toEqual({ slideIndex: 7, follow: true });
    expect(lateState.stage()).toBe('alice');
    expect([...lateState.removed()]).toEqual(['bob']);
    expect(rejections).toEqual([]);
  });

  it('students cannot issue; ingest accepts newer signed bytes and rejects forged ones with the sender', async () => {
    const { teacherId, teacher, student, other } = await setup();
    await expect(student.issue('stage', { peerId: 'me' })).rejects.toThrow(/only the teacher/);
    // A statement signed by the teacher but not yet in any doc arrives over the wire.
    const direct = encodeSignedControl(
      await signControl(teacherId, { kind: 'stage', classId: CLASS, seq: Date.now() + 1000, issuedAt: Date.now(), body: { peerId: 'zoe' } }),
    );
    const r = await other.ingest(direct, 'teacher-peer');
    expect(r.ok).toBe(true);
    await idle(teacher, student, other);
    for (const s of [teacher, student, other]) expect(s.stage()).toBe('zoe');
    const forged = encodeSignedControl(
      await signControl(await createTeacherIdentity(), { kind: 'end-class', classId: CLASS, seq: 1, issuedAt: 1, body: {} }),
    );
    const rejections: ControlRejection[] = [];
    other.on('rejected', (x) => rejections.push(x));
    expect(await other.ingest(forged, 'mallory')).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(rejections).toEqual([expect.objectContaining({ reason: 'bad-signature', writer: 'mallory' })]);
    expect(await other.ingest(direct, 'x')).toMatchObject({ ok: true }); // the same bytes again: harmless echo
    expect(other.ended()).toBe(false);
  });

  it('applies the highest seq whatever order verifications finish in', async () => {
    const teacherId = await createTeacherIdentity();
    const statements: Uint8Array[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      statements.push(
        encodeSignedControl(await signControl(teacherId, { kind: 'slide', classId: CLASS, seq, issuedAt: seq, body: { slideIndex: seq, follow: true } })),
      );
    }
    const doc = new Y.Doc();
    const state = new ControlState({ doc, classId: CLASS, teacherKey: teacherId.publicKey, repair: false });
    states.push(state);
    const rejected: ControlRejection[] = [];
    state.on('rejected', (r) => rejected.push(r));
    // Shuffled arrival over the wire, all verifying concurrently.
    const order = [13, 2, 20, 7, 1, 19, 5, 11, 3, 17, 9, 15, 4, 18, 6, 16, 8, 14, 10, 12];
    await Promise.all(order.map((n) => state.ingest(statements[n - 1]!)));
    await state.whenIdle();
    expect(state.slide()?.slideIndex).toBe(20);
    expect(doc.getMap(CONTROL_MAP_NAME).get('slide')).toEqual(statements[19]);
    expect(rejected.every((r) => r.reason === 'replay')).toBe(true);
  });
});
