// The extension contract: handle lists without casts, the generic read-only gate, typed errors and problem codes.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as Y from 'yjs';
import type { Role as AnnouncedRole } from '../../src/protocol/announce.js';
import { chatType } from '../../src/doctypes/chat.js';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import { pollType } from '../../src/doctypes/poll.js';
import { presentationType } from '../../src/doctypes/presentation.js';
import { historyType } from '../../src/doctypes/replay.js';
import { BoardLockedError, defineDocType, DocTypeError, PermissionError, ReadOnlyError } from '../../src/doctypes/types.js';
import type { AnyDocType, DocContext, DocProblem, DocType, Role } from '../../src/doctypes/types.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import { makePeer } from './util.js';

// An app-defined type whose API is a class of its own, as in the demo's lesson info.
class LessonInfo {
  constructor(private readonly ctx: DocContext) {}
  title(): string {
    const v = this.ctx.doc.getMap<unknown>('lesson').get('title');
    return typeof v === 'string' ? v : '';
  }
}
const lessonInfoType = defineDocType<LessonInfo>({ name: 'lesson', version: 1, create: (ctx) => new LessonInfo(ctx) });

// Compiles only while DocType is covariant in its API: this assignment is the type-level test.
const builtIns: AnyDocType[] = [pollType, whiteboardType, chatType, presentationType, historyType, lessonInfoType];

describe('doc type handles', () => {
  it('a list of handles of different APIs needs no cast, and registering from it keeps each API', () => {
    expectTypeOf(lessonInfoType).toExtend<AnyDocType>();
    expectTypeOf<Role>().toEqualTypeOf<AnnouncedRole>();
    const docs = new DocumentSet(new Y.Doc(), { peerId: 'p', name: 'P', role: 'teacher' });
    for (const type of builtIns) docs.register(type);
    expect(docs.names()).toEqual(['poll', 'whiteboard', 'chat', 'presentation', 'history', 'lesson']);
    const typed: DocType<LessonInfo> = lessonInfoType;
    expect(docs.get(typed).title()).toBe('');
  });

  it('registration mistakes are DocTypeErrors with a code', () => {
    const docs = new DocumentSet(new Y.Doc(), { peerId: 'p', name: 'P', role: 'student' });
    docs.register(pollType);
    const clash = defineDocType({ name: 'poll', version: 1, create: () => ({}) });
    expect(() => docs.register(clash)).toThrow(expect.objectContaining({ name: 'DocTypeError', code: 'name-taken' }));
    expect(() => docs.get(lessonInfoType)).toThrow(expect.objectContaining({ code: 'not-registered' }));
    expect(() => defineDocType({ name: '1x', version: 1, create: () => ({}) })).toThrow(DocTypeError);
  });
});

describe('read-only gate', () => {
  it('asks the readOnly option per doc type; the whiteboard throws BoardLockedError, others ReadOnlyError', () => {
    const refused = new Set<string>();
    const docs = new DocumentSet(new Y.Doc(), { peerId: 's', name: 'S', role: 'student' }, { readOnly: (type) => refused.has(type) });
    const board = docs.register(whiteboardType);
    const chat = docs.register(chatType);
    const poll = docs.register(pollType);
    board.addInk({ pageId: 'main', points: [[0, 0]] });
    chat.send('before');
    refused.add('whiteboard');
    expect(() => board.addInk({ pageId: 'main', points: [[0, 0]] })).toThrow(BoardLockedError);
    expect(() => board.undo()).toThrow(ReadOnlyError);
    chat.send('the chat stays open');
    refused.add('chat');
    refused.add('poll');
    expect(() => chat.send('now refused')).toThrow(expect.objectContaining({ name: 'ReadOnlyError', docType: 'chat', action: 'sending messages' }));
    expect(() => poll.vote('any', 0)).toThrow(ReadOnlyError);
    expect(chat.messages().map((m) => m.text)).toEqual(['before', 'the chat stays open']);
    expect(board.size).toBe(1);
  });

  it('slide annotations are locked with the board (Classroom policy) and say which type refused', () => {
    const s = makePeer('student');
    s.locked.value = true;
    const annotations = s.docs.register(presentationType).annotations;
    expect(() => annotations.addShape({ pageId: 'd/0', kind: 'rect', x: 0, y: 0, w: 1, h: 1 })).toThrow(expect.objectContaining({ name: 'BoardLockedError', docType: 'presentation' }));
  });
});

describe('typed errors and problems', () => {
  it('teacher-only actions throw PermissionError naming the action', () => {
    const poll = makePeer('student').docs.register(pollType);
    expect(() => poll.open('q?', ['a', 'b'])).toThrow(expect.objectContaining({ name: 'PermissionError', action: 'open polls' }));
    expect(() => makePeer('student').docs.register(presentationType).setFollow(false)).toThrow(PermissionError);
  });

  it('problems carry a code: forged teacher records, bad content, newer schema versions', () => {
    const doc = new Y.Doc();
    doc.getMap('peerclass:types').set('chat', 9);
    const chatArray = doc.getArray<unknown>('chat');
    chatArray.push([{ k: 'pin', target: 'x', pinned: true, by: 's', role: 'student', t: 1 }, 'garbage']);
    const polls = doc.getMap<unknown>('poll');
    polls.set('q:forged', { question: 'q?', options: ['a', 'b'], role: 'student', t: 1 });
    polls.set('q:broken', 42);
    const docs = new DocumentSet(doc, { peerId: 't', name: 'T', role: 'teacher' });
    const problems: DocProblem[] = [];
    docs.on('problem', (p) => problems.push(p));
    docs.register(chatType);
    docs.register(pollType).list();
    const codes = problems.map((p) => `${p.docType} ${p.path} ${p.code}`);
    expect(codes).toEqual(expect.arrayContaining([
      'chat peerclass:types newer-version',
      'chat [0] not-teacher',
      'chat [1] invalid',
      'poll q:forged not-teacher',
      'poll q:broken invalid',
    ]));
    // A third-party type that reports without a code gets `invalid`.
    const custom = defineDocType({ name: 'custom', version: 1, create: (ctx) => ({ bad: () => ctx.report({ docType: 'custom', path: 'x', reason: 'nope' }) }) });
    docs.register(custom).bad();
    expect(problems.at(-1)).toEqual({ docType: 'custom', path: 'x', code: 'invalid', reason: 'nope' });
  });
});
