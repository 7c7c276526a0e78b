import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { DocTypeError } from './types.js';
import type { AnyDocType, DocContext, DocProblem, DocType, Identity } from './types.js';

/** Events of a {@link DocumentSet}. */
export type DocumentSetEvents = {
  /** Remote content was refused by a doc type. */
  problem: (problem: DocProblem) => void;
};

/** Options of a {@link DocumentSet}. */
export interface DocumentSetOptions {
  /**
   * Whether class state refuses the local peer's writes to the doc type named `docType` right now; each
   * type sees the answer as `ctx.isReadOnly()`. The Classroom wires it to its control state, e.g. students
   * while the teacher has locked the board: `(type) => locked() && role === 'student' && (type === 'whiteboard' || type === 'presentation')`.
   * Default: nothing is read-only.
   */
  readOnly?: (docType: string) => boolean;
  /** Clock; defaults to Date.now. */
  now?: () => number;
}

/** Name of the top-level map where each registered type records its schema version. */
export const DOC_TYPE_VERSIONS_KEY = 'peerclass:types';

interface Entry {
  readonly type: AnyDocType;
  readonly api: unknown;
  readonly destroy: (() => void) | undefined;
}

/**
 * The set of typed documents living in one class Y.Doc. Register each doc type once; get its API anywhere.
 * Problems found in remote content by any type are re-emitted as `problem` events.
 */
export class DocumentSet extends ObservableV2<DocumentSetEvents> {
  /** The shared doc. */
  readonly doc: Y.Doc;
  /** Local identity. */
  readonly identity: Readonly<Identity>;
  private readonly entries = new Map<string, Entry>();
  private readonly options: DocumentSetOptions;
  private readonly problems: DocProblem[] = [];

  constructor(doc: Y.Doc, identity: Identity, options: DocumentSetOptions = {}) {
    super();
    this.doc = doc;
    this.identity = Object.freeze({ ...identity });
    this.options = options;
  }

  /** Register a doc type and return its API. Registering the same type twice returns the same API. */
  register<Api>(type: DocType<Api>): Api {
    const existing = this.entries.get(type.name);
    if (existing !== undefined) {
      if (existing.type !== type) throw new DocTypeError('name-taken', `another doc type is already registered as "${type.name}"`);
      return existing.api as Api;
    }
    const ctx = this.contextFor(type.name);
    this.checkVersion(type, ctx);
    const api = type.definition.create(ctx);
    this.entries.set(type.name, { type, api, destroy: api.destroy?.bind(api) });
    return api;
  }

  /** The API of a registered type; throws if it was not registered. */
  get<Api>(type: DocType<Api>): Api {
    const entry = this.entries.get(type.name);
    if (entry === undefined || entry.type !== type) throw new DocTypeError('not-registered', `doc type "${type.name}" is not registered`);
    return entry.api as Api;
  }

  /** Whether a type with this name is registered. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Names of registered types, in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Problems reported so far (most recent last, capped at 1000). */
  recentProblems(): readonly DocProblem[] {
    return this.problems;
  }

  /** Destroy every registered type's API (observers, undo managers). The Y.Doc itself stays. */
  override destroy(): void {
    for (const entry of this.entries.values()) {
      try {
        entry.destroy?.();
      } catch {
        // One type failing to clean up must not keep the others alive.
      }
    }
    this.entries.clear();
    super.destroy();
  }

  private contextFor(name: string): DocContext {
    const readOnly = this.readOnlyPolicy();
    const now = this.options.now ?? Date.now;
    return {
      doc: this.doc,
      localPeerId: this.identity.peerId,
      localName: this.identity.name,
      localRole: this.identity.role,
      isReadOnly: () => readOnly(name),
      now,
      report: (problem) => {
        const p: DocProblem = { ...problem, docType: problem.docType || name, code: problem.code ?? 'invalid' };
        this.problems.push(p);
        if (this.problems.length > 1000) this.problems.shift();
        try {
          this.emit('problem', [p]);
        } catch {
          // A listener's bug must not break the doc type that reported.
        }
      },
    };
  }

  private readOnlyPolicy(): (docType: string) => boolean {
    return this.options.readOnly ?? (() => false);
  }

  private checkVersion(type: AnyDocType, ctx: DocContext): void {
    const versions = this.doc.getMap<unknown>(DOC_TYPE_VERSIONS_KEY);
    const seen = versions.get(type.name);
    if (typeof seen === 'number' && seen > type.version) {
      ctx.report({ docType: type.name, path: DOC_TYPE_VERSIONS_KEY, code: 'newer-version', reason: `doc written by version ${seen}, this peer runs ${type.version}; newer fields are ignored` });
    } else if (seen !== type.version) {
      versions.set(type.name, type.version);
    }
  }
}
