import { ObservableV2 } from 'lib0/observable';
import type * as Y from 'yjs';
import type { Role } from '../protocol/announce.js';
import { newDocId } from './ids.js';
import { allOf, ALLOW, authorIs, deny, eachValue, shared, teacherDeletes, type DocPolicy } from './policy.js';
import { defineDocType, InvalidInputError, PermissionError, ReadOnlyError } from './types.js';
import type { DocContext, DocProblemCode } from './types.js';
import { bool, isInvalid, num, object, oneOf, str } from './validate.js';

/** Name of the chat doc type and of its top-level Y.Array. */
export const CHAT = 'chat';
/** Longest message accepted (locally: error; remotely: ignored and reported). */
export const MAX_CHAT_LENGTH = 2000;

/** A chat message as the app sees it. */
export interface ChatMessage {
  id: string;
  text: string;
  authorId: string;
  authorName: string;
  /** Role the author claimed when sending. */
  role: Role;
  /** Sender's clock (ms since epoch); display only, the order is insertion order. */
  time: number;
  /** Pinned by a teacher. */
  pinned: boolean;
}

/** What changed in the chat. */
export interface ChatChange {
  added: string[];
  removed: string[];
  /** Pin state of some message changed. */
  pins: boolean;
  /** Made by this peer. */
  local: boolean;
}

/** Chat events. */
export type ChatEvents = {
  /** Messages were added or removed, or pins changed. */
  change: (change: ChatChange) => void;
};

const roleCheck = oneOf(['teacher', 'student'] as const);
const messageRecord = object({
  k: oneOf(['m'] as const),
  id: str(64, 1),
  text: str(MAX_CHAT_LENGTH, 1),
  by: str(64),
  name: str(100),
  role: roleCheck,
  t: num(),
});
const pinRecord = object({
  k: oneOf(['pin'] as const),
  target: str(64, 1),
  pinned: bool,
  by: str(64),
  role: roleCheck,
  t: num(),
});

/**
 * Class chat: one Y.Array of records in insertion order, so late joiners and offline students get the
 * whole history. Records are messages and pin markers; a pin marker counts only when its author
 * claims the teacher role.
 *
 * Trust: with write policies on ({@link chatPolicy}, checked by every peer on arrival) a record's `by`
 * is its writer and its `role` the writer's real role, and pins and deletions come from the teacher;
 * the shown name comes from `ctx.nameOf` (the roster) when the class has one. Without policies, roles
 * and names in records are claims: this API then enforces roles for local calls and ignores students'
 * pin markers.
 */
export class Chat extends ObservableV2<ChatEvents> {
  private readonly arr: Y.Array<unknown>;
  private readonly localOrigin: object = { chat: true };
  private list: ChatMessage[] = [];
  private readonly observer: (ev: Y.YArrayEvent<unknown>, tr: Y.Transaction) => void;
  private readonly reported = new WeakSet<object>();
  private readonly reportedPrimitives = new Set<string>();

  constructor(private readonly ctx: DocContext) {
    super();
    this.arr = ctx.doc.getArray<unknown>(CHAT);
    this.list = this.read();
    this.observer = (_ev, tr) => this.refresh(tr.origin === this.localOrigin);
    this.arr.observe(this.observer);
  }

  /** All messages, oldest first. */
  messages(): ChatMessage[] {
    return this.list.slice();
  }

  /** Pinned messages, oldest first. */
  pinned(): ChatMessage[] {
    return this.list.filter((m) => m.pinned);
  }

  /** Send a message as the local user. Throws InvalidInputError for empty or too long text. */
  send(text: string): ChatMessage {
    this.assertWritable('sending messages');
    if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidInputError('empty message');
    if (text.length > MAX_CHAT_LENGTH) throw new InvalidInputError(`message longer than ${MAX_CHAT_LENGTH} characters`);
    const record = {
      k: 'm', id: newDocId(), text, by: this.ctx.localPeerId.slice(0, 64), name: this.ctx.localName.slice(0, 100),
      role: this.ctx.localRole, t: this.ctx.now(),
    };
    this.ctx.doc.transact(() => this.arr.push([record]), this.localOrigin);
    return { id: record.id, text, authorId: record.by, authorName: record.name, role: record.role, time: record.t, pinned: false };
  }

  /** Teacher only: remove a message (its content leaves the doc state; with gc it is gone for good). */
  delete(id: string): void {
    this.assertTeacher('delete chat messages');
    this.ctx.doc.transact(() => {
      // Walk backwards so indices stay valid while deleting the message and its pin markers.
      const items = this.arr.toArray();
      for (let i = items.length - 1; i >= 0; i--) {
        const r = items[i] as { k?: unknown; id?: unknown; target?: unknown } | null;
        if (r !== null && typeof r === 'object' && ((r.k === 'm' && r.id === id) || (r.k === 'pin' && r.target === id))) this.arr.delete(i, 1);
      }
    }, this.localOrigin);
  }

  /** Teacher only: pin (or unpin) a message. */
  pin(id: string, pinned = true): void {
    this.assertTeacher('pin chat messages');
    const record = { k: 'pin', target: id, pinned, by: this.ctx.localPeerId.slice(0, 64), role: this.ctx.localRole, t: this.ctx.now() };
    this.ctx.doc.transact(() => this.arr.push([record]), this.localOrigin);
  }

  /** Stop observing. */
  override destroy(): void {
    this.arr.unobserve(this.observer);
    super.destroy();
  }

  private assertTeacher(action: string): void {
    if (this.ctx.localRole !== 'teacher') throw new PermissionError(action);
    this.assertWritable(action);
  }

  private assertWritable(action: string): void {
    if (this.ctx.isReadOnly()) throw new ReadOnlyError(CHAT, action);
  }

  private read(): ChatMessage[] {
    const out: ChatMessage[] = [];
    const byId = new Map<string, ChatMessage>();
    const items = this.arr.toArray();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const kind = typeof item === 'object' && item !== null ? (item as { k?: unknown }).k : undefined;
      if (kind === 'm') {
        const r = messageRecord(item);
        if (isInvalid(r)) {
          this.report(item, i, r.reason);
          continue;
        }
        if (byId.has(r.id)) continue;
        // The stored name is a claim: a trusted name (the roster) wins when the class has one.
        const m: ChatMessage = { id: r.id, text: r.text, authorId: r.by, authorName: this.ctx.nameOf?.(r.by) ?? r.name, role: r.role, time: r.t, pinned: false };
        byId.set(r.id, m);
        out.push(m);
      } else if (kind === 'pin') {
        const r = pinRecord(item);
        if (isInvalid(r)) {
          this.report(item, i, r.reason);
          continue;
        }
        if (r.role !== 'teacher') {
          this.report(item, i, 'pin marker from a non-teacher ignored', 'not-teacher');
          continue;
        }
        const target = byId.get(r.target);
        if (target !== undefined) target.pinned = r.pinned;
      } else {
        this.report(item, i, 'unknown chat record');
      }
    }
    return out;
  }

  private report(item: unknown, index: number, reason: string, code: DocProblemCode = 'invalid'): void {
    // The array is re-read on every change: report each bad record once, not on every re-read.
    if (typeof item === 'object' && item !== null) {
      if (this.reported.has(item)) return;
      this.reported.add(item);
    } else {
      const key = `${typeof item}:${String(item).slice(0, 64)}`;
      if (this.reportedPrimitives.has(key)) return;
      this.reportedPrimitives.add(key);
    }
    this.ctx.report({ docType: CHAT, path: `[${index}]`, code, reason });
  }

  private refresh(local: boolean): void {
    const before = new Map(this.list.map((m) => [m.id, m]));
    const next = this.read();
    const after = new Set(next.map((m) => m.id));
    const change: ChatChange = { added: [], removed: [], pins: false, local };
    for (const m of next) {
      const old = before.get(m.id);
      if (old === undefined) change.added.push(m.id);
      else if (old.pinned !== m.pinned) change.pins = true;
    }
    for (const id of before.keys()) if (!after.has(id)) change.removed.push(id);
    this.list = next;
    if (change.added.length + change.removed.length === 0 && !change.pins) return;
    try {
      this.emit('change', [change]);
    } catch (err) {
      queueMicrotask(() => { throw err; });
    }
  }
}

/**
 * Chat's write policy: messages are shared (anyone appends, nobody overwrites), a record's `by` is its writer and its
 * `role` the writer's real role, pin markers and deletions (moderation) are the teacher's.
 */
export const chatPolicy: DocPolicy = allOf(
  teacherDeletes,
  shared,
  (change) => (change.teacher || change.inserts.every((i) => i.kind === 'values') ? ALLOW : deny('invalid', 'chat holds plain records only')),
  eachValue((value, _ins, change) => {
    if (typeof value !== 'object' || value === null) return deny('invalid', 'not a chat record');
    const record = value as { k?: unknown; role?: unknown };
    if (record.k === 'pin' && !change.teacher) return deny('not-teacher', 'pins are the teacher\'s');
    if (record.role !== (change.teacher ? 'teacher' : 'student')) return deny('forged-author', `claims the ${String(record.role).slice(0, 20)} role`);
    return authorIs('by')(value, _ins, change);
  }),
);

/** The chat doc type. `documents.register(chatType)` returns a {@link Chat}. */
export const chatType = defineDocType<Chat>({
  name: CHAT,
  version: 1,
  create: (ctx) => new Chat(ctx),
  policy: chatPolicy,
});
