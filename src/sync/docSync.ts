import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { decodeSyncMessage, encodeSyncMessage } from '../protocol/docSyncMessages.js';
import { MESSAGE_SYNC } from '../protocol/messageTypes.js';
import type { Link } from './link.js';
import { DropError, type Router, type RouterFamily } from './router.js';

import type { PolicyGate, UpdateGate, UpdateRejection, UpdateSource, Verdict } from './updateGate.js';

export type { PolicyGate, UpdateGate, UpdateRejection, UpdateSource, Verdict } from './updateGate.js';

/** Options of {@link DocSync}. */
export interface DocSyncOptions {
  /** Checked before every incoming update is applied; without it every well-formed update is applied. */
  gate?: UpdateGate | PolicyGate;
}

/** Events of {@link DocSync}. */
export interface DocSyncEvents {
  /** Every current link finished its step 1 / step 2 exchange (true), or a new link has not yet (false). */
  synced: (synced: boolean) => void;
  /** The gate refused an update: neither applied nor forwarded. Emitted once per author and code. */
  rejected: (rejection: UpdateRejection) => void;
}

interface GateJob {
  update: Uint8Array;
  source: UpdateSource;
  from: string;
  done: (verdict: Verdict) => void;
}

/** Bounds of the updates held for missing dependencies (oldest evicted first). */
const HELD_MAX_UPDATES = 256;
const HELD_MAX_BYTES = 16 * 1024 * 1024;
const HELD_MAX_PER_AUTHOR = 32;

interface LinkSync {
  link: Link;
  /** Received a step 2 from this neighbour since the link was added. */
  synced: boolean;
  /**
   * Step 1 messages sent and not yet answered (each gets exactly one step 2, links are FIFO). While > 0 a
   * step 1 from the neighbour is answered with step 2 only: our pending step 1 already covers the other direction.
   */
  awaitingStep2: number;
}

/**
 * The document message family: local updates go out routed (each peer receives each update about once), and
 * anti-entropy (sync step 1 / step 2 with neighbours on every change of the graph, and onward exchange when a
 * step 2 brought news) recovers anything a stale routing tree missed. See PROTOCOL.md, "Routing".
 */
export class DocSync extends ObservableV2<DocSyncEvents> implements RouterFamily {
  readonly doc: Y.Doc;
  readonly #router: Router;
  readonly #links = new Map<string, LinkSync>();
  /** Neighbours due for an exchange at the next maintenance run because a step 2 brought news from elsewhere. */
  readonly #exchangeDue = new Set<string>();
  /**
   * Neighbours due for an exchange because the graph changed. Skipped for a link whose step 1 is still unanswered:
   * that step 2 is computed after the change and brings the same, and a new link (which changes the graph itself)
   * would otherwise get two full step 2s — twice the missing bytes on every reconnect.
   */
  readonly #viewDue = new Set<string>();
  /** Transaction origin for updates applied from routed messages (the routing forwards those itself). */
  readonly #routedOrigin: object;
  /** Transaction origin for updates applied from sync step 2 (anti-entropy). */
  readonly #antiEntropyOrigin = { name: 'peerclass-anti-entropy' };
  #antiEntropyChanged = false;
  #synced = false;
  #destroyed = false;
  readonly #gate: UpdateGate | undefined;
  readonly #encodeStep2: (stateVector: Uint8Array, to: string) => Uint8Array;
  /** Per-neighbour queues while an asynchronous verdict is outstanding: application order per link is kept. */
  readonly #queues = new Map<string, GateJob[]>();
  /** Updates waiting for structs this peer does not have yet (verdict `pending`). */
  #held: GateJob[] = [];
  #heldBytes = 0;
  #retryingHeld = false;
  readonly #reported = new Set<string>();
  /** Per neighbour: a pending re-exchange after a refusal, and the next backoff. */
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #retryDelay = new Map<string, number>();

  /** `routedOrigin` is the transaction origin of routed updates (the engine passes itself, as before the split). */
  constructor(doc: Y.Doc, router: Router, routedOrigin: object, options: DocSyncOptions = {}) {
    super();
    this.doc = doc;
    this.#router = router;
    this.#routedOrigin = routedOrigin;
    const gate = options.gate;
    this.#gate = typeof gate === 'function' ? gate : gate?.check;
    const encode = typeof gate === 'object' ? gate.encodeStep2 : undefined;
    this.#encodeStep2 = encode ?? ((sv) => Y.encodeStateAsUpdate(this.doc, sv));
    router.handleDirect(MESSAGE_SYNC, (from, message) => this.#onDirect(from, message));
    router.handleRouted(MESSAGE_SYNC, (inner, meta) => this.#onRouted(inner, meta.origin, meta.from));
    router.addFamily(this);
    doc.on('update', this.#onDocUpdate);
  }

  /** True when there is at least one link and every link finished the step 1 / step 2 exchange. */
  get synced(): boolean {
    return this.#synced;
  }

  linkAdded(link: Link): void {
    const state: LinkSync = { link, synced: false, awaitingStep2: 0 };
    this.#links.set(link.remoteId, state);
    // Sync with the new neighbour right away (that is what `synced` waits for); the rest is deferred maintenance.
    this.#startExchange(state);
    this.#updateSynced();
  }

  linkRemoved(remoteId: string): void {
    this.#links.delete(remoteId);
    this.#exchangeDue.delete(remoteId);
    clearTimeout(this.#retries.get(remoteId));
    this.#retries.delete(remoteId);
    this.#retryDelay.delete(remoteId);
    this.#viewDue.delete(remoteId);
    this.#updateSynced();
  }

  viewChanged(): void {
    for (const id of this.#links.keys()) this.#viewDue.add(id);
  }

  maintain(): void {
    // Anti-entropy: whatever a stale tree failed to deliver is fetched from (and pushed to) neighbours.
    const due = new Set(this.#exchangeDue);
    for (const id of this.#viewDue) if ((this.#links.get(id)?.awaitingStep2 ?? 0) === 0) due.add(id);
    this.#exchangeDue.clear();
    this.#viewDue.clear();
    for (const id of due) {
      const state = this.#links.get(id);
      if (state) this.#startExchange(state);
    }
  }

  override destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#queues.clear();
    this.#held = [];
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.doc.off('update', this.#onDocUpdate);
    super.destroy();
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this.#routedOrigin) return; // forwarded by the routing itself
    if (origin === this.#antiEntropyOrigin) {
      this.#antiEntropyChanged = true;
      return;
    }
    this.#router.originate(encodeSyncMessage('update', update));
  };

  /** Sends sync step 1; the neighbour answers step 2 and, if it is not already waiting for ours, its own step 1. */
  #startExchange(state: LinkSync): void {
    state.awaitingStep2++;
    state.link.send(encodeSyncMessage('step1', Y.encodeStateVector(this.doc)));
  }

  #onDirect(from: string, message: Uint8Array): void {
    const state = this.#links.get(from);
    if (!state) return;
    const decoded = decodeSyncMessage(message);
    if (!decoded.ok) throw new DropError(decoded.reason);
    const { kind, payload } = decoded.value;
    if (kind === 'step1') {
      // Step 1 before step 2: the neighbour then sees our step 1 while still awaiting our step 2, so it does
      // not answer with yet another step 1 (no ping-pong).
      if (state.awaitingStep2 === 0) this.#startExchange(state);
      state.link.send(encodeSyncMessage('step2', this.#encodeStep2(payload, from)));
      return;
    }
    const finish = (verdict: Verdict | null): void => {
      // A refused step 2 still answers our step 1: the exchange is over (what it lacked comes another way).
      if (kind === 'step2' && this.#links.get(from) === state) {
        state.awaitingStep2 = Math.max(0, state.awaitingStep2 - 1);
        if (!state.synced) {
          state.synced = true;
          this.#updateSynced();
        }
      }
      if (verdict === null || verdict.ok) this.#retryHeld();
    };
    if (this.#gate === undefined) {
      const changed = this.#apply(payload, this.#antiEntropyOrigin);
      finish(null);
      if (changed) this.#newsFrom(from);
      return;
    }
    this.#submit({ update: payload, source: { author: from, via: 'anti-entropy' }, from, done: (verdict) => {
      if (verdict.ok && this.#applySafely(payload, this.#antiEntropyOrigin, from)) this.#newsFrom(from);
      finish(verdict); // also for a held step 2: the exchange is answered
    } });
  }

  #onRouted(inner: Uint8Array, origin: string, from: string): 'forward' | 'drop' {
    const decoded = decodeSyncMessage(inner);
    if (!decoded.ok) throw new DropError(`routed ${decoded.reason}`);
    if (decoded.value.kind !== 'update') throw new DropError('routed sync: not an update');
    const update = decoded.value.payload;
    if (this.#gate === undefined) {
      this.#apply(update, this.#routedOrigin);
      return 'forward';
    }
    let result: 'forward' | 'drop' = 'drop';
    let sync = true;
    this.#submit({ update, source: { author: origin, via: 'routed' }, from, done: (verdict) => {
      if (!verdict.ok) return;
      if (sync) {
        // Decided while the router waits: applied and forwarded down the origin's tree as without a gate.
        this.#apply(update, this.#routedOrigin);
        result = 'forward';
      } else if (this.#applySafely(update, this.#antiEntropyOrigin, from)) {
        // Decided later (asynchronous gate, or held for missing structs): the router has moved on, so the update
        // travels on by anti-entropy with the other neighbours instead.
        this.#newsFrom(from);
      }
      this.#retryHeld();
    } });
    sync = false;
    return result;
  }

  /** Runs the gate on a job, in arrival order per neighbour (a queue while an asynchronous verdict is outstanding). */
  #submit(job: GateJob): void {
    const queue = this.#queues.get(job.from);
    if (queue !== undefined) {
      queue.push(job);
      return;
    }
    const verdict = this.#check(job);
    if (!(verdict instanceof Promise)) {
      this.#conclude(job, verdict);
      return;
    }
    const waiting: GateJob[] = [];
    this.#queues.set(job.from, waiting);
    void this.#drain(job, verdict, waiting);
  }

  async #drain(first: GateJob, verdict: Promise<Verdict>, queue: GateJob[]): Promise<void> {
    let job: GateJob | undefined = first;
    let pending: Verdict | Promise<Verdict> = verdict;
    while (job !== undefined) {
      const v: Verdict = await pending;
      if (this.#destroyed || this.#queues.get(job.from) !== queue) return;
      this.#conclude(job, v);
      job = queue.shift();
      if (job !== undefined) pending = this.#check(job);
    }
    this.#queues.delete(first.from);
  }

  #check(job: GateJob): Verdict | Promise<Verdict> {
    const failed = (err: unknown): Verdict => ({ ok: false, code: 'gate-error', reason: `the update gate threw: ${String(err)}` });
    try {
      const v = (this.#gate as UpdateGate)(job.update, job.source);
      return v instanceof Promise ? v.catch(failed) : v;
    } catch (err) {
      return failed(err);
    }
  }

  /** `done` runs once, with the first verdict; a held job is then resolved by {@link #retryHeld} or evicted. */
  #conclude(job: GateJob, verdict: Verdict): void {
    if (!verdict.ok && verdict.pending === true) this.#hold(job);
    else if (!verdict.ok) this.#reject(job, verdict);
    job.done(verdict);
  }

  #hold(job: GateJob): void {
    this.#held.push(job);
    this.#heldBytes += job.update.byteLength;
    // One author cannot fill the space (and make every later update re-judge its junk): its own oldest go first.
    const byAuthor = this.#held.filter((j) => j.source.author === job.source.author);
    const evict = (victim: GateJob): void => {
      this.#held.splice(this.#held.indexOf(victim), 1);
      this.#heldBytes -= victim.update.byteLength;
      this.#reject(victim, { code: 'missing-dependency', reason: 'held too long for structs that never arrived' });
    };
    if (byAuthor.length > HELD_MAX_PER_AUTHOR) evict(byAuthor[0] as GateJob);
    while (this.#held.length > HELD_MAX_UPDATES || this.#heldBytes > HELD_MAX_BYTES) evict(this.#held[0] as GateJob);
  }

  /** Asks the gate again about held updates after the doc changed; accepted ones are applied as news. */
  #retryHeld(): void {
    if (this.#retryingHeld || this.#held.length === 0 || this.#destroyed) return;
    this.#retryingHeld = true;
    try {
      let progress = true;
      while (progress) {
        progress = false;
        for (const job of [...this.#held]) {
          const verdict = this.#check(job);
          if (verdict instanceof Promise) continue; // an asynchronous gate re-judges held updates on the next arrival
          if (!verdict.ok && verdict.pending === true) continue;
          this.#held.splice(this.#held.indexOf(job), 1);
          this.#heldBytes -= job.update.byteLength;
          if (!verdict.ok) {
            this.#reject(job, verdict);
            continue;
          }
          if (this.#applySafely(job.update, this.#antiEntropyOrigin, job.from)) this.#newsFrom(job.from);
          progress = true;
        }
      }
    } finally {
      this.#retryingHeld = false;
    }
  }

  #reject(job: GateJob, verdict: { code: string; reason: string }): void {
    this.#retryLater(job.from);
    const key = `${job.source.author}\u0000${verdict.code}`;
    if (this.#reported.has(key)) return;
    if (this.#reported.size > 10_000) this.#reported.clear();
    this.#reported.add(key);
    try {
      this.emit('rejected', [{ author: job.source.author, from: job.from, via: job.source.via, code: verdict.code, reason: verdict.reason }]);
    } catch {
      // A listener's bug must not break sync.
    }
  }

  /**
   * Exchanges again with a neighbour whose update was refused, later (5 s, doubling to 60 s): a refusal may depend on
   * class state that changes (a student's stroke racing the board lock), and the step 2 then carries what was refused.
   */
  #retryLater(from: string): void {
    if (this.#destroyed || this.#retries.has(from) || !this.#links.has(from)) return;
    const delay = this.#retryDelay.get(from) ?? 5000;
    this.#retryDelay.set(from, Math.min(delay * 2, 60_000));
    this.#retries.set(from, setTimeout(() => {
      this.#retries.delete(from);
      const state = this.#links.get(from);
      if (state !== undefined && !this.#destroyed) this.#startExchange(state);
    }, delay));
  }

  /** News from anti-entropy is not routed: pass it on by exchanging with the other neighbours instead. */
  #newsFrom(from: string): void {
    for (const id of this.#links.keys()) if (id !== from) this.#exchangeDue.add(id);
    this.#router.scheduleMaintenance();
  }

  /** {@link #apply} outside a router handler: a failure is reported as a drop instead of thrown. */
  #applySafely(update: Uint8Array, origin: object, from: string): boolean {
    try {
      return this.#apply(update, origin);
    } catch (err) {
      this.#router.drop(from, err instanceof Error ? err.message : String(err));
      return false;
    }
  }

  /** Applies an already validated update; returns whether the doc changed. */
  #apply(update: Uint8Array, origin: object): boolean {
    this.#antiEntropyChanged = false;
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (err) {
      throw new DropError(`sync: update failed to apply (${String(err)})`);
    }
    return origin === this.#antiEntropyOrigin ? this.#antiEntropyChanged : true;
  }

  #updateSynced(): void {
    let synced = this.#links.size > 0;
    for (const s of this.#links.values()) if (!s.synced) synced = false;
    if (synced !== this.#synced) {
      this.#synced = synced;
      this.emit('synced', [synced]);
    }
  }
}
