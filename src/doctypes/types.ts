import type * as Y from 'yjs';
import type { Role } from '../protocol/announce.js';
import type { DocPolicy } from './policy.js';

// Declared once, with the announce it travels in; re-exported because doc type authors meet it here first.
export type { Role } from '../protocol/announce.js';

/**
 * Why remote content was refused, as a closed set apps can switch on:
 * - `invalid`: it does not fit the type's schema (wrong shape or type, too large, undecodable);
 * - `not-teacher`: a teacher-only record claims another role, or no role;
 * - `newer-version`: the doc was written by a newer schema version of the type; unknown fields are ignored.
 */
export type DocProblemCode = 'invalid' | 'not-teacher' | 'newer-version';

/** A piece of remote content that a doc type refused (wrong shape, too large, unknown kind...). */
export interface DocProblem {
  /** Name of the doc type that found the problem. */
  docType: string;
  /** Where in the doc type's shared structure the bad entry lives (e.g. `e:abc/color`). */
  path: string;
  /** What kind of problem; reports that leave it out are delivered as `invalid`. */
  code: DocProblemCode;
  /** Human-readable detail, for logs and developer tools (validator messages are not a closed set). */
  reason: string;
}

/** What a doc type passes to {@link DocContext.report}: a {@link DocProblem} whose `code` defaults to `invalid`. */
export type DocProblemReport = Omit<DocProblem, 'code'> & { code?: DocProblemCode };

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
  /**
   * True while class state refuses this peer's writes to this type (e.g. a student while the teacher has
   * locked the board). Mutating calls should throw a {@link ReadOnlyError} then. The decision belongs to
   * whoever owns the class state (the Classroom), so types stay free of each other's rules.
   */
  isReadOnly(): boolean;
  /**
   * Whether this peer may change or delete content written by `authorPeerId` under the class's write policies (the
   * teacher: anything; a student: its own). Absent or always true when the class does not enforce policies. Types
   * check it so that local calls never produce updates other peers refuse.
   */
  canModify?(authorPeerId: string): boolean;
  /**
   * A peer's display name from a trusted source (the teacher-signed roster), when the class has one. Types show it
   * instead of names stored in records, which are only claims.
   */
  nameOf?(peerId: string): string | undefined;
  /** Report refused remote content. Never throws. */
  report(problem: DocProblemReport): void;
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
  /**
   * Who may write what in this type, checked by every peer on arrival of an update before it is applied (when the
   * class enforces policies). Compose it from the building blocks in `policy.ts` (`teacherOnly`, `teacherOnlyKeys`,
   * `shared`, `lockable`, `eachValue` …). Without one, any peer may write anything here (ownership of clientIDs is
   * still checked). Local calls of the type's API must never produce what its policy refuses.
   */
  policy?: DocPolicy;
}

/**
 * A registered doc type handle, passed to `DocumentSet.register`/`get`. `Api` is declared covariant (`out`):
 * it only ever comes out of `create`, so a `DocType<Poll>` is a {@link AnyDocType} and lists of handles
 * need no casts. The compiler checks the annotation, so a later contravariant use of `Api` fails here.
 */
export interface DocType<out Api> {
  /** Doc type name. */
  readonly name: string;
  /** Schema version. */
  readonly version: number;
  /** The definition this handle was made from. */
  readonly definition: DocTypeDefinition<Api>;
}

/** Any doc type handle, e.g. the `docTypes` list a Classroom registers: `const list: AnyDocType[] = [pollType, whiteboardType]`. */
export type AnyDocType = DocType<unknown>;

/**
 * Define a doc type (the extension point). The returned handle is registered on a {@link DocumentSet}.
 *
 * @example
 * const counter = defineDocType({ name: 'counter', version: 1, create: (ctx) => ({ ... }) });
 */
export function defineDocType<Api>(definition: DocTypeDefinition<Api>): DocType<Api> {
  if (!/^[a-z][a-z0-9_-]{0,63}$/i.test(definition.name)) {
    throw new DocTypeError('bad-name', `doc type name must be 1-64 chars of [A-Za-z0-9_-], starting with a letter: ${definition.name}`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new DocTypeError('bad-version', `doc type version must be a positive integer: ${definition.version}`);
  }
  return Object.freeze({ name: definition.name, version: definition.version, definition });
}

/** Why a doc type could not be defined or looked up. */
export type DocTypeErrorCode = 'bad-name' | 'bad-version' | 'name-taken' | 'not-registered';

/** Thrown by {@link defineDocType} and `DocumentSet.register`/`get` for a programming mistake with a doc type. */
export class DocTypeError extends Error {
  constructor(readonly code: DocTypeErrorCode, message: string) {
    super(message);
    this.name = 'DocTypeError';
  }
}

/** Thrown by a mutating call while {@link DocContext.isReadOnly} is true. */
export class ReadOnlyError extends Error {
  constructor(
    /** Name of the doc type that refused the write. */
    readonly docType: string,
    /** What the caller tried to do, e.g. `drawing`. */
    readonly action: string,
    message = `${docType} is read-only for this participant now: ${action} is not allowed`,
  ) {
    super(message);
    this.name = 'ReadOnlyError';
  }
}

/**
 * The whiteboard's (and slide annotations') {@link ReadOnlyError}: the teacher has locked the board.
 * Apps can tell the user so; `instanceof ReadOnlyError` catches it along with other types' refusals.
 */
export class BoardLockedError extends ReadOnlyError {
  constructor(action: string, docType = 'whiteboard') {
    super(docType, action, `the board is locked by the teacher: ${action} is not allowed for students`);
    this.name = 'BoardLockedError';
  }
}

/** Thrown when a local call needs the teacher role. */
export class PermissionError extends Error {
  constructor(
    /** What the caller tried to do, e.g. `delete chat messages`. */
    readonly action: string,
  ) {
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

/**
 * Thrown when a past state is asked of a doc that garbage-collects deleted content (`Whiteboard.at`,
 * lesson replay): such a doc no longer has the history. Create it with `createClassDoc()`.
 */
export class HistoryUnavailableError extends Error {
  constructor(what: string) {
    super(`${what} needs a Y.Doc created with { gc: false } (use createClassDoc())`);
    this.name = 'HistoryUnavailableError';
  }
}
