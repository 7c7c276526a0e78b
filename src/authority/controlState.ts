import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import {
  controlSlot,
  encodeSignedControl,
  signControl,
  verifyControl,
} from './control.js';
import type { AnyControlStatement, ControlBodies, ControlKind, ControlRejectionReason, ControlVerification } from './control.js';
import type { TeacherIdentity } from './identity.js';

/** Name of the Y.Map in the class document that holds the signed control statements. */
export const CONTROL_MAP_NAME = 'control';

/** A control entry that was not applied, reported through the `rejected` event. */
export interface ControlRejection {
  reason: ControlRejectionReason;
  /** Human-readable detail. */
  detail: string;
  /** The Y.Map key the entry was written under, or null when it arrived through {@link ControlState.ingest}. */
  key: string | null;
  /** Yjs clientID of the doc that wrote the entry, when the map still holds it. */
  writerClientId?: number;
  /** Peer id of the writer: from `resolveWriter(writerClientId)`, or the `from` given to {@link ControlState.ingest}. */
  writer?: string;
}

/** The latest mute request addressed to one peer or to everyone. */
export interface MuteRequest {
  muted: boolean;
  seq: number;
}

/** Options of {@link ControlState}. */
export interface ControlStateOptions {
  /** The class document; statements live in its Y.Map {@link CONTROL_MAP_NAME} (or `mapName`). */
  doc: Y.Doc;
  classId: string;
  /** The teacher public key from the join link (base64url raw P-256), or an imported key. */
  teacherKey: string | CryptoKey;
  /** The teacher's identity. Only the teacher has one; without it {@link ControlState.issue} throws. */
  identity?: TeacherIdentity;
  /** Map a Yjs clientID to a peer id (e.g. from awareness) for rejection reports. */
  resolveWriter?(clientId: number): string | undefined;
  /**
   * Write the latest valid statement back when an invalid, older or deleted entry replaces it (default true).
   * Any peer may do this because signed statements are forwarded unchanged; without it a forger could
   * overwrite the map key and late joiners would get no valid state from the document.
   */
  repair?: boolean;
  /** Override the Y.Map name (default {@link CONTROL_MAP_NAME}). */
  mapName?: string;
}

/** Events of {@link ControlState}. */
export interface ControlStateEvents {
  /** Accepted statements changed the state; lists the kinds that changed. */
  change: (kinds: ControlKind[]) => void;
  /** An entry failed verification, was older than the one held, or was deleted. */
  rejected: (rejection: ControlRejection) => void;
}

interface Accepted {
  statement: AnyControlStatement;
  bytes: Uint8Array;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The teacher-controlled state of a class, replicated through a Y.Map of signed statements.
 *
 * Every peer keeps the latest signed statement per slot (see {@link controlSlot}) in the map, so a late joiner
 * gets the state from any peer through normal document sync. Every entry is verified on arrival against the
 * teacher key; entries that fail, or carry a seq not above the one held for their slot, are ignored and
 * reported with the `rejected` event. Verification is asynchronous, so results are applied by comparing seqs
 * when each verification finishes: the highest valid seq per slot wins whatever order they complete in.
 */
export class ControlState extends ObservableV2<ControlStateEvents> {
  /** Resolves when the entries present at construction have been verified. */
  readonly ready: Promise<void>;
  readonly classId: string;
  private readonly doc: Y.Doc;
  private readonly map: Y.Map<unknown>;
  private readonly teacherKey: string | CryptoKey;
  private readonly identity: TeacherIdentity | undefined;
  private readonly resolveWriter: ((clientId: number) => string | undefined) | undefined;
  private readonly repair: boolean;
  private readonly accepted = new Map<string, Accepted>();
  private readonly lastIssued = new Map<ControlKind, number>();
  private readonly pending = new Set<Promise<void>>();
  private destroyed = false;
  private readonly observer: (event: Y.YMapEvent<unknown>, tx: Y.Transaction) => void;

  constructor(options: ControlStateOptions) {
    super();
    this.doc = options.doc;
    this.classId = options.classId;
    this.teacherKey = options.teacherKey;
    this.identity = options.identity;
    this.resolveWriter = options.resolveWriter;
    this.repair = options.repair ?? true;
    this.map = this.doc.getMap(options.mapName ?? CONTROL_MAP_NAME);
    this.observer = (event, tx) => {
      for (const key of event.keysChanged) {
        const value = this.map.get(key);
        // Our own repairs and issues write bytes we already hold: nothing to verify.
        if (tx.origin === this && value instanceof Uint8Array && this.holds(key, value)) continue;
        this.check(key, value);
      }
    };
    this.map.observe(this.observer);
    // Deferred so that listeners attached right after construction also hear about entries already present.
    const scan = Promise.resolve().then(() => {
      for (const [key, value] of this.map.entries()) this.check(key, value);
    });
    this.track(scan);
    this.ready = this.whenIdle();
  }

  /** Resolves when every verification started so far (and any it triggered) has finished. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Whether this peer holds the teacher's private key and can {@link issue} statements. */
  get canIssue(): boolean {
    return this.identity !== undefined;
  }

  /** The peer on stage, or null. */
  stage(): string | null {
    return this.body('stage')?.peerId ?? null;
  }

  /** The current slide and follow flag, or null before the teacher set one. */
  slide(): ControlBodies['slide'] | null {
    const b = this.body('slide');
    return b ? { slideIndex: b.slideIndex, follow: b.follow } : null;
  }

  /** Whether the board is locked for students. */
  boardLocked(): boolean {
    return this.body('board-lock')?.locked ?? false;
  }

  /** Peers the teacher removed from the class. */
  removed(): Set<string> {
    const out = new Set<string>();
    for (const { statement } of this.accepted.values()) if (statement.kind === 'remove') out.add(statement.body.peerId);
    return out;
  }

  /** Participants the teacher admitted (and did not remove since), with the name they were admitted under. */
  roster(): Map<string, { name: string }> {
    const removed = this.removed();
    const out = new Map<string, { name: string }>();
    for (const { statement } of this.accepted.values()) {
      if (statement.kind === 'admit' && statement.body.admitted && !removed.has(statement.body.peerId)) {
        out.set(statement.body.peerId, { name: statement.body.name });
      }
    }
    return out;
  }

  /** Participants the teacher trusts to relay others' content (keepers), removed ones excepted. */
  keepers(): Set<string> {
    const removed = this.removed();
    const out = new Set<string>();
    for (const { statement } of this.accepted.values()) {
      if (statement.kind === 'keeper' && statement.body.trusted && !removed.has(statement.body.peerId)) out.add(statement.body.peerId);
    }
    return out;
  }

  /** How the class admits participants: `'open'` (default) or `'lobby'`. */
  admissionMode(): 'open' | 'lobby' {
    return this.body('admission')?.mode ?? 'open';
  }

  /** Peers whose knock the teacher denied (a later admit overrides it: one slot per peer). */
  denied(): Set<string> {
    const out = new Set<string>();
    for (const { statement } of this.accepted.values()) if (statement.kind === 'admit' && !statement.body.admitted) out.add(statement.body.peerId);
    return out;
  }

  /** The latest mute request per target (`'all'` or a peer id). */
  muteRequests(): Map<string, MuteRequest> {
    const out = new Map<string, MuteRequest>();
    for (const { statement } of this.accepted.values()) {
      if (statement.kind === 'mute-request') out.set(statement.body.peerId, { muted: statement.body.muted, seq: statement.seq });
    }
    return out;
  }

  /** What the teacher last asked `peerId` to do: the newer of the request to everyone and the one to this peer; null if none. */
  muteRequestFor(peerId: string): boolean | null {
    const requests = this.muteRequests();
    const all = requests.get('all');
    const own = requests.get(peerId);
    if (!all && !own) return null;
    if (!own) return all!.muted;
    if (!all) return own.muted;
    return own.seq > all.seq ? own.muted : all.muted;
  }

  /** Whether the teacher ended the class. */
  ended(): boolean {
    return this.accepted.has('end-class');
  }

  /** The accepted statement in a slot (e.g. `'stage'`, `'remove:bob'`), for inspection. */
  statement(slot: string): AnyControlStatement | undefined {
    return this.accepted.get(slot)?.statement;
  }

  /** The signed bytes of every accepted statement, to forward unchanged (e.g. as MESSAGE_SIGNED_CONTROL). */
  signedStatements(): Uint8Array[] {
    return [...this.accepted.values()].map((a) => a.bytes);
  }

  /**
   * Teacher only: signs a statement and writes it into the control map (from where sync carries it to everyone).
   * The seq is the larger of "one above anything seen for this kind" and the clock in ms, so it keeps rising
   * across a teacher's page reloads even before the reloaded page has synced the old state back.
   *
   * @returns the signed bytes, which can also be sent directly to peers.
   */
  async issue<K extends ControlKind>(kind: K, body: ControlBodies[K]): Promise<Uint8Array> {
    if (!this.identity) throw new Error('ControlState.issue: only the teacher (holding the private key) can issue control statements');
    let seen = this.lastIssued.get(kind) ?? 0;
    for (const { statement } of this.accepted.values()) if (statement.kind === kind) seen = Math.max(seen, statement.seq);
    const issuedAt = Date.now();
    const seq = Math.max(seen + 1, issuedAt);
    this.lastIssued.set(kind, seq);
    const statement = { kind, classId: this.classId, seq, issuedAt, body } as AnyControlStatement;
    const bytes = encodeSignedControl(await signControl(this.identity, statement));
    const slot = controlSlot(statement);
    const current = this.accepted.get(slot);
    if (!current || current.statement.seq < seq) {
      this.accepted.set(slot, { statement, bytes });
      this.write(slot, bytes);
      this.emit('change', [[kind]]);
    }
    return bytes;
  }

  /**
   * Applies a signed statement received outside the document (e.g. a MESSAGE_SIGNED_CONTROL from a peer).
   * If valid and newer than what is held, it is accepted and written into the map so it persists and syncs.
   *
   * @param from - peer id of the sender, for the rejection report.
   */
  async ingest(bytes: Uint8Array, from?: string): Promise<ControlVerification> {
    const result = await verifyControl(this.teacherKey, this.classId, bytes);
    if (this.destroyed) return result;
    if (!result.ok) {
      this.emit('rejected', [{ reason: result.reason, detail: result.detail, key: null, ...(from !== undefined ? { writer: from } : {}) }]);
      return result;
    }
    const slot = controlSlot(result.statement);
    const held = this.accepted.get(slot);
    if (held && held.statement.seq >= result.statement.seq) {
      if (bytesEqual(held.bytes, bytes)) return result;
      const replay: ControlVerification = { ok: false, reason: 'replay', detail: `seq ${result.statement.seq} ≤ current ${held.statement.seq}` };
      this.emit('rejected', [{ reason: 'replay', detail: replay.detail, key: null, ...(from !== undefined ? { writer: from } : {}) }]);
      return replay;
    }
    this.accepted.set(slot, { statement: result.statement, bytes: Uint8Array.from(bytes) });
    this.write(slot, Uint8Array.from(bytes));
    this.emit('change', [[result.statement.kind]]);
    return result;
  }

  /** Stops observing the document and drops listeners. */
  override destroy(): void {
    this.destroyed = true;
    this.map.unobserve(this.observer);
    super.destroy();
  }

  private body<K extends ControlKind>(kind: K): ControlBodies[K] | undefined {
    return this.accepted.get(kind)?.statement.body as ControlBodies[K] | undefined;
  }

  private holds(slot: string, bytes: Uint8Array): boolean {
    const held = this.accepted.get(slot);
    return held !== undefined && bytesEqual(held.bytes, bytes);
  }

  private write(slot: string, bytes: Uint8Array): void {
    if (this.destroyed) return;
    this.doc.transact(() => this.map.set(slot, bytes), this);
  }

  private writerOf(key: string): { writerClientId?: number; writer?: string } {
    // Y.Map keeps the item that currently holds each key; its id names the doc (clientID) that wrote it.
    const item = this.map._map.get(key);
    if (!item || item.deleted) return {};
    const writerClientId = item.id.client;
    const writer = this.resolveWriter?.(writerClientId);
    return writer !== undefined ? { writerClientId, writer } : { writerClientId };
  }

  private reject(
    key: string,
    reason: ControlRejectionReason,
    detail: string,
    value: unknown,
    writer: { writerClientId?: number; writer?: string },
  ): void {
    this.emit('rejected', [{ reason, detail, key, ...writer }]);
    // Another peer may already have repaired the key; only restore over the entry we judged.
    if (this.map.get(key) === value) this.restore(key);
  }

  /**
   * Puts the held statement back into `key` if the map currently holds something else there.
   * Deferred: a write made inside a Y.Map observer joins the transaction being observed, which for a remote
   * update carries the sync provider's origin, and providers do not forward their own remote updates.
   */
  private restore(key: string): void {
    if (!this.repair || this.destroyed) return;
    this.track(Promise.resolve().then(() => this.restoreNow(key)));
  }

  private restoreNow(key: string): void {
    if (this.destroyed) return;
    const held = this.accepted.get(key);
    if (!held) return;
    const current = this.map.get(key);
    if (current instanceof Uint8Array && bytesEqual(current, held.bytes)) return;
    this.write(key, held.bytes);
  }

  private check(key: string, value: unknown): void {
    if (this.destroyed) return;
    if (value === undefined) {
      // A deletion: statements are never deleted by the teacher, so someone tried to erase state.
      this.emit('rejected', [{ reason: 'malformed', detail: 'control entry deleted', key }]);
      this.restore(key);
      return;
    }
    // Captured now: by the time verification ends, a peer may have repaired the key and the writer is gone.
    const writer = this.writerOf(key);
    if (!(value instanceof Uint8Array)) {
      this.reject(key, 'malformed', 'control entry is not a byte array', value, writer);
      return;
    }
    const heldSeqAtArrival = this.accepted.get(key)?.statement.seq;
    const task = (async () => {
      let result: ControlVerification;
      try {
        result = await verifyControl(this.teacherKey, this.classId, value);
      } catch (err) {
        // Only a bad teacher key (not a P-256 point) gets here: nothing can be verified against it.
        result = { ok: false, reason: 'bad-signature', detail: `cannot verify: ${String(err)}` };
      }
      if (this.destroyed) return;
      if (!result.ok) return this.reject(key, result.reason, result.detail, value, writer);
      const { statement } = result;
      if (controlSlot(statement) !== key) {
        return this.reject(key, 'malformed', `a ${statement.kind} statement stored under key ${JSON.stringify(key)}`, value, writer);
      }
      const held = this.accepted.get(key);
      if (held && held.statement.seq >= statement.seq) {
        if (bytesEqual(held.bytes, value)) return;
        // Older than what we held when it arrived: someone wrote an old statement over a newer one. If instead
        // a newer one was accepted while this was being verified, it is ordinary convergence and not reported.
        if (heldSeqAtArrival !== undefined && statement.seq <= heldSeqAtArrival) {
          this.reject(key, 'replay', `seq ${statement.seq} ≤ current ${heldSeqAtArrival}`, value, writer);
        } else if (this.map.get(key) === value) this.restore(key);
        return;
      }
      this.accepted.set(key, { statement, bytes: value });
      this.emit('change', [[statement.kind]]);
    })();
    this.track(task);
  }

  private track(task: Promise<void>): void {
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** A failing listener must not stop other peers' state from applying: its error surfaces asynchronously. */
  override emit<E extends keyof ControlStateEvents>(name: E, args: Parameters<ControlStateEvents[E]>): void {
    try {
      super.emit(name, args);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
