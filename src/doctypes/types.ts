import type * as Y from 'yjs';

/** Role a participant claims in the class. Remote claims are not verified here; see the authority layer. */
export type Role = 'teacher' | 'student';

/** A piece of remote content that a doc type refused (wrong shape, too large, unknown kind...). */
export interface DocProblem {
  /** Name of the doc type that found the problem. */
  docType: string;
  /** Where in the doc type's shared structure the bad entry lives (e.g. `e:abc/color`). */
  path: string;
  /** Human-readable reason, for logs and developer tools. */
  reason: string;
}

/** Who the local participant is, as seen by doc types. */
export interface Identity {
  /** Stable peer id of the local participant. */
  peerId: string;
  /** Display name. */
  name: string;
  /** Claimed role. */
  role: Role;
}

/** Everything a doc type's `create` receives: the shared doc, who we are, and hooks to the class state. */
export interface DocContext {
  /** The class's shared Y.Doc. A type must only touch its own top-level shared type (named after the type). */
  readonly doc: Y.Doc;
  /** Local peer id. */
  readonly localPeerId: string;
  /** Local display name. */
  readonly localName: string;
  /** Local role. */
  readonly localRole: Role;
  /** True while the teacher has locked the board (students may not draw). */
  isBoardLocked(): boolean;
  /** Report refused remote content. Never throws. */
  report(problem: DocProblem): void;
  /** Clock used for timestamps (injectable for tests and replay). */
  now(): number;
}

/** What a doc type author writes: a name, a schema version, and a factory for the typed API. */
export interface DocTypeDefinition<Api> {
  /** Unique name; also the name of the one top-level Yjs shared type this doc type owns. */
  name: string;
  /** Schema version of the stored data. A newer version seen in the doc is reported as a problem. */
  version: number;
  /** Build the typed API over `ctx.doc`. `destroy` (optional) releases observers. */
  create(ctx: DocContext): Api & { destroy?(): void };
}

/** A registered doc type handle, passed to `DocumentSet.register`/`get`. */
export interface DocType<Api> {
  /** Doc type name. */
  readonly name: string;
  /** Schema version. */
  readonly version: number;
  /** The definition this handle was made from. */
  readonly definition: DocTypeDefinition<Api>;
}

/**
 * Define a doc type (the extension point). The returned handle is registered on a {@link DocumentSet}.
 *
 * @example
 * const counter = defineDocType({ name: 'counter', version: 1, create: (ctx) => ({ ... }) });
 */
export function defineDocType<Api>(definition: DocTypeDefinition<Api>): DocType<Api> {
  if (!/^[a-z][a-z0-9_-]{0,63}$/i.test(definition.name)) {
    throw new Error(`doc type name must be 1-64 chars of [A-Za-z0-9_-], starting with a letter: ${definition.name}`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`doc type version must be a positive integer: ${definition.version}`);
  }
  return Object.freeze({ name: definition.name, version: definition.version, definition });
}

/** Thrown by mutating calls of board-like types when the board is locked and the local user is not a teacher. */
export class BoardLockedError extends Error {
  constructor(action: string) {
    super(`the board is locked by the teacher: ${action} is not allowed for students`);
    this.name = 'BoardLockedError';
  }
}

/** Thrown when a local call needs the teacher role. */
export class PermissionError extends Error {
  constructor(action: string) {
    super(`only the teacher may ${action}`);
    this.name = 'PermissionError';
  }
}

/** Thrown when local input does not fit the schema (too long text, bad number...). */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
