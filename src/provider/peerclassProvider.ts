import { ObservableV2 } from 'lib0/observable';
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { IceServerConfig } from '../protocol/signaling.js';
import { decodeAnnouncement } from '../protocol/announce.js';
import { randomHexId } from '../protocol/ids.js';
import { SyncEngine } from '../sync/syncEngine.js';
import { meshTopology, type PeerInfo, type Topology } from '../topology/index.js';
import { PeerConnection, type RtcImplementation } from '../transport/peerConnection.js';
import { SignalingClient, type SignalingStatus } from '../transport/signalingClient.js';
import type { PeerclassProviderOptions, SelfInfo } from './options.js';
import { announcedKey, announcedKeyMatches, engineAuth, resolvePeerId } from './peerAuth.js';
import { NetworkRecovery } from './recovery.js';
import type { ChannelHandler, ClassNetwork, ClassNetworkEvents, MediaConnection, NetworkChannel, NetworkError } from './network.js';

export type { PeerclassProviderOptions, SelfInfo } from './options.js';

/** Peer-level error reported by {@link PeerclassProvider}. */
export type ProviderError = NetworkError;
/** Events of {@link PeerclassProvider}: those of every {@link ClassNetwork}. */
export type PeerclassProviderEvents = ClassNetworkEvents;

const RECONNECT_DELAY_MS = 1000;
const DEFAULT_FORGET_AFTER_MS = 30_000;
/**
 * Longest a leaving peer waits for its signed leave to go out, and then for each data channel to finish closing,
 * before the RTCPeerConnections close (@roamhq/wrtc does not always report `closed`; the old fixed delay was 750 ms).
 */
const LEAVE_DRAIN_MAX_MS = 750;

/** A random peer id (72 bits, hex): unique per session, so restarts never collide with a previous self. */
export function randomPeerId(): string {
  return randomHexId(9);
}

/**
 * Syncs a Y.Doc and its awareness with the other peers of a class over WebRTC data channels, introduced by a
 * peerclass (or y-webrtc) relay. Follows Yjs provider conventions: `new PeerclassProvider(room, doc, options)`,
 * `.awareness`, `status` / `synced` / `peers` events, `destroy()`.
 *
 * Which peers connect directly is decided by the {@link Topology}; updates reach everyone else through the
 * sync engine's flood-free forwarding.
 */
export class PeerclassProvider extends ObservableV2<PeerclassProviderEvents> implements ClassNetwork {
  readonly roomId: string;
  readonly doc: Y.Doc;
  readonly peerId: string;
  readonly #engine: SyncEngine;
  private topology: Topology;
  private self: PeerInfo;
  private readonly options: PeerclassProviderOptions;
  private readonly rtc: RtcImplementation;
  private readonly signalingClients: SignalingClient[] = [];
  private readonly known = new Map<string, PeerInfo>();
  private readonly announceGeneration = new Map<string, number>();
  private readonly connectionsByPeer = new Map<string, PeerConnection>();
  private readonly relayIceServers = new Map<SignalingClient, IceServerConfig[]>();
  /** Each relay's latest `sfu` answer for our topic. */ private readonly relaySfuUrls = new Map<SignalingClient, string>();
  private currentSfuUrl: string | null = null;
  private readonly reconnectTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly forgetTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Peers whose connection sent a signal while no relay was connected (the signal is gone; the relay does not queue). */
  private readonly recovery: NetworkRecovery = new NetworkRecovery({
    connection: (peerId) => this.connectionsByPeer.get(peerId),
    signalingClients: () => this.signalingClients,
    redialNow: () => this.redialNow(),
    log: (reason) => this.options.log?.(reason),
  });
  private reachable = new Set<string>();
  private destroyed = false;

  constructor(roomId: string, doc: Y.Doc, options: PeerclassProviderOptions) {
    super();
    this.roomId = roomId;
    this.doc = doc;
    this.options = options;
    this.peerId = resolvePeerId(options.identity, options.peerId, randomPeerId);
    this.topology = options.topology ?? meshTopology;
    this.self = { peerId: this.peerId, ...(options.self ?? { role: 'student' }) };
    const rtc = options.rtc ?? (globalThis.RTCPeerConnection !== undefined ? { RTCPeerConnection: globalThis.RTCPeerConnection } : undefined);
    if (rtc === undefined) throw new Error('PeerclassProvider: no WebRTC implementation; pass options.rtc (e.g. @roamhq/wrtc in Node)');
    this.rtc = rtc;
    this.#engine = new SyncEngine({
      peerId: this.peerId, doc, awareness: options.awareness, awarenessThrottleMs: options.awarenessThrottleMs,
      onDroppedMessage: ({ from, reason }) => options.log?.(`dropped a message from ${from}: ${reason}`),
      ...(options.identity !== undefined ? { auth: engineAuth(options.identity, options.trustContext ?? roomId, options.admitPeer) } : {}),
      ...(options.updateGate !== undefined ? { updateGate: options.updateGate } : {}),
    });
    this.#engine.on('synced', (synced) => this.emit('synced', [{ synced }]));
    this.#engine.on('reachable', () => this.emitPeers());
    this.#engine.on('auth-failure', (failure) => this.emit('auth-failure', [failure]));
    doc.on('destroy', this.onDocDestroy);
    if (options.connect ?? true) this.connect();
  }

  /** The awareness synced with the class (cursors, presence, laser pointer). */
  get awareness(): awarenessProtocol.Awareness { return this.#engine.awareness; }

  /** True when every direct neighbour finished its initial sync. */
  get synced(): boolean { return this.#engine.synced; }

  /** The peer that announced awareness client `clientId` (this peer for its own client; undefined when unknown). */
  awarenessOrigin(clientId: number): string | undefined { return clientId === this.#engine.awareness.clientID ? this.peerId : this.#engine.awarenessOrigin(clientId); }

  /** True while at least one relay connection is open. */
  get connected(): boolean { return this.signalingClients.some((c) => c.status === 'connected'); }

  /** Signaling state over all relays: connected when any is. */
  get status(): SignalingStatus { return this.aggregateStatus(); }

  /** Open peer connections by peer id. */
  connections(): ReadonlyMap<string, PeerConnection> { return this.connectionsByPeer; }

  /** Open peer connections by peer id, as media sees them. */
  mediaConnections(): ReadonlyMap<string, MediaConnection> { return this.connectionsByPeer; }

  /**
   * Registers a routed message family (a peer message type from PROTOCOL.md, not one of the reserved sync types):
   * `handler` receives every message of that type once and decides whether it travels on.
   */
  channel(type: number, handler: ChannelHandler): NetworkChannel {
    const engine = this.#engine;
    engine.registerChannel(type, handler);
    let open = true;
    return {
      type,
      broadcast: (payload) => { if (open && !this.destroyed) engine.broadcast(type, payload); },
      close: () => { if (open) { open = false; engine.unregisterChannel(type); } },
    };
  }

  /** Peers introduced by signaling, with what they announced. */
  knownPeers(): PeerInfo[] { return [...this.known.values()]; }

  /** Peers this peer can reach, directly or through forwarding. */
  reachablePeers(): string[] { return this.#engine.reachablePeers(); }

  /** What this peer announces about itself. */
  get selfInfo(): PeerInfo { return this.self; }

  /** The SFU (Janus WebSocket URL) the relay assigned to this room, or null (see {@link ClassNetwork.sfuUrl}); `sfu` events tell of changes. */
  sfuUrl(): string | null { return this.currentSfuUrl; }

  /** Connects to the relay(s). Called by the constructor unless `connect: false`. */
  connect(): void {
    if (this.signalingClients.length > 0 || this.destroyed) return;
    const urls = Array.isArray(this.options.signaling) ? this.options.signaling : [this.options.signaling];
    for (const url of urls) {
      const client = new SignalingClient({
        url, roomId: this.roomId, secret: this.options.secret, peerId: this.peerId, WebSocket: this.options.WebSocket,
        token: this.options.token, info: this.announcement(),
        ...(this.options.reconnectPolicy !== undefined ? { reconnectPolicy: this.options.reconnectPolicy } : {}),
      });
      client.on('status', (status) => {
        if (status === 'connected' && !this.destroyed) this.recovery.relayConnected();
        this.emit('status', [{ status: this.aggregateStatus() }]);
      });
      client.on('announce', (peerId, info, broadcast) => this.onAnnounce(peerId, info, broadcast));
      client.on('signal', (from, data) => this.onSignal(from, data));
      client.on('ice-servers', (servers) => this.relayIceServers.set(client, servers));
      client.on('sfu', ({ url }) => { this.relaySfuUrls.set(client, url); this.updateSfuUrl(); });
      client.on('error', (error) => this.emit('error', [error]));
      this.signalingClients.push(client);
      client.connect();
    }
    this.recovery.listen();
  }

  /**
   * Tells the provider the network changed or came back (the browser's `online` event does this by itself): relay
   * sockets reconnect now (one that looks open is probed first), and wanted peers are redialled without waiting.
   */
  networkChanged(): void {
    if (!this.destroyed) this.recovery.networkChanged();
  }

  /** Redials every wanted peer without a connection now, dropping pending redial timers. */
  private redialNow(): void {
    if (this.destroyed) return;
    for (const timer of this.reconnectTimers.values()) clearTimeout(timer);
    this.reconnectTimers.clear();
    this.refreshTopology();
  }

  /** Replaces the topology (e.g. mesh → classroom) and reconnects accordingly. */
  setTopology(topology: Topology): void {
    this.topology = topology;
    this.refreshTopology();
  }

  /** Re-evaluates which peers to connect to; call when the topology's inputs change (e.g. the stage). */
  refreshTopology(): void {
    if (this.destroyed) return;
    const admit = this.options.admitPeer;
    const wanted = this.topology.neighbours(this.self, [...this.known.values()].filter((p) => admit?.(p.peerId) !== false));
    for (const [peerId, connection] of this.connectionsByPeer) if (!wanted.has(peerId)) connection.close();
    for (const peerId of wanted) if (!this.connectionsByPeer.has(peerId)) this.openConnection(peerId, 'local');
  }

  /** Changes what this peer announces (name, role) and tells the room. */
  setSelf(self: SelfInfo): void {
    this.self = { peerId: this.peerId, ...self };
    for (const client of this.signalingClients) client.announce(this.announcement());
    this.refreshTopology();
  }

  /** Leaves the room: closes every connection and relay socket. The doc is left as it is. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.doc.off('destroy', this.onDocDestroy);
    this.recovery.stop();
    for (const timer of this.reconnectTimers.values()) clearTimeout(timer);
    for (const timer of this.forgetTimers.values()) clearTimeout(timer);
    // Tell the class we left while links are still up (the engine flushes the null state on destroy), then tear down.
    awarenessProtocol.removeAwarenessStates(this.#engine.awareness, [this.#engine.awareness.clientID], 'peerclass-leave');
    this.#engine.destroy();
    const leaving = [...this.connectionsByPeer.values()];
    this.connectionsByPeer.clear();
    // The leave (null awareness state) was just sent. Some implementations (@roamhq/wrtc) drop data still in flight
    // when a channel closes, so each channel closes once its buffer drained; closing a channel is graceful and the
    // remote drops us on its `close`.
    // Signed mode signs the leave asynchronously: the channels close once it went out.
    const signed = Promise.race([this.#engine.whenIdle(), new Promise((resolve) => setTimeout(resolve, LEAVE_DRAIN_MAX_MS))]);
    void signed.then(() => { for (const connection of leaving) void connection.leave(LEAVE_DRAIN_MAX_MS); });
    for (const client of this.signalingClients) client.destroy();
    super.destroy();
  }

  private readonly onDocDestroy = (): void => this.destroy();

  private announcement(): Record<string, unknown> {
    const { peerId: _, ...rest } = this.self;
    return this.options.identity !== undefined ? { ...rest, peerKey: announcedKey(this.options.identity) } : rest;
  }

  /**
   * Whether an announce counts: in signed mode only with the key its id is derived from. A peer that is not admitted
   * stays known (a teacher's lobby lists it) but is neither dialled nor accepted.
   */
  private acceptsAnnounce(peerId: string, peerKey: string | undefined): boolean {
    return this.options.identity === undefined || announcedKeyMatches(peerId, peerKey);
  }

  /**
   * Applies a changed `admitPeer` answer: closes our connections to peers no longer admitted and dials newly admitted
   * ones the topology wants (the admission roster calls this after an admit or a removal).
   */
  reviewPeers(): void {
    const admit = this.options.admitPeer;
    if (this.destroyed) return;
    if (admit !== undefined) for (const [peerId, connection] of [...this.connectionsByPeer]) if (!admit(peerId)) connection.close();
    this.refreshTopology();
  }

  /** Takes the first relay's SFU answer (in `signaling` order) and emits `sfu` when it became known or changed. */
  private updateSfuUrl(): void {
    if (this.destroyed) return;
    const url = this.signalingClients.map((c) => this.relaySfuUrls.get(c)).find((u) => u !== undefined);
    if (url === undefined || url === this.currentSfuUrl) return;
    this.currentSfuUrl = url;
    this.emit('sfu', [url]);
  }

  private aggregateStatus(): SignalingStatus {
    const statuses = this.signalingClients.map((c) => c.status);
    if (statuses.includes('connected')) return 'connected';
    return statuses.includes('connecting') ? 'connecting' : 'disconnected';
  }

  private onAnnounce(peerId: string, info: unknown, broadcast = false): void {
    if (peerId === this.peerId || this.destroyed) return;
    const announced = { peerId, ...decodeAnnouncement(info) };
    if (!this.acceptsAnnounce(peerId, announced.peerKey)) { this.options.log?.(`ignored the announce of ${peerId}: not admitted or its key is not its id`); return; }
    this.cancelForget(peerId);
    this.recovery.announced(peerId, broadcast);
    const verify = this.options.verifyPeer;
    if (verify === undefined) {
      this.known.set(peerId, announced);
      this.emit('known-peers', []);
      this.refreshTopology();
      return;
    }
    // Known at once (so its signals are accepted) but only as a plain student until verified.
    if (!this.known.has(peerId)) this.known.set(peerId, { peerId, role: 'student', ...(announced.name !== undefined ? { name: announced.name } : {}) });
    const generation = (this.announceGeneration.get(peerId) ?? 0) + 1;
    this.announceGeneration.set(peerId, generation);
    void Promise.resolve(verify(announced)).then((believed) => {
      if (this.destroyed || this.announceGeneration.get(peerId) !== generation) return; // a newer announce won
      this.known.set(peerId, { ...believed, peerId });
      this.emit('known-peers', []);
      this.refreshTopology();
    }, (error: unknown) => this.options.log?.(`could not verify peer ${peerId}: ${String(error)}`));
  }

  private onSignal(from: string, data: unknown): void {
    if (this.destroyed || from === this.peerId) return;
    let connection = this.connectionsByPeer.get(from);
    if (connection?.isFromNewRemoteSession(data) === true) {
      // The remote closed its side and started over; a connection cannot switch endpoints, so ours is replaced.
      this.connectionsByPeer.delete(from);
      connection.close();
      connection = undefined;
    }
    if (connection === undefined) {
      // The other side may learn of a topology change (e.g. a new stage) a moment before us: accept its offer
      // from a peer we know; refreshTopology closes it again if our views still disagree once they settle.
      if (!this.known.has(from)) { this.options.log?.(`ignored a signal from unannounced peer ${from}`); return; }
      if (this.options.admitPeer?.(from) === false) { this.options.log?.(`ignored a signal from ${from}: not admitted`); return; }
      connection = this.openConnection(from, 'remote');
    }
    void connection.handleSignal(data);
  }

  private iceServers(): RTCIceServer[] {
    const fromRelays = [...this.relayIceServers.values()].flat();
    return [...(this.options.iceServers ?? []), ...fromRelays];
  }

  private openConnection(peerId: string, initiator: 'local' | 'remote'): PeerConnection {
    const pending = this.reconnectTimers.get(peerId);
    if (pending !== undefined) { clearTimeout(pending); this.reconnectTimers.delete(peerId); }
    // The constructor may signal (a polite side's hello) before `connection` exists: remember a loss until it does.
    let created: PeerConnection | undefined;
    let lostBeforeCreated = false;
    const connection = new PeerConnection({
      localId: this.peerId, remoteId: peerId, rtc: this.rtc, iceServers: this.iceServers(),
      iceTransportPolicy: this.options.iceTransportPolicy, log: this.options.log,
      sendSignal: (data) => {
        let sent = false;
        for (const client of this.signalingClients) {
          if (client.status === 'connected') sent = true;
          client.publishSignal(peerId, data);
        }
        if (created !== undefined) this.recovery.signalled(created, sent);
        else if (!sent) lostBeforeCreated = true;
      },
    });
    created = connection;
    this.connectionsByPeer.set(peerId, connection);
    this.recovery.opened(connection);
    if (lostBeforeCreated) this.recovery.signalled(connection, false);
    connection.on('link', (link) => {
      if (this.options.admitPeer?.(peerId) === false) { connection.close(); return; }
      this.recovery.linked(connection); this.cancelForget(peerId); this.#engine.addLink(link); this.emitPeers();
    });
    connection.on('closed', () => {
      if (this.connectionsByPeer.get(peerId) !== connection) return;
      this.connectionsByPeer.delete(peerId);
      this.#engine.removeLink(peerId);
      this.emitPeers();
      if (this.destroyed) return;
      this.scheduleForget(peerId);
      // Still wanted (a network failure, not a topology change): try again, through signaling if it is up.
      const wanted = this.topology.neighbours(this.self, [...this.known.values()]);
      if (wanted.has(peerId)) {
        this.reconnectTimers.set(peerId, setTimeout(() => {
          this.reconnectTimers.delete(peerId);
          if (!this.destroyed && !this.connectionsByPeer.has(peerId)) this.refreshTopology();
        }, RECONNECT_DELAY_MS));
      }
    });
    this.emit('peer-connection', [connection, this.known.get(peerId) ?? { peerId, role: 'student' }, initiator]);
    return connection;
  }

  private emitPeers(): void {
    const now = new Set(this.#engine.reachablePeers());
    const added = [...now].filter((p) => !this.reachable.has(p));
    const removed = [...this.reachable].filter((p) => !now.has(p));
    this.reachable = now;
    for (const peerId of added) this.cancelForget(peerId);
    for (const peerId of removed) this.scheduleForget(peerId);
    const connected = [...this.connectionsByPeer].filter(([, c]) => c.link !== null).map(([id]) => id);
    this.emit('peers', [{ added, removed, reachable: [...now], connected }]);
  }

  private scheduleForget(peerId: string): void {
    if (this.forgetTimers.has(peerId) || this.destroyed) return;
    this.forgetTimers.set(peerId, setTimeout(() => {
      this.forgetTimers.delete(peerId);
      if (this.destroyed || (this.connectionsByPeer.get(peerId)?.link ?? null) !== null || this.#engine.reachablePeers().includes(peerId)) return;
      this.known.delete(peerId);
      this.emit('known-peers', []);
      this.announceGeneration.delete(peerId);
      const pending = this.reconnectTimers.get(peerId);
      if (pending !== undefined) { clearTimeout(pending); this.reconnectTimers.delete(peerId); }
      this.refreshTopology();
    }, this.options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS));
  }

  private cancelForget(peerId: string): void {
    const timer = this.forgetTimers.get(peerId);
    if (timer !== undefined) { clearTimeout(timer); this.forgetTimers.delete(peerId); }
  }
}
