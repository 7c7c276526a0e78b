import { ObservableV2 } from 'lib0/observable';
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MESSAGE_AWARENESS, MESSAGE_CHUNK, MESSAGE_QUERY_AWARENESS, MESSAGE_ROUTED, MESSAGE_SYNC, MESSAGE_TOPOLOGY } from '../protocol/messageTypes.js';
import { AwarenessSync } from './awarenessSync.js';
import { DocSync, type PolicyGate, type UpdateGate, type UpdateRejection } from './docSync.js';
import type { AuthFailure, EnvelopeAuth } from './envelopeAuth.js';
import type { Link } from './link.js';
import { DropError, Router, type RoutedHandler } from './router.js';

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
  /**
   * Signed mode (PROTOCOL.md "Signed mode"): links are authenticated by a hello, routed messages and topology are
   * signed and verified before they are applied or forwarded, unsigned ones are dropped. `auth.peerId` must equal
   * `peerId`. Without it the engine runs unsigned, as always.
   */
  auth?: EnvelopeAuth;
  /** Checked before each incoming doc update is applied (write policies); see {@link DocSync}. Default: none. */
  updateGate?: UpdateGate | PolicyGate;
}

/** Events of {@link SyncEngine}. */
export interface SyncEngineEvents {
  /** Every current link finished its step 1 / step 2 exchange (true), or a new link has not yet (false). */
  synced: (synced: boolean) => void;
  /** The set of peers reachable through the known graph changed. */
  reachable: (peerIds: string[]) => void;
  /** Signed mode refused a message or a link hello (once per offending neighbour and reason). */
  'auth-failure': (failure: AuthFailure) => void;
  /** The update gate refused a doc update (once per author and code). */
  rejected: (rejection: UpdateRejection) => void;
}

/** Decides, for an application message, whether it is forwarded further along the origin's tree. */
export type ChannelHandler = (payload: Uint8Array, meta: { origin: string; from: string }) => 'forward' | 'drop';

/** Message types an application channel may not use. */
const RESERVED_TYPES = new Set([MESSAGE_SYNC, MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_ROUTED, MESSAGE_CHUNK, MESSAGE_TOPOLOGY]);

/**
 * Yjs document + awareness sync over abstract {@link Link}s, without floods: a {@link Router} (link-state routing,
 * (origin, seq) dedupe) with one module per message family registered on it — {@link DocSync} (updates and
 * anti-entropy), {@link AwarenessSync}, and application channels. See PROTOCOL.md, "Routing".
 */
export class SyncEngine extends ObservableV2<SyncEngineEvents> {
  /** This peer's id. */
  readonly peerId: string;
  /** The synced document. */
  readonly doc: Y.Doc;
  /** The synced awareness. */
  readonly awareness: awarenessProtocol.Awareness;
  readonly #router: Router;
  readonly #docSync: DocSync;
  readonly #awarenessSync: AwarenessSync;
  readonly #ownsAwareness: boolean;
  readonly #channels = new Map<number, RoutedHandler>();
  #destroyed = false;

  /** Creates the engine; it starts listening to the doc and awareness right away. */
  constructor(options: SyncEngineOptions) {
    super();
    this.peerId = options.peerId;
    this.doc = options.doc;
    this.#ownsAwareness = !options.awareness;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(options.doc);
    this.#router = new Router({
      peerId: options.peerId, maintenanceDelayMs: options.antiEntropyDelayMs ?? 20, onDropped: options.onDroppedMessage,
      ...(options.auth !== undefined ? { auth: options.auth, onAuthFailure: (f: AuthFailure) => this.emit('auth-failure', [f]) } : {}),
    });
    // Families in this order: a new neighbour gets the awareness snapshot before our step 1, as before the split.
    this.#awarenessSync = new AwarenessSync(this.awareness, this.#router, options.awarenessThrottleMs ?? 50);
    this.#docSync = new DocSync(this.doc, this.#router, this, options.updateGate !== undefined ? { gate: options.updateGate } : {});
    this.#docSync.on('rejected', (r) => this.emit('rejected', [r]));
    this.#docSync.on('synced', (synced) => this.emit('synced', [synced]));
    this.#router.on('reachable', (peers) => this.emit('reachable', [peers]));
  }

  /** True when there is at least one link and every link finished the step 1 / step 2 exchange. */
  get synced(): boolean {
    return this.#docSync.synced;
  }

  /**
   * The peer that announced awareness client `clientId` (undefined for our own client and unknown ones). In signed
   * mode that is the verified signer, so a state claiming to speak for another peer can be told apart.
   */
  awarenessOrigin(clientId: number): string | undefined {
    return this.#awarenessSync.originOf(clientId);
  }

  /** True in signed mode. */
  get signed(): boolean {
    return this.#router.signed;
  }

  /** Resolves once no signature is being made or checked (signed mode's work is asynchronous); at once unsigned. */
  whenIdle(): Promise<void> {
    return this.#router.whenIdle();
  }

  /** Adds (or replaces, per remote id) a link and starts syncing with that neighbour (after the hello, signed). */
  addLink(link: Link): void {
    if (!this.#destroyed) this.#router.addLink(link);
  }

  /** Forgets the link to `remoteId` (without closing it). Called automatically when a link closes. */
  removeLink(remoteId: string): void {
    this.#router.removeLink(remoteId);
  }

  /** Remote ids of current links, sorted. */
  neighbours(): string[] {
    return this.#router.neighbours();
  }

  /** Every peer reachable through the known graph (self excluded), sorted. */
  reachablePeers(): string[] {
    return this.#router.reachablePeers();
  }

  /**
   * Registers an application message type, routed exactly like doc updates (no anti-entropy: best effort
   * while the topology changes). `handler` returns whether the message is forwarded further.
   */
  registerChannel(type: number, handler: ChannelHandler): void {
    if (!Number.isSafeInteger(type) || type < 0 || RESERVED_TYPES.has(type)) {
      throw new Error(`SyncEngine: message type ${type} is reserved or invalid`);
    }
    if (this.#channels.has(type)) throw new Error(`SyncEngine: channel ${type} is already registered`);
    const routed: RoutedHandler = (inner, { origin, from }) => {
      const decoder = decoding.createDecoder(inner);
      decoding.readVarUint(decoder);
      try {
        return handler(inner.subarray(decoder.pos), { origin, from });
      } catch (err) {
        throw new DropError(`channel ${type} handler threw: ${String(err)}`);
      }
    };
    this.#channels.set(type, routed);
    this.#router.handleRouted(type, routed);
  }

  /** Unregisters an application channel; later messages of its type are dropped as unknown. */
  unregisterChannel(type: number): void {
    const routed = this.#channels.get(type);
    if (routed === undefined) return;
    this.#channels.delete(type);
    this.#router.unhandleRouted(type, routed);
  }

  /** Sends an application message of a registered `type` to every reachable peer. */
  broadcast(type: number, payload: Uint8Array): void {
    if (!this.#channels.has(type)) throw new Error(`SyncEngine: channel ${type} is not registered`);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, type);
    encoding.writeUint8Array(encoder, payload);
    this.#router.originate(encoding.toUint8Array(encoder));
  }

  /** Unsubscribes from doc, awareness and links. Does not close links. */
  override destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#docSync.destroy();
    // A throttled local change (typically the "I left" null state) still goes out before the links detach.
    this.#awarenessSync.destroy();
    this.#router.destroy();
    if (this.#ownsAwareness) this.awareness.destroy();
    super.destroy();
  }
}
