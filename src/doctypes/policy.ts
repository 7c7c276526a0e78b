/**
 * Write policies: what a doc type lets each peer write, judged by every peer on arrival of an update (before it is
 * applied) against the update's author. A doc type declares one as `policy` in {@link defineDocType}; the building
 * blocks below cover the usual rules (teacher-only types and keys, shared content, the board lock).
 * See README ("Write policies") and PROTOCOL.md.
 */
import * as Y from 'yjs';
import { docStruct } from './updateView.js';
import type { DeletedStruct, InsertedStruct } from './updateView.js';

/** Why a policy refused an update, as a closed set apps can switch on. */
export type PolicyCode =
  | 'not-teacher' // a teacher-only type, key or action from someone else
  | 'not-owner' // touches (overwrites, edits inside, deletes) what another peer wrote, or writes with another's clientID
  | 'read-only' // the class refuses this author's writes to this type now (the board lock)
  | 'forged-author' // a record names another peer as its author
  | 'invalid' // a value the type's schema or rules refuse (a second vote key, a bad claim …)
  | 'unclaimed' // structs of a clientID nobody claimed
  | 'missing-dependency' // builds on structs that never arrived
  | 'unknown-type'; // writes under a top-level name no doc type of the class owns

/** A policy's answer. */
export type PolicyVerdict = { ok: true } | { ok: false; code: PolicyCode; reason: string };

/** The accepting verdict (shared, frozen). */
export const ALLOW: PolicyVerdict = Object.freeze({ ok: true });

/** Build a refusing verdict. */
export function deny(code: PolicyCode, reason: string): PolicyVerdict {
  return { ok: false, code, reason };
}

/** What a policy may ask about the class. */
export interface PolicyContext {
  /** Whether `peerId` is the (verified) teacher. */
  isTeacher(peerId: string): boolean;
  /** Whether the class refuses students' writes to the doc type named `docType` now (e.g. the board lock). */
  readOnly(docType: string): boolean;
  /** Display name of a peer from the roster / verified announce, when known. Names never come from records. */
  nameOf?(peerId: string): string | undefined;
  /**
   * Whether `peerId` is trusted like the teacher to relay others' content by anti-entropy (a keeper the teacher
   * signed for): it checked what it holds on arrival. Relays get no teacher powers for their own writes.
   */
  isRelay?(peerId: string): boolean;
}

/** The part of one update that touches one doc type, with who wrote it. */
export interface TypeChange {
  /** The doc type (top-level shared type) this change is in. */
  readonly docType: string;
  /** The peer the update is attributed to (routed: its signer/origin; anti-entropy: the neighbour). Owns every inserted struct. */
  readonly author: string;
  /** Whether {@link author} is the teacher. */
  readonly teacher: boolean;
  /** Structs inserted under this type. */
  readonly inserts: readonly InsertedStruct[];
  /** Items under this type that the update would delete. */
  readonly deletes: readonly DeletedStruct[];
  /** The document before the update (read only). */
  readonly doc: Y.Doc;
  /** The owner (peer id) of a clientID, from claims in the doc or in this update. */
  ownerOf(clientId: number): string | undefined;
}

/** A doc type's write policy: pure, synchronous, and free of side effects. */
export type DocPolicy = (change: TypeChange, ctx: PolicyContext) => PolicyVerdict;

/** Runs policies in order; the first refusal wins. */
export function allOf(...policies: DocPolicy[]): DocPolicy {
  return (change, ctx) => {
    for (const p of policies) {
      const v = p(change, ctx);
      if (!v.ok) return v;
    }
    return ALLOW;
  };
}

/** Only the teacher writes this type at all (inserts and deletes). */
export const teacherOnly: DocPolicy = (change) => (change.teacher || (change.inserts.length === 0 && change.deletes.length === 0)
  ? ALLOW
  : deny('not-teacher', `${change.docType} is written by the teacher only`));

/**
 * Entries whose top-level key matches `isTeacherKey` (e.g. `(k) => k.startsWith('q:')`) are written and deleted by the
 * teacher only, including anything nested inside them.
 */
export function teacherOnlyKeys(isTeacherKey: (topKey: string) => boolean): DocPolicy {
  return (change) => {
    if (change.teacher) return ALLOW;
    for (const s of [...change.inserts, ...change.deletes]) {
      const k = s.place?.topKey;
      if (k != null && isTeacherKey(k)) return deny('not-teacher', `${change.docType}/${k.slice(0, 80)} is written by the teacher only`);
    }
    return ALLOW;
  };
}

/** While `ctx.readOnly(docType)` (the board lock), only the teacher writes this type. */
export const lockable: DocPolicy = (change, ctx) => (!change.teacher && ctx.readOnly(change.docType) && (change.inserts.length > 0 || change.deletes.length > 0)
  ? deny('read-only', `${change.docType} is locked by the teacher`)
  : ALLOW);

/** The owner of the live value at `key` of the top-level map `root`, null when there is none. */
function liveOwner(change: TypeChange, root: string, key: string): string | undefined | null {
  const type = change.doc.share.get(root);
  const item = type instanceof Y.AbstractType ? type._map.get(key) : undefined;
  return item === undefined || item.deleted ? null : change.ownerOf(item.id.client);
}

/**
 * Shared content (board elements, chat messages): everyone adds, but a student only changes what it wrote. A
 * student's top-level map entry may not replace another peer's live entry (by pointing its origin at it or by racing
 * it at the same key); an insert inside a nested type (an element's fields) needs the top-level entry to be the
 * student's own; a student deletes only its own items and anything inside its own entries. The teacher may do anything.
 */
export const shared: DocPolicy = (change) => {
  if (change.teacher) return ALLOW;
  const { author } = change;
  for (const ins of change.inserts) {
    const place = ins.place;
    if (place === null) continue; // lands in garbage-collected content: integrates as deleted
    if (place.depth > 0) {
      const topOwner = change.ownerOf(place.top.client);
      if (topOwner !== author) return deny('not-owner', `edit inside ${place.topKey ?? 'an entry'} written by another peer`);
      continue;
    }
    if (place.key === null) continue; // an array item: adding never replaces
    if (ins.origin !== null) {
      const left = docStruct(change.doc, ins.origin);
      if (left !== undefined && change.ownerOf(ins.origin.client) !== author) return deny('not-owner', `overwrites ${place.key.slice(0, 80)} written by another peer`);
    } else {
      const owner = liveOwner(change, place.root, place.key);
      if (owner !== null && owner !== author) return deny('not-owner', `replaces ${place.key.slice(0, 80)} written by another peer`);
    }
  }
  for (const del of change.deletes) {
    if (change.ownerOf(del.id.client) === author) continue;
    // Inside its own entry a student overwrites (hence deletes) what the teacher changed there, or erases the whole entry.
    if (del.place !== null && del.place.depth > 0 && change.ownerOf(del.place.top.client) === author) continue;
    return deny('not-owner', `deletes ${del.place?.topKey?.slice(0, 80) ?? 'an item'} written by another peer`);
  }
  return ALLOW;
};

/** Deletes in this type are the teacher's (moderation): students may not delete, not even their own items. */
export const teacherDeletes: DocPolicy = (change) => (change.teacher || change.deletes.length === 0
  ? ALLOW
  : deny('not-teacher', `only the teacher deletes in ${change.docType}`));

/**
 * Every value a student inserts into a top-level entry (or inside one) must pass `check(value, place)`; use it to bind
 * a record's author field to the update's author (see `authorIs`). `check` returns a verdict.
 */
export function eachValue(check: (value: unknown, ins: InsertedStruct, change: TypeChange) => PolicyVerdict): DocPolicy {
  return (change) => {
    for (const ins of change.inserts) {
      if (ins.kind !== 'values') continue;
      for (const v of ins.values) {
        const r = check(v, ins, change);
        if (!r.ok) return r;
      }
    }
    return ALLOW;
  };
}

/** A record's `field` (when the value is an object that has one) must equal the author's peer id (cut to `maxLength`). */
export function authorIs(field: string, maxLength = 64): (value: unknown, ins: InsertedStruct, change: TypeChange) => PolicyVerdict {
  return (value, _ins, change) => {
    if (typeof value !== 'object' || value === null || !(field in value)) return ALLOW;
    const claimed = (value as Record<string, unknown>)[field];
    return claimed === change.author.slice(0, maxLength) ? ALLOW : deny('forged-author', `${field} names ${String(claimed).slice(0, 64)}, not the author`);
  };
}
