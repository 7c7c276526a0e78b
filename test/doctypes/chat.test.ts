import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CHAT, chatType, MAX_CHAT_LENGTH } from '../../src/doctypes/chat.js';
import type { ChatChange } from '../../src/doctypes/chat.js';
import { InvalidInputError, PermissionError } from '../../src/doctypes/types.js';
import { makePeer, sync } from './util.js';

describe('chat', () => {
  it('orders messages by insertion and carries author, role and time', () => {
    let clock = 1000;
    const t = makePeer('teacher', { peerId: 'teach', now: () => clock++ });
    const s = makePeer('student', { peerId: 'stud' });
    const ct = t.docs.register(chatType);
    const cs = s.docs.register(chatType);
    const changes: ChatChange[] = [];
    cs.on('change', (c) => changes.push(c));
    ct.send('hello class');
    ct.send('second');
    sync(t.doc, s.doc);
    cs.send('hi!');
    sync(t.doc, s.doc);
    expect(ct.messages().map((m) => m.text)).toEqual(['hello class', 'second', 'hi!']);
    expect(cs.messages().map((m) => m.text)).toEqual(['hello class', 'second', 'hi!']);
    const first = cs.messages()[0]!;
    expect(first).toMatchObject({ authorId: 'teach', authorName: 'Name teach', role: 'teacher', time: 1000, pinned: false });
    expect(changes.map((c) => [c.added.length, c.local])).toEqual([[2, false], [1, true]]);
  });

  it('limits length and rejects empty text', () => {
    const c = makePeer().docs.register(chatType);
    expect(() => c.send('x'.repeat(MAX_CHAT_LENGTH + 1))).toThrow(InvalidInputError);
    expect(() => c.send('   ')).toThrow(InvalidInputError);
    expect(c.send('x'.repeat(MAX_CHAT_LENGTH)).text).toHaveLength(MAX_CHAT_LENGTH);
  });

  it('only the teacher deletes and pins', () => {
    const t = makePeer('teacher');
    const s = makePeer('student');
    const ct = t.docs.register(chatType);
    const cs = s.docs.register(chatType);
    const m1 = cs.send('spam');
    const m2 = cs.send('good question');
    sync(t.doc, s.doc);
    expect(() => cs.delete(m1.id)).toThrow(PermissionError);
    expect(() => cs.pin(m2.id)).toThrow(PermissionError);
    ct.pin(m2.id);
    ct.pin(m1.id);
    ct.delete(m1.id);
    sync(t.doc, s.doc);
    expect(cs.messages().map((m) => m.text)).toEqual(['good question']);
    expect(cs.pinned().map((m) => m.id)).toEqual([m2.id]);
    ct.pin(m2.id, false);
    sync(t.doc, s.doc);
    expect(cs.pinned()).toEqual([]);
  });

  it('ignores hostile records: student pins, wrong shapes, huge text', () => {
    const t = makePeer('teacher');
    const ct = t.docs.register(chatType);
    const ok = ct.send('legit');
    const evil = new Y.Doc();
    Y.applyUpdate(evil, Y.encodeStateAsUpdate(t.doc));
    const arr = evil.getArray<unknown>(CHAT);
    arr.push([
      { k: 'pin', target: ok.id, pinned: true, by: 'x', role: 'student', t: 1 },
      { k: 'm', id: 'big', text: 'x'.repeat(100_000), by: 'x', name: 'x', role: 'student', t: 1 },
      { k: 'm', id: 'bad-role', text: 'hi', by: 'x', name: 'x', role: 'admin', t: 1 },
      { k: 'm', id: 'no-time', text: 'hi', by: 'x', name: 'x', role: 'student' },
      'just a string',
      42,
      null,
      new Uint8Array(10),
      { k: 'm', id: 'fine', text: 'ok', by: 'x', name: 'Eve', role: 'student', t: 2 },
    ]);
    Y.applyUpdate(t.doc, Y.encodeStateAsUpdate(evil, Y.encodeStateVector(t.doc)));
    expect(ct.messages().map((m) => m.id)).toEqual([ok.id, 'fine']);
    expect(ct.pinned()).toEqual([]);
    expect(t.problems.length).toBeGreaterThanOrEqual(8);
    expect(t.problems.every((p) => p.docType === CHAT)).toBe(true);
    const reported = t.problems.length;
    expect(() => ct.send('still works')).not.toThrow();
    expect(ct.messages()).toHaveLength(3);
    // Re-reading the array after a change does not report the same bad records again.
    expect(t.problems.length).toBe(reported);
  });
});
