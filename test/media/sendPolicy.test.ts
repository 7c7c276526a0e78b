import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { meshSendRule, shouldSendMedia } from '../../src/media/sendPolicy.js';
import type { PeerInfo } from '../../src/topology/index.js';

const KEY = 'teacher-key-A';

/** A room: distinct peer ids, random roles, and a stage that may name nobody present. */
const roomArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 })
  .chain((ids) => fc.tuple(
    fc.constant(ids),
    fc.array(fc.constantFrom<PeerInfo['role']>('student', 'student', 'teacher'), { minLength: ids.length, maxLength: ids.length }),
    fc.option(fc.constantFrom(...ids, 'nobody'), { nil: null }),
  ))
  .map(([ids, roles, stage]) => ({ peers: ids.map((peerId, i): PeerInfo => ({ peerId, role: roles[i]! })), stage }));

describe('shouldSendMedia', () => {
  it('teacher and staged student send to everyone, other students to nobody', () => {
    fc.assert(
      fc.property(roomArb, ({ peers, stage }) => {
        for (const a of peers) {
          for (const b of peers) {
            const expected = a !== b && (a.role === 'teacher' || a.peerId === stage);
            expect(shouldSendMedia(a, b, stage)).toBe(expected);
          }
        }
      }),
    );
  });

  it('does not believe a teacher role with the wrong key', () => {
    const fake: PeerInfo = { peerId: 'f', role: 'teacher', teacherKey: 'x' };
    const s: PeerInfo = { peerId: 's', role: 'student' };
    expect(shouldSendMedia(fake, s, null, KEY)).toBe(false);
    expect(shouldSendMedia(fake, s, 'f', KEY)).toBe(true);
    expect(shouldSendMedia({ ...fake, teacherKey: KEY }, s, null, KEY)).toBe(true);
  });
});

describe('meshSendRule', () => {
  it('sends to every other peer', () => {
    const a: PeerInfo = { peerId: 'a', role: 'student' };
    const b: PeerInfo = { peerId: 'b', role: 'student' };
    expect(meshSendRule(a, b)).toBe(true);
    expect(meshSendRule(a, a)).toBe(false);
  });
});
