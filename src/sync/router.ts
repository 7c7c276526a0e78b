import * as decoding from 'lib0/decoding';
import { ObservableV2 } from 'lib0/observable';
import { MESSAGE_ROUTED, MESSAGE_TOPOLOGY } from '../protocol/messageTypes.js';
import {
  decodeRouted, decodeTopology, encodeRouted, encodeTopology, readMessageType, type RoutedEnvelope, type TopologyMessage,
} from '../protocol/syncMessages.js';
import type { AuthFailure, AuthFailureReason, EnvelopeAuth, SerialQueue } from './envelopeAuth.js';
import type { Link } from './link.js';
import { SeenWindow, TopologyView } from './routing.js';
import { SignedMode } from './signedMode.js';

/** Thrown by a message handler to drop the message with a reason (reported, never propagated). */
export class DropError extends Error {}

/** Handles a message sent directly by a neighbour (not routed). Throws {@link DropError} to drop it. */
export type DirectHandler = (from: string, message: Uint8Array) => void;

/** Where a routed message came from. */
export interface RoutedMeta {
  /** The peer that originated it. */
  origin: string;
  /** The neighbour it arrived from. */
  from: string;
  /** The origin's sequence number. */
  seq: number;
}

/**
 * Handles the inner message of a ROUTED envelope (its first varUint is the registered type). Returns whether it
 * travels on along the origin's tree; throws {@link DropError} to drop it with a reason.
 */
export type RoutedHandler = (inner: Uint8Array, meta: RoutedMeta) => 'forward' | 'drop';

/** What a message family (doc sync, awareness …) hears of the router besides its messages. */
export interface RouterFamily {
  /** A link was added; the new neighbour already got our view of the graph. */
  linkAdded?(link: Link): void;
  /** A link is gone. */
  linkRemoved?(remoteId: string): void;
  /** The known graph changed (an edge appeared or vanished anywhere). Called synchronously. */
  viewChanged?(): void;
  /** Deferred maintenance after graph changes: `grew` when new peers became reachable, `gone` those that no longer are. */
  maintain?(change: { grew: boolean; gone: string[] }): void;
}

/** Options of {@link Router}. */
export interface RouterOptions {
  peerId: string;
  /** Delay coalescing graph changes into one maintenance run (one TOPOLOGY flood, one exchange round). */
  maintenanceDelayMs: number;
  /** Receives every dropped message with its reason (`code` for signed mode's refusals, reported once per peer and code). */
  onDropped?: (info: { from: string; reason: string; code?: AuthFailureReason }) => void;
  /** Signed mode: sign what we originate, verify what arrives, authenticate links first. Unsigned when absent. */
  auth?: EnvelopeAuth;
  /** Signed mode: each refused message or link hello, once per offending neighbour and reason. */
  onAuthFailure?: (failure: AuthFailure) => void;
}

/** Events of {@link Router}. */
export interface RouterEvents {
  /** The set of reachable peers changed (reported after maintenance). */
  reachable: (peerIds: string[]) => void;
}

interface LinkEntry {
  link: Link;
  unsubscribe: Array<() => void>;
  /** Signed mode: the link's incoming FIFO (verification is asynchronous, application stays in arrival order). */
  queue?: SerialQueue;
}

/**
 * Link-state routing over {@link Link}s: every peer floods its neighbour set (TOPOLOGY) so each knows the graph, and
 * a message originated here travels in a ROUTED envelope down the BFS tree rooted at its origin, deduplicated by
 * (origin, seq), so each peer receives it about once. Message families (doc sync, awareness, application channels)
 * register handlers for direct and routed message types; the router knows none of their formats.
 */
export class Router extends ObservableV2<RouterEvents> {
  readonly peerId: string;
  readonly #links = new Map<string, LinkEntry>();
  readonly #view: TopologyView;
  readonly #seen = new SeenWindow();
  readonly #direct = new Map<number, DirectHandler>();
  readonly #routed = new Map<number, RoutedHandler>();
  readonly #families: RouterFamily[] = [];
  readonly #options: RouterOptions;
  readonly #signed: SignedMode | null;
  /**
   * Starts from the clock (×1000, still a safe integer) so a restarted peer reusing its id numbers above its previous
   * incarnation and is not deduplicated away; costs a few bytes per envelope.
   */
  #seq = Date.now() * 1000;
  #topologyVersion = 0;
  #reachable: string[] = [];
  #maintenanceTimer: ReturnType<typeof setTimeout> | null = null;
  #viewDirty = false;
  #topologyDirty = false;
  #destroyed = false;

  constructor(options: RouterOptions) {
    super();
    this.peerId = options.peerId;
    this.#options = options;
    this.#view = new TopologyView(options.peerId);
    this.#direct.set(MESSAGE_ROUTED, (from, message) => this.#onRouted(from, message));
    this.#direct.set(MESSAGE_TOPOLOGY, (from, message) => this.#onTopology(from, message));
    const auth = options.auth;
    if (auth !== undefined && auth.peerId !== options.peerId) throw new Error('Router: auth.peerId differs from peerId');
    this.#signed = auth === undefined ? null : new SignedMode(auth, {
      acceptRouted: (from, envelope, message) => this.#acceptRouted(from, envelope, message),
      acceptTopology: (from, topology, message) => this.#acceptTopology(from, topology, message),
      dispatch: (from, message) => this.#onMessage(from, message), attach: (link) => this.#attach(link),
      seen: (origin, seq) => this.#seen.has(origin, seq), topologyVersion: (origin) => (origin === this.peerId ? this.#topologyVersion : this.#view.version(origin)),
      broadcast: (message) => this.#broadcastDirect(message, null), drop: (from, reason, code) => this.drop(from, reason, code),
    }, options.onAuthFailure);
  }

  /** True in signed mode (an `auth` was given). */
  get signed(): boolean { return this.#signed !== null; }

  /** Registers the handler of a direct (neighbour-to-neighbour) message type. */
  handleDirect(type: number, handler: DirectHandler): void {
    if (this.#direct.has(type)) throw new Error(`Router: message type ${type} already has a handler`);
    this.#direct.set(type, handler);
  }

  /** Registers the handler of a routed inner message type. */
  handleRouted(type: number, handler: RoutedHandler): void {
    if (this.#routed.has(type)) throw new Error(`Router: routed type ${type} already has a handler`);
    this.#routed.set(type, handler);
  }

  /** Removes a routed handler (later messages of that type are dropped as unknown). */
  unhandleRouted(type: number, handler: RoutedHandler): void {
    if (this.#routed.get(type) === handler) this.#routed.delete(type);
  }

  /** True when `type` has a direct or routed handler. */
  handles(type: number): boolean {
    return this.#direct.has(type) || this.#routed.has(type);
  }

  /** Adds a family's hooks; families are called in the order they were added. */
  addFamily(family: RouterFamily): void {
    this.#families.push(family);
  }

  /** Adds (or replaces, per remote id) a link. In signed mode the link joins once its hello verified both sides. */
  addLink(link: Link): void {
    if (this.#destroyed || this.#links.get(link.remoteId)?.link === link) return;
    if (this.#signed) this.#signed.handshake(link);
    else this.#attach(link);
  }

  #attach(link: Link): void {
    if (this.#destroyed) return;
    const existing = this.#links.get(link.remoteId);
    if (existing?.link === link) return;
    if (existing) this.#detach(link.remoteId);
    const entry: LinkEntry = { link, unsubscribe: [] };
    this.#links.set(link.remoteId, entry);
    const signed = this.#signed;
    const queue = signed?.linkQueue(link.remoteId);
    if (queue) entry.queue = queue;
    entry.unsubscribe.push(
      link.onMessage((message) => {
        if (this.#links.get(link.remoteId) !== entry || this.#destroyed) return;
        if (signed && queue) signed.receive(queue, link.remoteId, message);
        else this.#onMessage(link.remoteId, message);
      }),
      link.onClose(() => { if (this.#links.get(link.remoteId) === entry) this.removeLink(link.remoteId); }),
    );
    // The new neighbour learns the graph as we know it; our own entry follows at the next maintenance run.
    if (signed) for (const m of signed.topologyMessages()) link.send(m);
    else for (const e of this.#view.entries()) link.send(encodeTopology(e));
    for (const family of this.#families) family.linkAdded?.(link);
    this.#linksChanged();
  }

  /** Forgets the link to `remoteId` (without closing it). Called automatically when a link closes. */
  removeLink(remoteId: string): void {
    this.#signed?.cancelHandshake(remoteId);
    if (!this.#links.has(remoteId)) return;
    this.#detach(remoteId);
    if (this.#destroyed) return;
    for (const family of this.#families) family.linkRemoved?.(remoteId);
    this.#linksChanged();
  }

  /** The link to a neighbour, if any. */
  link(remoteId: string): Link | undefined {
    return this.#links.get(remoteId)?.link;
  }

  /** Current links. */
  links(): Link[] {
    return [...this.#links.values()].map((e) => e.link);
  }

  /** Remote ids of current links, sorted. */
  neighbours(): string[] {
    return [...this.#links.keys()].sort();
  }

  /** Every peer reachable through the known graph (self excluded), sorted. */
  reachablePeers(): string[] {
    return this.#view.reachable();
  }

  /** Wraps `inner` in a new ROUTED envelope from this peer and sends it down our own tree. Returns its seq. */
  originate(inner: Uint8Array): number {
    const seq = ++this.#seq;
    this.#seen.add(this.peerId, seq);
    // Every neighbour is our child in our own tree, but the view counts an edge only once the neighbour's TOPOLOGY
    // confirmed it: a message sent right after a link came up (a leave, a first edit) would reach nobody.
    // Signed mode signs in an ordered queue: the seq is ours at once, the message leaves once signed.
    if (this.#signed) this.#signed.originate({ origin: this.peerId, seq, inner });
    else this.#broadcastDirect(encodeRouted({ origin: this.peerId, seq, inner }), null);
    return seq;
  }

  /**
   * Sends one routed message of `origin` to one neighbour again (e.g. the latest awareness of each origin to a new
   * neighbour). Signed mode cannot sign for others: it re-sends the envelope kept by {@link retainLatest}, if it is
   * still (origin, seq); otherwise nothing.
   */
  sendRouted(link: Link, origin: string, seq: number, inner: Uint8Array): void {
    if (!this.#signed) return link.send(encodeRouted({ origin, seq, inner }));
    const type = readMessageType(inner);
    const kept = type === undefined ? undefined : this.#signed.retained(origin, seq, type);
    if (kept) link.send(kept);
  }

  /** Signed mode keeps each origin's latest envelope of routed `type` for {@link sendRouted}; a no-op otherwise. */
  retainLatest(type: number): void {
    this.#signed?.retainType(type);
  }

  /** Resolves when no signature is being made or checked and no verified message waits (always at once unsigned). */
  async whenIdle(): Promise<void> {
    await this.#signed?.idle();
  }

  /** Runs maintenance soon (coalesced); families call this when they have deferred work. */
  scheduleMaintenance(): void {
    if (this.#destroyed || this.#maintenanceTimer) return;
    this.#maintenanceTimer = setTimeout(() => {
      this.#maintenanceTimer = null;
      if (!this.#destroyed) this.#runMaintenance();
    }, this.#options.maintenanceDelayMs);
  }

  /** Reports a dropped message; a throwing observer must not break the link handler. */
  drop(from: string, reason: string, code?: AuthFailureReason): void {
    try {
      this.#options.onDropped?.(code === undefined ? { from, reason } : { from, reason, code });
    } catch {
      // ignored on purpose
    }
  }

  /** Detaches from every link (without closing them) and stops maintenance. */
  override destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#maintenanceTimer) clearTimeout(this.#maintenanceTimer);
    this.#maintenanceTimer = null;
    if (this.#signed) {
      this.#signed.destroy();
      // Stop listening now, but keep sending until what is being signed went out (the "I left" awareness state).
      for (const entry of this.#links.values()) for (const u of entry.unsubscribe.splice(0)) u();
      void this.#signed.outgoingIdle().then(() => this.#links.clear());
    } else {
      for (const id of [...this.#links.keys()]) this.#detach(id);
    }
    super.destroy();
  }

  /** Sends a routed message to our children in the origin's tree, or to every neighbour if we cannot place the origin. */
  #forward(message: Uint8Array, origin: string, from: string | null): void {
    const targets = this.#view.children(origin, this.peerId) ?? [...this.#links.keys()];
    for (const id of targets) if (id !== from) this.#links.get(id)?.link.send(message);
  }

  #broadcastDirect(message: Uint8Array, except: string | null): void {
    for (const [id, entry] of this.#links) if (id !== except) entry.link.send(message);
  }

  #linksChanged(): void {
    // Our own flood is deferred to maintenance so a burst of link changes costs one TOPOLOGY version, not one each.
    this.#topologyDirty = true;
    this.scheduleMaintenance();
    if (this.#view.setOwnNeighbours(this.#links.keys())) this.#viewChanged();
  }

  #viewChanged(): void {
    this.#viewDirty = true;
    for (const family of this.#families) family.viewChanged?.();
    this.scheduleMaintenance();
  }

  #floodOwnTopology(): void {
    const own = { origin: this.peerId, version: this.#topologyVersion, neighbours: this.neighbours() };
    if (this.#signed) this.#signed.sendOwnTopology(own);
    else this.#broadcastDirect(encodeTopology(own), null);
  }

  #runMaintenance(): void {
    if (this.#topologyDirty) {
      this.#topologyDirty = false;
      this.#topologyVersion++;
      this.#floodOwnTopology();
    }
    let grew = false;
    let gone: string[] = [];
    if (this.#viewDirty) {
      this.#viewDirty = false;
      const before = new Set(this.#reachable);
      this.#reachable = this.#view.reachable();
      const now = new Set(this.#reachable);
      grew = this.#reachable.some((p) => !before.has(p));
      gone = [...before].filter((p) => !now.has(p));
      // Forget a gone peer's seqs: if it comes back, what it re-sends must not be dropped as already seen.
      for (const p of gone) { this.#seen.forget(p); this.#signed?.forget(p); }
    }
    for (const family of this.#families) family.maintain?.({ grew, gone });
    if (grew || gone.length > 0) this.emit('reachable', [[...this.#reachable]]);
  }

  #detach(remoteId: string): void {
    const entry = this.#links.get(remoteId);
    if (!entry) return;
    this.#links.delete(remoteId);
    for (const u of entry.unsubscribe) u();
    if (entry.queue) this.#signed?.releaseQueue(entry.queue);
  }

  #onMessage(from: string, message: Uint8Array): void {
    if (this.#destroyed) return;
    try {
      const type = readMessageType(message);
      if (type === undefined) throw new DropError('empty or truncated message');
      const handler = this.#direct.get(type);
      if (!handler) throw new DropError(`unknown message type ${type}`);
      handler(from, message);
    } catch (err) {
      this.drop(from, err instanceof DropError ? err.message : `error handling message: ${String(err)}`);
    }
  }

  #onTopology(from: string, message: Uint8Array): void {
    const decoded = decodeTopology(message);
    if (!decoded.ok) throw new DropError(decoded.reason);
    this.#acceptTopology(from, decoded.value, message);
  }

  /** Applies a (verified, in signed mode) topology entry and floods `message` on; returns whether it was newer. */
  #acceptTopology(from: string, { origin, version, neighbours }: TopologyMessage, message: Uint8Array): boolean {
    if (this.#destroyed) return false;
    if (origin === this.peerId) {
      // An older incarnation of us (or a replay) is ahead: jump past it so our entry wins everywhere.
      if (version > this.#topologyVersion) {
        this.#topologyVersion = version + 1;
        this.#floodOwnTopology();
      }
      return false;
    }
    const { accepted, changed } = this.#view.update(origin, version, neighbours);
    if (!accepted) return false;
    this.#broadcastDirect(message, from);
    if (changed) this.#viewChanged();
    return true;
  }

  #onRouted(from: string, message: Uint8Array): void {
    const decoded = decodeRouted(message);
    if (!decoded.ok) throw new DropError(decoded.reason);
    this.#acceptRouted(from, decoded.value, message);
  }

  /** Applies a (verified, in signed mode) routed envelope once and forwards `message` unchanged down the tree. */
  #acceptRouted(from: string, { origin, seq, inner }: RoutedEnvelope, message: Uint8Array): void {
    if (this.#destroyed || origin === this.peerId || !this.#seen.add(origin, seq)) return;
    let innerType: number;
    try {
      innerType = decoding.readVarUint(decoding.createDecoder(inner));
    } catch {
      throw new DropError('routed: truncated inner message');
    }
    const handler = this.#routed.get(innerType);
    if (!handler) throw new DropError(`routed: unknown inner message type ${innerType}`);
    if (handler(inner, { origin, from, seq }) === 'forward') this.#forward(message, origin, from);
  }
}
