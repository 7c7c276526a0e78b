import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { ObservableV2 } from 'lib0/observable';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import {
  MESSAGE_AWARENESS,
  MESSAGE_CHUNK,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_ROUTED,
  MESSAGE_SYNC,
  MESSAGE_TOPOLOGY,
} from '../protocol/messageTypes.js';
import { decodeRouted, decodeTopology, encodeRouted, encodeTopology, readMessageType } from '../protocol/syncMessages.js';
import type { Link } from './link.js';
import { SeenWindow, TopologyView } from './routing.js';

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  /** This peer's id. A restarted peer may reuse it (its sequence numbers continue above the old ones). */
  peerId: string;
  /** The document kept in sync. */
  doc: Y.Doc;
  /** Awareness to sync; created (and destroyed with the engine) if absent. */
  awareness?: awarenessProtocol.Awareness;
  /** Minimum interval between two awareness sends of the local state; changes in between are coalesced. Default 50. */
  awarenessThrottleMs?: number;
  /**
   * Delay before anti-entropy runs after the view changed or a step 2 brought news; changes within the delay are
   * coalesced into one exchange per neighbour (a burst of joins costs one round, not one per TOPOLOGY). Default 20.
   */
  antiEntropyDelayMs?: number;
  /** Called for every message from a peer that was dropped as invalid. */
  onDroppedMessage?: (info: { from: string; reason: string }) => void;
}

/** Events of {@link SyncEngine}. */
export interface SyncEngineEvents {
  /** Every current link finished its step 1 / step 2 exchange (true), or a new link has not yet (false). */
  synced: (synced: boolean) => void;
  /** The set of peers reachable through the known graph changed. */
  reachable: (peerIds: string[]) => void;
}

/** Decides, for an application message, whether it is forwarded further along the origin's tree. */
export type ChannelHandler = (payload: Uint8Array, meta: { origin: string; from: string }) => 'forward' | 'drop';

interface LinkState {
  link: Link;
  unsubscribe: Array<() => void>;
  /** Received a step 2 from this neighbour since the link was added. */
  synced: boolean;
  /**
   * Step 1 messages sent and not yet answered (each gets exactly one step 2, links are FIFO). While > 0 a
   * step 1 from the neighbour is answered with step 2 only: our pending step 1 already covers the other direction.
   */
  awaitingStep2: number;
}

/** Message types an application channel may not use. */
const RESERVED_TYPES = new Set([MESSAGE_SYNC, MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_ROUTED, MESSAGE_CHUNK, MESSAGE_TOPOLOGY]);

class DropError extends Error {}

const QUERY_AWARENESS = Uint8Array.of(MESSAGE_QUERY_AWARENESS);

/**
 * Yjs document + awareness sync over abstract {@link Link}s, without floods.
 *
 * Every peer floods its neighbour set (TOPOLOGY) so each knows the graph; a local update is sent in a ROUTED
 * envelope along the BFS tree rooted at its origin, so each peer receives it once (N−1 messages per edit in
 * a connected graph of N once views agree). While views disagree, anti-entropy (sync step 1 / step 2 with
 * neighbours on every change of the view, and onward exchange when a step 2 brought news) recovers anything
 * a stale tree missed. See PROTOCOL.md, "Routing".
 */
export class SyncEngine extends ObservableV2<SyncEngineEvents> {
  /** This peer's id. */
  readonly peerId: string;
  /** The synced document. */
  readonly doc: Y.Doc;
  /** The synced awareness. */
  readonly awareness: awarenessProtocol.Awareness;

  readonly #ownsAwareness: boolean;
  readonly #throttleMs: number;
  readonly #onDropped: ((info: { from: string; reason: string }) => void) | undefined;
  readonly #links = new Map<string, LinkState>();
  readonly #view: TopologyView;
  readonly #seen = new SeenWindow();
  readonly #channels = new Map<number, ChannelHandler>();
  /** Awareness clients announced by each origin, and the seq of its latest awareness message. */
  readonly #awarenessOwners = new Map<string, { seq: number; clients: Set<number> }>();
  /** Transaction origin for updates applied from sync step 2 (anti-entropy), distinct from routed ones (`this`). */
  readonly #antiEntropyOrigin = { name: 'peerclass-anti-entropy' };
  #antiEntropyChanged = false;
  /**
   * Starts from the clock (×1000, still a safe integer) so a restarted peer reusing its id numbers above its previous
   * incarnation and is not deduplicated away; costs a few bytes per envelope.
   */
  #seq = Date.now() * 1000;
  #topologyVersion = 0;
  /** Reachable set as of the last maintenance run (the 'reachable' event reports changes against it). */
  #reachable: string[] = [];
  readonly #antiEntropyDelayMs: number;
  #maintenanceTimer: ReturnType<typeof setTimeout> | null = null;
  /** Neighbours due for an exchange at the next maintenance run. */
  readonly #exchangeDue = new Set<string>();
  #viewDirty = false;
  #topologyDirty = false;
  #synced = false;
  #awarenessTimer: ReturnType<typeof setTimeout> | null = null;
  #lastAwarenessSent = -Infinity;
  #destroyed = false;

  /** Creates the engine; it starts listening to the doc and awareness right away. */
  constructor(options: SyncEngineOptions) {
    super();
    this.peerId = options.peerId;
    this.doc = options.doc;
    this.#ownsAwareness = !options.awareness;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(options.doc);
    this.#throttleMs = options.awarenessThrottleMs ?? 50;
    this.#onDropped = options.onDroppedMessage;
    this.#antiEntropyDelayMs = options.antiEntropyDelayMs ?? 20;
    this.#view = new TopologyView(this.peerId);
    this.doc.on('update', this.#onDocUpdate);
    this.awareness.on('update', this.#onAwarenessUpdate);
    // A state set before the engine existed never fired 'update' here: register it so snapshots carry it.
    if (this.awareness.getLocalState() !== null) this.#sendLocalAwareness();
  }

  /** True when there is at least one link and every link finished the step 1 / step 2 exchange. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Adds (or replaces, per remote id) a link and starts syncing with that neighbour. */
  addLink(link: Link): void {
    if (this.#destroyed) return;
    const existing = this.#links.get(link.remoteId);
    if (existing?.link === link) return;
    if (existing) this.#detach(link.remoteId);
    const state: LinkState = { link, unsubscribe: [], synced: false, awaitingStep2: 0 };
    this.#links.set(link.remoteId, state);
    state.unsubscribe.push(
      link.onMessage((message) => this.#onMessage(link.remoteId, state, message)),
      link.onClose(() => {
        if (this.#links.get(link.remoteId) === state) this.removeLink(link.remoteId);
      }),
    );
    // The new neighbour learns the graph as we know it; our own entry follows at the next maintenance run.
    for (const e of this.#view.entries()) link.send(encodeTopology(e));
    this.#sendAwarenessSnapshot(state);
    // Sync with the new neighbour right away (that is what `synced` waits for); the rest is deferred maintenance.
    this.#startExchange(state);
    this.#linksChanged();
    this.#updateSynced();
  }

  /** Forgets the link to `remoteId` (without closing it). Called automatically when a link closes. */
  removeLink(remoteId: string): void {
    if (!this.#links.has(remoteId)) return;
    this.#detach(remoteId);
    if (this.#destroyed) return;
    this.#linksChanged();
    this.#updateSynced();
  }

  /** Remote ids of current links, sorted. */
  neighbours(): string[] {
    return [...this.#links.keys()].sort();
  }

  /** Every peer reachable through the known graph (self excluded), sorted. */
  reachablePeers(): string[] {
    return this.#view.reachable();
  }

  /**
   * Registers an application message type, routed exactly like doc updates (no anti-entropy: best effort
   * while the topology changes). `handler` returns whether the message is forwarded further.
   */
  registerChannel(type: number, handler: ChannelHandler): void {
    if (!Number.isSafeInteger(type) || type < 0 || RESERVED_TYPES.has(type)) {
      throw new Error(`SyncEngine: message type ${type} is reserved or invalid`);
    }
    this.#channels.set(type, handler);
  }

  /** Sends an application message of a registered `type` to every reachable peer. */
  broadcast(type: number, payload: Uint8Array): void {
    if (!this.#channels.has(type)) throw new Error(`SyncEngine: channel ${type} is not registered`);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, type);
    encoding.writeUint8Array(encoder, payload);
    this.#originate(encoding.toUint8Array(encoder));
  }

  /** Unsubscribes from doc, awareness and links. Does not close links. */
  override destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.doc.off('update', this.#onDocUpdate);
    this.awareness.off('update', this.#onAwarenessUpdate);
    if (this.#awarenessTimer) {
      // A throttled local change (typically the "I left" null state) still goes out before the links detach.
      clearTimeout(this.#awarenessTimer);
      this.#awarenessTimer = null;
      this.#sendLocalAwareness();
    }
    if (this.#maintenanceTimer) clearTimeout(this.#maintenanceTimer);
    this.#maintenanceTimer = null;
    for (const id of [...this.#links.keys()]) this.#detach(id);
    if (this.#ownsAwareness) this.awareness.destroy();
    super.destroy();
  }

  // ---------------------------------------------------------------- outgoing

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return; // applied from a routed message: forwarded by the routing itself
    if (origin === this.#antiEntropyOrigin) {
      this.#antiEntropyChanged = true;
      return;
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    this.#originate(encoding.toUint8Array(encoder));
  };

  readonly #onAwarenessUpdate = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) return;
    const me = this.awareness.clientID;
    if (!change.added.includes(me) && !change.updated.includes(me) && !change.removed.includes(me)) return;
    this.#scheduleAwareness();
  };

  #scheduleAwareness(): void {
    if (this.#destroyed || this.#awarenessTimer) return;
    const wait = this.#lastAwarenessSent + this.#throttleMs - Date.now();
    if (this.#throttleMs <= 0 || wait <= 0) {
      this.#sendLocalAwareness();
      return;
    }
    this.#awarenessTimer = setTimeout(() => {
      this.#awarenessTimer = null;
      if (!this.#destroyed) this.#sendLocalAwareness();
    }, wait);
  }

  #sendLocalAwareness(): void {
    this.#lastAwarenessSent = Date.now();
    const me = this.awareness.clientID;
    const inner = awarenessInner(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [me]));
    const seq = this.#originate(inner);
    this.#awarenessOwners.set(this.peerId, { seq, clients: new Set([me]) });
  }

  /** Wraps `inner` in a new ROUTED envelope from this peer and sends it down our own tree. */
  #originate(inner: Uint8Array): number {
    const seq = ++this.#seq;
    this.#seen.add(this.peerId, seq);
    this.#forward(encodeRouted({ origin: this.peerId, seq, inner }), this.peerId, null);
    return seq;
  }

  /** Sends a routed message to our children in the origin's tree, or to every neighbour if we cannot place the origin. */
  #forward(message: Uint8Array, origin: string, from: string | null): void {
    const children = this.#view.children(origin, this.peerId);
    const targets = children ?? [...this.#links.keys()];
    for (const id of targets) {
      if (id === from) continue;
      this.#links.get(id)?.link.send(message);
    }
  }

  #broadcastDirect(message: Uint8Array, except: string | null): void {
    for (const [id, s] of this.#links) if (id !== except) s.link.send(message);
  }

  /** Sends sync step 1; the neighbour answers step 2 and, if it is not already waiting for ours, its own step 1. */
  #startExchange(state: LinkState): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    state.awaitingStep2++;
    state.link.send(encoding.toUint8Array(encoder));
  }

  /** One routed awareness message per known origin, with the origin's latest seq (receivers that saw it drop it). */
  #sendAwarenessSnapshot(state: LinkState): void {
    for (const [origin, owner] of this.#awarenessOwners) {
      const clients = [...owner.clients].filter((c) => this.awareness.meta.has(c));
      if (clients.length === 0) continue;
      const inner = awarenessInner(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
      state.link.send(encodeRouted({ origin, seq: owner.seq, inner }));
    }
  }

  // ---------------------------------------------------------------- topology

  /** Re-reads our own links into the view and floods our entry. Returns whether the view changed. */
  #linksChanged(): boolean {
    // Our own flood is deferred to maintenance so a burst of link changes costs one TOPOLOGY version, not one each.
    this.#topologyDirty = true;
    this.#scheduleMaintenance();
    const changed = this.#view.setOwnNeighbours(this.#links.keys());
    if (changed) this.#viewChanged();
    return changed;
  }

  #floodOwnTopology(): void {
    const message = encodeTopology({ origin: this.peerId, version: this.#topologyVersion, neighbours: this.neighbours() });
    this.#broadcastDirect(message, null);
  }

  #viewChanged(): void {
    this.#viewDirty = true;
    for (const id of this.#links.keys()) this.#exchangeDue.add(id);
    this.#scheduleMaintenance();
  }

  #scheduleMaintenance(): void {
    if (this.#destroyed || this.#maintenanceTimer) return;
    this.#maintenanceTimer = setTimeout(() => {
      this.#maintenanceTimer = null;
      if (!this.#destroyed) this.#runMaintenance();
    }, this.#antiEntropyDelayMs);
  }

  /** Deferred work after view changes / anti-entropy news: reachability, awareness cleanup, exchanges. */
  #runMaintenance(): void {
    if (this.#topologyDirty) {
      this.#topologyDirty = false;
      this.#topologyVersion++;
      this.#floodOwnTopology();
    }
    const due = [...this.#exchangeDue];
    this.#exchangeDue.clear();
    let grew = false;
    let gone: string[] = [];
    if (this.#viewDirty) {
      this.#viewDirty = false;
      ({ grew, gone } = this.#updateReachable());
    }
    // Anti-entropy: whatever a stale tree failed to deliver is fetched from (and pushed to) neighbours.
    for (const id of due) {
      const s = this.#links.get(id);
      if (s) this.#startExchange(s);
    }
    if (grew) {
      // Newly reachable peers may lack states we know, and we may lack theirs: push ours, ask for theirs.
      for (const s of this.#links.values()) {
        this.#sendAwarenessSnapshot(s);
        s.link.send(QUERY_AWARENESS);
      }
    }
    if (grew || gone.length > 0) this.emit('reachable', [[...this.#reachable]]);
  }

  #updateReachable(): { grew: boolean; gone: string[] } {
    const before = new Set(this.#reachable);
    const now = this.#view.reachable();
    this.#reachable = now;
    const nowSet = new Set(now);
    let grew = false;
    for (const p of now) if (!before.has(p)) grew = true;
    const gone = [...before].filter((p) => !nowSet.has(p));
    for (const p of gone) {
      const owner = this.#awarenessOwners.get(p);
      this.#awarenessOwners.delete(p);
      // Forget its seqs too: if it comes back, its re-sent awareness must not be dropped as already seen.
      this.#seen.forget(p);
      if (owner) {
        const clients = [...owner.clients].filter((c) => this.awareness.states.has(c));
        if (clients.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, clients, this);
        // Without its clock, the same state re-sent when the peer is reachable again is accepted (same clock
        // would otherwise be ignored by applyAwarenessUpdate).
        for (const c of owner.clients) if (c !== this.awareness.clientID) this.awareness.meta.delete(c);
      }
    }
    return { grew, gone };
  }

  #updateSynced(): void {
    let synced = this.#links.size > 0;
    for (const s of this.#links.values()) if (!s.synced) synced = false;
    if (synced !== this.#synced) {
      this.#synced = synced;
      this.emit('synced', [synced]);
    }
  }

  #detach(remoteId: string): void {
    const s = this.#links.get(remoteId);
    if (!s) return;
    this.#links.delete(remoteId);
    for (const u of s.unsubscribe) u();
  }

  // ---------------------------------------------------------------- incoming

  #drop(from: string, reason: string): void {
    try {
      this.#onDropped?.({ from, reason });
    } catch {
      // A throwing observer must not break the link handler either.
    }
  }

  #onMessage(from: string, state: LinkState, message: Uint8Array): void {
    if (this.#destroyed || this.#links.get(from) !== state) return;
    try {
      const type = readMessageType(message);
      switch (type) {
        case MESSAGE_SYNC:
          this.#onDirectSync(from, state, message);
          break;
        case MESSAGE_ROUTED:
          this.#onRouted(from, message);
          break;
        case MESSAGE_TOPOLOGY:
          this.#onTopology(from, message);
          break;
        case MESSAGE_QUERY_AWARENESS:
          if (message.length !== 1) throw new DropError('query awareness: trailing bytes');
          this.#sendAwarenessSnapshot(state);
          break;
        case undefined:
          throw new DropError('empty or truncated message');
        default:
          throw new DropError(`unknown message type ${type}`);
      }
    } catch (err) {
      this.#drop(from, err instanceof DropError ? err.message : `error handling message: ${String(err)}`);
    }
  }

  #onTopology(from: string, message: Uint8Array): void {
    const decoded = decodeTopology(message);
    if (!decoded.ok) throw new DropError(decoded.reason);
    const { origin, version, neighbours } = decoded.value;
    if (origin === this.peerId) {
      // An older incarnation of us (or a replay) is ahead: jump past it so our entry wins everywhere.
      if (version > this.#topologyVersion) {
        this.#topologyVersion = version + 1;
        this.#floodOwnTopology();
      }
      return;
    }
    const { accepted, changed } = this.#view.update(origin, version, neighbours);
    if (!accepted) return;
    this.#broadcastDirect(message, from);
    if (changed) this.#viewChanged();
  }

  #onDirectSync(from: string, state: LinkState, message: Uint8Array): void {
    const decoder = decoding.createDecoder(message);
    decoding.readVarUint(decoder);
    const syncType = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (decoding.hasContent(decoder)) throw new DropError('sync: trailing bytes');
    switch (syncType) {
      case syncProtocol.messageYjsSyncStep1: {
        try {
          Y.decodeStateVector(payload);
        } catch {
          throw new DropError('sync step 1: malformed state vector');
        }
        // Step 1 before step 2: the neighbour then sees our step 1 while still awaiting our step 2, so it does
        // not answer with yet another step 1 (no ping-pong).
        if (state.awaitingStep2 === 0) this.#startExchange(state);
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, MESSAGE_SYNC);
        syncProtocol.writeSyncStep2(encoder, this.doc, payload);
        state.link.send(encoding.toUint8Array(encoder));
        return;
      }
      case syncProtocol.messageYjsSyncStep2:
      case syncProtocol.messageYjsUpdate: {
        const changed = this.#applyUpdate(payload, this.#antiEntropyOrigin);
        if (syncType === syncProtocol.messageYjsSyncStep2) {
          state.awaitingStep2 = Math.max(0, state.awaitingStep2 - 1);
          if (!state.synced) {
            state.synced = true;
            this.#updateSynced();
          }
        }
        // News from anti-entropy is not routed: pass it on by exchanging with the other neighbours instead.
        if (changed) {
          for (const id of this.#links.keys()) if (id !== from) this.#exchangeDue.add(id);
          this.#scheduleMaintenance();
        }
        return;
      }
      default:
        throw new DropError(`sync: unknown sync message type ${syncType}`);
    }
  }

  /** Validates then applies an update; returns whether the doc changed. Throws DropError on bad input. */
  #applyUpdate(update: Uint8Array, origin: unknown): boolean {
    try {
      // Decoding first rejects garbage before anything touches the doc (apply could otherwise half-apply).
      Y.decodeUpdate(update);
    } catch {
      throw new DropError('sync: malformed update');
    }
    this.#antiEntropyChanged = false;
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (err) {
      throw new DropError(`sync: update failed to apply (${String(err)})`);
    }
    return origin === this.#antiEntropyOrigin ? this.#antiEntropyChanged : true;
  }

  #onRouted(from: string, message: Uint8Array): void {
    const decoded = decodeRouted(message);
    if (!decoded.ok) throw new DropError(decoded.reason);
    const { origin, seq, inner } = decoded.value;
    if (origin === this.peerId) return;
    if (!this.#seen.add(origin, seq)) return;
    const innerDecoder = decoding.createDecoder(inner);
    let innerType: number;
    try {
      innerType = decoding.readVarUint(innerDecoder);
    } catch {
      throw new DropError('routed: truncated inner message');
    }
    switch (innerType) {
      case MESSAGE_SYNC: {
        let update: Uint8Array;
        try {
          if (decoding.readVarUint(innerDecoder) !== syncProtocol.messageYjsUpdate) throw new Error('not an update');
          update = decoding.readVarUint8Array(innerDecoder);
          if (decoding.hasContent(innerDecoder)) throw new Error('trailing bytes');
        } catch (err) {
          throw new DropError(`routed sync: ${err instanceof Error ? err.message : String(err)}`);
        }
        this.#applyUpdate(update, this);
        break;
      }
      case MESSAGE_AWARENESS: {
        let update: Uint8Array;
        let clients: number[];
        try {
          update = decoding.readVarUint8Array(innerDecoder);
          if (decoding.hasContent(innerDecoder)) throw new Error('trailing bytes');
          clients = validateAwarenessUpdate(update);
        } catch (err) {
          throw new DropError(`routed awareness: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (clients.includes(this.awareness.clientID)) throw new DropError('routed awareness: claims our own client id');
        try {
          awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this);
        } catch (err) {
          throw new DropError(`routed awareness: failed to apply (${String(err)})`);
        }
        const owner = this.#awarenessOwners.get(origin) ?? { seq, clients: new Set<number>() };
        owner.seq = Math.max(owner.seq, seq);
        for (const c of clients) owner.clients.add(c);
        this.#awarenessOwners.set(origin, owner);
        break;
      }
      default: {
        const handler = this.#channels.get(innerType);
        if (!handler) throw new DropError(`routed: unknown inner message type ${innerType}`);
        const payload = inner.subarray(innerDecoder.pos);
        let verdict: 'forward' | 'drop';
        try {
          verdict = handler(payload, { origin, from });
        } catch (err) {
          throw new DropError(`channel ${innerType} handler threw: ${String(err)}`);
        }
        if (verdict !== 'forward') return;
      }
    }
    this.#forward(message, origin, from);
  }
}

function awarenessInner(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** Parses an awareness update completely (y-protocols' own reader would throw half-way); returns its client ids. */
function validateAwarenessUpdate(update: Uint8Array): number[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  if (count > 10_000) throw new Error('too many clients');
  const clients: number[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    decoding.readVarUint(decoder); // clock
    const state: unknown = JSON.parse(decoding.readVarString(decoder));
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) throw new Error('state is not an object');
    clients.push(clientId);
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes');
  return clients;
}
