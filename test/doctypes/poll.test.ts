import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { pollType } from '../../src/doctypes/poll.js';
import { InvalidInputError, PermissionError } from '../../src/doctypes/types.js';
import { makePeer, sync } from './util.js';

describe('poll (extension example)', () => {
  it('one vote per participant, live tally, teacher closes', () => {
    const t = makePeer('teacher');
    const s1 = makePeer('student');
    const s2 = makePeer('student');
    const pt = t.docs.register(pollType);
    const p1 = s1.docs.register(pollType);
    const p2 = s2.docs.register(pollType);
    expect(() => p1.open('q', ['a', 'b'])).toThrow(PermissionError);
    expect(() => pt.open('q', ['only one'])).toThrow(InvalidInputError);
    const id = pt.open('2+2?', ['3', '4', '5']);
    sync(t.doc, s1.doc, s2.doc);
    let events = 0;
    pt.on('change', () => events++);
    p1.vote(id, 0);
    p1.vote(id, 1);
    p2.vote(id, 1);
    expect(() => p2.vote(id, 7)).toThrow(InvalidInputError);
    sync(t.doc, s1.doc, s2.doc);
    expect(pt.get(id)).toMatchObject({ tally: [0, 2, 0], voters: 2, myVote: null, closed: false });
    expect(events).toBeGreaterThan(0);
    expect(() => p1.close(id)).toThrow(PermissionError);
    pt.close(id);
    sync(t.doc, s1.doc, s2.doc);
    expect(p2.get(id)?.closed).toBe(true);
    expect(() => p2.vote(id, 2)).toThrow(InvalidInputError);
  });

  it('ignores student-made questions and invalid votes', () => {
    const t = makePeer('teacher');
    const pt = t.docs.register(pollType);
    const id = pt.open('ok?', ['yes', 'no']);
    const evil = new Y.Doc();
    Y.applyUpdate(evil, Y.encodeStateAsUpdate(t.doc));
    const m = evil.getMap<unknown>('poll');
    m.set('q:fake', { question: 'vote for me', options: ['a', 'b'], role: 'student', t: 1 });
    m.set('q:weird', 'nope');
    m.set(`v:${id}:bad1`, 99);
    m.set(`v:${id}:bad2`, 'yes');
    m.set(`v:${id}:good`, 0);
    m.set(`c:${id}`, { role: 'student' });
    Y.applyUpdate(t.doc, Y.encodeStateAsUpdate(evil, Y.encodeStateVector(t.doc)));
    expect(pt.list().map((p) => p.id)).toEqual([id]);
    expect(pt.get(id)).toMatchObject({ tally: [1, 0], voters: 1, closed: false });
    expect(t.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['q:fake', 'q:weird', `v:${id}:bad1`, `v:${id}:bad2`]));
  });
});
