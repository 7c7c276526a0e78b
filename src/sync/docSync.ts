import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { decodeSyncMessage, encodeSyncMessage } from '../protocol/docSyncMessages.js';
import { MESSAGE_SYNC } from '../protocol/messageTypes.js';
import type { Link } from './link.js';
import { DropError, type Router, type RouterFamily } from './router.js';

/** Events of {@link DocSync}. */
export interface DocSyncEvents {
  /** Every current link finished its step 1 / step 2 exchange (true), or a new link has not yet (false). */
  synced: (synced: boolean) => void;
}

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

  /** `routedOrigin` is the transaction origin of routed updates (the engine passes itself, as before the split). */
  constructor(doc: Y.Doc, router: Router, routedOrigin: object) {
    super();
    this.doc = doc;
    this.#router = router;
    this.#routedOrigin = routedOrigin;
    router.handleDirect(MESSAGE_SYNC, (from, message) => this.#onDirect(from, message));
    router.handleRouted(MESSAGE_SYNC, (inner) => this.#onRouted(inner));
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
      state.link.send(encodeSyncMessage('step2', Y.encodeStateAsUpdate(this.doc, payload)));
      return;
    }
    const changed = this.#apply(payload, this.#antiEntropyOrigin);
    if (kind === 'step2') {
      state.awaitingStep2 = Math.max(0, state.awaitingStep2 - 1);
      if (!state.synced) {
        state.synced = true;
        this.#updateSynced();
      }
    }
    // News from anti-entropy is not routed: pass it on by exchanging with the other neighbours instead.
    if (changed) {
      for (const id of this.#links.keys()) if (id !== from) this.#exchangeDue.add(id);
      this.#router.scheduleMaintenance();
    }
  }

  #onRouted(inner: Uint8Array): 'forward' {
    const decoded = decodeSyncMessage(inner);
    if (!decoded.ok) throw new DropError(`routed ${decoded.reason}`);
    if (decoded.value.kind !== 'update') throw new DropError('routed sync: not an update');
    this.#apply(decoded.value.payload, this.#routedOrigin);
    return 'forward';
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
