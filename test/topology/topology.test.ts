import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classroomTopology, meshTopology, withoutPeers } from '../../src/topology/index.js';
import type { PeerInfo, Topology } from '../../src/topology/index.js';

const KEY = 'teacher-key-A';

/** A room: distinct peer ids, random roles, some teachers claiming the right key and some a wrong one. */
const roomArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.constantFrom<'student' | 'teacher' | 'fake-teacher'>('student', 'student', 'student', 'teacher', 'fake-teacher'), {
        minLength: ids.length,
        maxLength: ids.length,
      }),
      fc.option(fc.constantFrom(...ids, 'nobody'), { nil: null }),
      fc.boolean(),
    ),
  )
  .map(([ids, kinds, stage, useKey]) => {
    const peers: PeerInfo[] = ids.map((peerId, i) => {
      const kind = kinds[i]!;
      if (kind === 'student') return { peerId, role: 'student' };
      return { peerId, role: 'teacher', teacherKey: kind === 'teacher' ? KEY : 'forged-key' };
    });
    return { peers, stage, useKey };
  });

function graph(topology: Topology, peers: readonly PeerInfo[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const p of peers) g.set(p.peerId, topology.neighbours(p, peers.filter((q) => q.peerId !== p.peerId)));
  return g;
}

describe('meshTopology', () => {
  it('connects everyone to everyone else and never to itself', () => {
    fc.assert(
      fc.property(roomArb, ({ peers }) => {
        const g = graph(meshTopology, peers);
        for (const p of peers) {
          const n = g.get(p.peerId)!;
          expect(n.has(p.peerId)).toBe(false);
          expect(n.size).toBe(peers.length - 1);
        }
      }),
    );
  });
});

describe('classroomTopology', () => {
  it('is symmetric for every room, stage and key setting', () => {
    fc.assert(
      fc.property(roomArb, ({ peers, stage, useKey }) => {
        const topo = classroomTopology({ getStage: () => stage, ...(useKey ? { teacherKey: KEY } : {}) });
        const g = graph(topo, peers);
        for (const [a, na] of g) {
          expect(na.has(a)).toBe(false);
          for (const b of na) expect(g.get(b)?.has(a), `${a}->${b} but not back`).toBe(true);
        }
      }),
    );
  });

  it('follows the star + stage rules, and falls back to mesh without a teacher', () => {
    fc.assert(
      fc.property(roomArb, ({ peers, stage, useKey }) => {
        const teacherKey = useKey ? KEY : undefined;
        const topo = classroomTopology({ getStage: () => stage, ...(teacherKey ? { teacherKey } : {}) });
        const g = graph(topo, peers);
        const isT = (p: PeerInfo): boolean => p.role === 'teacher' && (!teacherKey || p.teacherKey === teacherKey);
        const anyTeacher = peers.some(isT);
        for (const a of peers) {
          for (const b of peers) {
            if (a === b) continue;
            const linked = g.get(a.peerId)!.has(b.peerId);
            let expected: boolean;
            if (!anyTeacher) expected = true;
            else if (isT(a) || isT(b)) expected = true;
            else expected = stage === a.peerId || stage === b.peerId;
            expect(linked, `${a.peerId}(${a.role}) - ${b.peerId}(${b.role}) stage=${stage}`).toBe(expected);
          }
        }
      }),
    );
  });

  it('treats a teacher claiming the wrong key as a student', () => {
    const topo = classroomTopology({ getStage: () => null, teacherKey: KEY });
    const teacher: PeerInfo = { peerId: 't', role: 'teacher', teacherKey: KEY };
    const fake: PeerInfo = { peerId: 'f', role: 'teacher', teacherKey: 'other' };
    const s: PeerInfo = { peerId: 's', role: 'student' };
    expect([...topo.neighbours(s, [teacher, fake])]).toEqual(['t']);
    expect([...topo.neighbours(fake, [teacher, s])]).toEqual(['t']);
    expect([...topo.neighbours(teacher, [fake, s])].sort()).toEqual(['f', 's']);
  });

  it('re-reads the stage on every evaluation', () => {
    let stage: string | null = null;
    const topo = classroomTopology({ getStage: () => stage });
    const peers: PeerInfo[] = [
      { peerId: 't', role: 'teacher' },
      { peerId: 'a', role: 'student' },
      { peerId: 'b', role: 'student' },
      { peerId: 'c', role: 'student' },
    ];
    const others = (id: string): PeerInfo[] => peers.filter((p) => p.peerId !== id);
    expect([...topo.neighbours(peers[1]!, others('a'))]).toEqual(['t']);
    stage = 'a';
    expect([...topo.neighbours(peers[1]!, others('a'))].sort()).toEqual(['b', 'c', 't']);
    expect([...topo.neighbours(peers[2]!, others('b'))].sort()).toEqual(['a', 't']);
    stage = 't'; // a teacher on "stage" changes nothing
    expect([...topo.neighbours(peers[2]!, others('b'))]).toEqual(['t']);
  });
});

describe('withoutPeers', () => {
  it('gives excluded peers no links and stays symmetric among the rest', () => {
    fc.assert(
      fc.property(roomArb, fc.array(fc.nat(11), { maxLength: 4 }), ({ peers, stage }, picks) => {
        const excluded = new Set(picks.filter((i) => i < peers.length).map((i) => peers[i]!.peerId));
        const inner = classroomTopology({ getStage: () => stage });
        const topo = withoutPeers(inner, () => excluded);
        const g = graph(topo, peers);
        const remaining = peers.filter((p) => !excluded.has(p.peerId));
        const expected = graph(inner, remaining);
        for (const [a, na] of g) {
          if (excluded.has(a)) expect(na.size).toBe(0);
          else expect(na).toEqual(expected.get(a));
          for (const b of na) {
            expect(excluded.has(b)).toBe(false);
            expect(g.get(b)?.has(a)).toBe(true);
          }
        }
      }),
    );
  });
});
