import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import type { PolicyGate } from '../sync/docSync.js';
import { createPolicyGate, type PolicyRejection } from './gate.js';
import { claimClientIds, type ClaimVerifier } from './ownership.js';
import { ALLOW, deny, type DocPolicy, type PolicyContext } from './policy.js';
import { DocTypeError } from './types.js';
import type { AnyDocType, DocContext, DocProblem, DocType, Identity } from './types.js';

/** Events of a {@link DocumentSet}. */
export type DocumentSetEvents = {
  /** Remote content was refused by a doc type. */
  problem: (problem: DocProblem) => void;
  /** The update gate refused an incoming update (write policies); once per author, doc type and code. */
  rejected: (rejection: PolicyRejection) => void;
};

/** Write-policy enforcement of a {@link DocumentSet} (see `DocumentSet.gate`). */
export interface DocumentSetPolicies {
  /** Who is the teacher, what is locked, names from the roster. */
  context: PolicyContext;
  /** Checks clientID claims (the identity layer's signed hello). Default: a claim's value is the peer id. */
  verifyClaim?: ClaimVerifier;
  /**
   * Top-level names the app keeps besides its doc types, with their policy (the Classroom's signed `control` map).
   * Writes under a name that is neither a registered type nor listed here are refused as `unknown-type`.
   */
  otherTypes?: ReadonlyMap<string, DocPolicy>;
}

/** Schema versions: one small number per registered type name, written by whoever registers it. */
const typeVersionsPolicy: DocPolicy = (change) => change.inserts.every((i) => i.place !== null && i.place.depth === 0 &&
  (i.place.key?.length ?? 0) <= 100 && i.values.every((v) => Number.isSafeInteger(v)))
  ? ALLOW
  : deny('invalid', `${DOC_TYPE_VERSIONS_KEY} holds one version number per type name`);

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
  /**
   * Enforce write policies: this peer claims its Yjs clientIDs in the doc from its first write on, and
   * {@link DocumentSet.gate} judges incoming updates. Off by default (no claims are written).
   */
  policies?: DocumentSetPolicies;
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
  private readonly stopClaiming: (() => void) | undefined;
  private readonly reportedRejections = new Set<string>();
  private policyGate: PolicyGate | undefined;

  constructor(doc: Y.Doc, identity: Identity, options: DocumentSetOptions = {}) {
    super();
    this.doc = doc;
    this.identity = Object.freeze({ ...identity });
    this.options = options;
    // Before any type writes (registration records schema versions): every local update carries its claim.
    if (options.policies !== undefined) this.stopClaiming = claimClientIds(doc, identity.peerId, options.policies.verifyClaim);
  }

  /**
   * The update gate for the sync engine (`SyncEngineOptions.updateGate`, the provider's `updateGate`): clientID
   * ownership plus the `policy` of every registered doc type, read at each check. Needs `options.policies`.
   */
  gate(): PolicyGate {
    const policies = this.options.policies;
    if (policies === undefined) throw new Error('DocumentSet: gate() needs options.policies');
    this.policyGate ??= createPolicyGate({
      doc: this.doc, localPeerId: this.identity.peerId, context: policies.context,
      ...(policies.verifyClaim !== undefined ? { verifyClaim: policies.verifyClaim } : {}),
      policyOf: (name) => (name === DOC_TYPE_VERSIONS_KEY ? typeVersionsPolicy : this.entries.get(name)?.type.definition.policy ?? policies.otherTypes?.get(name)),
      isKnownType: (name) => name === DOC_TYPE_VERSIONS_KEY || this.entries.has(name) || policies.otherTypes?.has(name) === true,
      onRejected: (r) => this.onRejected(r),
    });
    return this.policyGate;
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
    this.stopClaiming?.();
    super.destroy();
  }

  private onRejected(rejection: PolicyRejection): void {
    const key = `${rejection.author}\u0000${rejection.docType ?? ''}\u0000${rejection.code}`;
    if (this.reportedRejections.has(key)) return;
    if (this.reportedRejections.size > 10_000) this.reportedRejections.clear();
    this.reportedRejections.add(key);
    try {
      this.emit('rejected', [rejection]);
    } catch {
      // A listener's bug must not break the gate.
    }
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
      ...(this.options.policies?.context.nameOf !== undefined ? { nameOf: (id: string) => this.options.policies?.context.nameOf?.(id) } : {}),
      ...(this.options.policies !== undefined ? { canModify: (author: string) => this.identity.role === 'teacher' || author === this.identity.peerId.slice(0, 64) } : {}),
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
