import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classroomTopology, meshTopology, type PeerInfo, type Topology } from '../../src/topology/index.js';
import { createClassTopology, TEACHER_SETTLE_MS } from '../../src/classroom/classTopology.js';
import { listParticipants, standbyOf } from '../../src/classroom/participants.js';
import type { Presence } from '../../src/protocol/presence.js';
import type { Participant } from '../../src/classroom/types.js';

const KEY = 'teacher-key-A';

function graph(topology: Topology, peers: readonly PeerInfo[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const p of peers) g.set(p.peerId, topology.neighbours(p, peers.filter((q) => q.peerId !== p.peerId)));
  return g;
}

const studentLinks = (g: Map<string, Set<string>>, peers: readonly PeerInfo[]): string[] => {
  const students = new Set(peers.filter((p) => p.role === 'student').map((p) => p.peerId));
  const out: string[] = [];
  for (const [a, na] of g) for (const b of na) if (a < b && students.has(a) && students.has(b)) out.push(`${a}-${b}`);
  return out.sort();
};

/** A class as one peer sees it: signaling announcements, presence (hands), removals, admission. */
interface ClassView {
  peers: PeerInfo[];
  hands: Map<string, number | null>;
  stage: string | null;
  removed: Set<string>;
  notAdmitted: Set<string>;
}

function participantsOf(view: ClassView, selfId: string): Participant[] {
  const presences = new Map<string, Presence>();
  for (const p of view.peers) presences.set(p.peerId, { peerId: p.peerId, name: p.peerId, role: p.role, hand: view.hands.get(p.peerId) ?? null, screen: null } as Presence);
  const selfInfo = view.peers.find((p) => p.peerId === selfId)!;
  return listParticipants({
    self: { peerId: selfId, name: selfId, role: selfInfo.role === 'teacher' && selfInfo.teacherKey === KEY ? 'teacher' : 'student',
      handRaisedAt: view.hands.get(selfId) ?? null, onStage: view.stage === selfId, connected: true },
    teacherKey: KEY, presences, known: view.peers, reachable: view.peers.map((p) => p.peerId),
    removed: new Set([...view.removed, ...view.notAdmitted]), stage: view.stage, qualityOf: () => undefined,
  });
}

/** The class topology every peer of `view` evaluates (the wiring Classroom does), settled past the teacher wait. */
function classTopologyFor(view: ClassView, selfId: string): Topology {
  return createClassTopology({
    teacherKey: KEY, mode: 'classroom', joinedAt: Date.now() - TEACHER_SETTLE_MS - 1,
    getStage: () => view.stage,
    getStandby: () => standbyOf(participantsOf(view, selfId), view.stage),
    getExcluded: () => new Set([...view.removed, ...view.notAdmitted]),
  });
}

function classGraph(view: ClassView): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const p of view.peers) g.set(p.peerId, classTopologyFor(view, p.peerId).neighbours(p, view.peers.filter((q) => q.peerId !== p.peerId)));
  return g;
}

const teacher: PeerInfo = { peerId: 't', role: 'teacher', teacherKey: KEY };
const student = (id: string): PeerInfo => ({ peerId: id, role: 'student' });

function view(partial: Partial<ClassView> & { peers: PeerInfo[] }): ClassView {
  return { hands: new Map(), stage: null, removed: new Set(), notAdmitted: new Set(), ...partial };
}

describe('classroomTopology with a standby', () => {
  const roomArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 10 }).chain((ids) => fc.tuple(
    fc.constant(ids),
    fc.array(fc.constantFrom<'student' | 'teacher'>('student', 'student', 'student', 'teacher'), { minLength: ids.length, maxLength: ids.length }),
    fc.option(fc.constantFrom(...ids, 'nobody'), { nil: null }),
    fc.option(fc.constantFrom(...ids, 'nobody'), { nil: null }),
  )).map(([ids, roles, stage, standby]) => ({
    peers: ids.map((peerId, i): PeerInfo => (roles[i] === 'teacher' ? { peerId, role: 'teacher', teacherKey: KEY } : { peerId, role: 'student' })),
    stage, standby,
  }));

  it('links the standby like the stage: symmetric, star + stage + standby, mesh without a teacher', () => {
    fc.assert(fc.property(roomArb, ({ peers, stage, standby }) => {
      const g = graph(classroomTopology({ getStage: () => stage, getStandby: () => standby, teacherKey: KEY }), peers);
      const anyTeacher = peers.some((p) => p.role === 'teacher');
      for (const a of peers) {
        for (const b of peers) {
          if (a === b) continue;
          const linked = g.get(a.peerId)!.has(b.peerId);
          expect(g.get(b.peerId)!.has(a.peerId), `${a.peerId}->${b.peerId} but not back`).toBe(linked);
          const expected = !anyTeacher || a.role === 'teacher' || b.role === 'teacher'
            || [stage, standby].includes(a.peerId) || [stage, standby].includes(b.peerId);
          expect(linked, `${a.peerId}-${b.peerId} stage=${stage} standby=${standby}`).toBe(expected);
        }
      }
    }));
  });

  it('without a standby option it is the star + stage it was', () => {
    fc.assert(fc.property(roomArb, ({ peers, stage }) => {
      expect(graph(classroomTopology({ getStage: () => stage, getStandby: () => null, teacherKey: KEY }), peers))
        .toEqual(graph(classroomTopology({ getStage: () => stage, teacherKey: KEY }), peers));
    }));
  });
});

describe('standby = head of the hand queue, in the class topology', () => {
  const peers = [teacher, student('a'), student('b'), student('c'), student('d')];

  it('links the earliest raised hand to every student, and only that one', () => {
    const v = view({ peers, hands: new Map([['c', 2000], ['b', 1000]]) });
    const g = classGraph(v);
    expect(studentLinks(g, peers)).toEqual(['a-b', 'b-c', 'b-d']);
    expect([...g.get('t')!].sort()).toEqual(['a', 'b', 'c', 'd']);
    // Every peer computed the same standby.
    for (const p of peers) expect(standbyOf(participantsOf(v, p.peerId), null), p.peerId).toBe('b');
  });

  it('lowering the hand moves the standby to the next hand, and with no hand left the star comes back', () => {
    const v = view({ peers, hands: new Map([['c', 2000], ['b', 1000]]) });
    v.hands.set('b', null);
    expect(studentLinks(classGraph(v), peers)).toEqual(['a-c', 'b-c', 'c-d']);
    v.hands.set('c', null);
    expect(studentLinks(classGraph(v), peers)).toEqual([]);
  });

  it('staging the standby keeps its links; the next hand becomes standby; ending the stage closes the extra links', () => {
    const v = view({ peers, hands: new Map([['b', 1000], ['d', 3000]]) });
    v.stage = 'b'; // b keeps its hand up while on stage: it does not count twice
    expect(studentLinks(classGraph(v), peers)).toEqual(['a-b', 'a-d', 'b-c', 'b-d', 'c-d']);
    v.hands.set('d', null);
    expect(studentLinks(classGraph(v), peers)).toEqual(['a-b', 'b-c', 'b-d']);
    v.stage = null;
    v.hands.set('b', null);
    expect(studentLinks(classGraph(v), peers)).toEqual([]);
  });

  it('a removed or not admitted student is never standby, whatever hand it claims', () => {
    const v = view({ peers, hands: new Map([['a', 1], ['b', 2], ['c', 3]]), removed: new Set(['a']), notAdmitted: new Set(['b']) });
    // Every peer taking part agrees (a removed or waiting peer's own view does not matter: it connects to nobody).
    for (const id of ['t', 'c', 'd']) expect(standbyOf(participantsOf(v, id), null), id).toBe('c');
    const g = classGraph(v);
    expect(g.get('a')!.size).toBe(0);
    expect(g.get('b')!.size).toBe(0);
    expect(studentLinks(g, peers)).toEqual(['c-d']);
  });

  it('the teacher is never standby, even with its hand up; ties go to the lower peer id', () => {
    const v = view({ peers, hands: new Map([['t', 1], ['d', 5], ['c', 5]]) });
    expect(standbyOf(participantsOf(v, 'a'), null)).toBe('c');
    expect(studentLinks(classGraph(v), peers)).toEqual(['a-c', 'b-c', 'c-d']);
  });

  it('with the teacher away the students keep the full mesh, hands or not', () => {
    const noTeacher = peers.filter((p) => p.role !== 'teacher');
    const v = view({ peers: noTeacher, hands: new Map([['b', 1000]]) });
    expect(classGraph(v)).toEqual(graph(meshTopology, noTeacher));
    v.hands.clear();
    expect(classGraph(v)).toEqual(graph(meshTopology, noTeacher));
  });
});
