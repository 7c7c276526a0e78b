import type { Awareness } from 'y-protocols/awareness';
import type { AuthFailure } from '../sync/envelopeAuth.js';
import type { PeerInfo } from '../topology/index.js';
import type { SignalingError } from '../transport/signalingClient.js';

/**
 * The narrow network interface features above the provider use (Classroom, media, doc types, the app).
 *
 * It is what a room offers, not how it is built: routed channels, awareness, who is there, and the peer
 * connections media rides on. {@link PeerclassProvider} implements it; a feature never needs the concrete provider.
 */

/** Where a routed channel message came from. */
export interface ChannelMessageMeta {
  /** The peer that sent it first. */
  origin: string;
  /** The neighbour it arrived from (equals `origin` when direct). */
  from: string;
}

/** What a channel handler decides for a message it received: pass it on along the origin's tree, or stop it here. */
export type ChannelVerdict = 'forward' | 'drop';

/** Receives one routed message of a channel. Must not throw; a throw counts as `'drop'` and is reported. */
export type ChannelHandler = (payload: Uint8Array, meta: ChannelMessageMeta) => ChannelVerdict;

/** A routed message family registered on the network (e.g. signed control). */
export interface NetworkChannel {
  /** The peer message type (PROTOCOL.md), unique per network. */
  readonly type: number;
  /** Sends `payload` to every reachable peer, each about once. */
  broadcast(payload: Uint8Array): void;
  /** Unregisters the channel; later messages of its type are dropped as unknown. */
  close(): void;
}

/** Signaling connection state of a room. */
export type NetworkStatus = 'connecting' | 'connected' | 'disconnected';

/** Who is there, as of a `peers` event. */
export interface PeersChange {
  added: string[];
  removed: string[];
  /** Peers reachable directly or through forwarding. */
  reachable: string[];
  /** Peers with an open direct data link. */
  connected: string[];
}

/** The part of one peer connection media code may use. */
export interface MediaConnection {
  /** The remote peer's id. */
  readonly remoteId: string;
  /** True once the connection is gone for good. */
  readonly closed: boolean;
  /** The RTCPeerConnection's connection state. */
  readonly connectionState: RTCPeerConnectionState;
  /** The RTCPeerConnection's signaling state (`stable` between negotiations). */
  readonly signalingState: RTCSignalingState;
  /** Adds a local track; renegotiation follows by itself. */
  addTrack(track: MediaStreamTrack, stream: MediaStream): RTCRtpSender;
  /** Removes a track added by {@link addTrack}; renegotiation follows by itself. */
  removeTrack(sender: RTCRtpSender): void;
  /** The connection's WebRTC statistics. */
  getStats(): Promise<RTCStatsReport>;
  /** A remote media track arrived. Returns an unsubscribe function. */
  onTrack(handler: (event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void): () => void;
  /** The connection closed for good. Returns an unsubscribe function. */
  onClosed(handler: () => void): () => void;
}

/** A room-level error: the relay refused us, a peer has the wrong secret, a peer connection failed. */
export interface NetworkError {
  code: SignalingError['code'] | 'peer-connection';
  message: string;
  peerId?: string;
}

/** Events of a {@link ClassNetwork}. */
export interface ClassNetworkEvents {
  /** Signaling connection state (peers already connected keep syncing while it is down). */
  status: (event: { status: NetworkStatus }) => void;
  /** All direct neighbours finished their initial sync. */
  synced: (event: { synced: boolean }) => void;
  /** Peers reachable (directly or through forwarding) changed. */
  peers: (event: PeersChange) => void;
  /** The peers announced through signaling ({@link ClassNetwork.knownPeers}) changed: one announced, verified or was forgotten. */
  'known-peers': () => void;
  /** A peer connection was created; media attaches its tracks here. */
  /** `initiator`: `'local'` when this peer dialled (its topology wants the peer), `'remote'` when the peer dialled us. */
  'peer-connection': (connection: MediaConnection, peer: PeerInfo, initiator: 'local' | 'remote') => void;
  /** Something went wrong that the app may want to tell the user (typed by `code`). */
  error: (error: NetworkError) => void;
  /**
   * Signed mode refused a neighbour's message or link hello (forged origin, bad signature, unsigned input …), once
   * per neighbour and reason: the neighbour is the offender, honest peers forward only what verified.
   */
  'auth-failure': (failure: AuthFailure) => void;
  /**
   * The SFU (Janus WebSocket URL, ws:// or wss://) the relay assigned to this room for lecture mode became known or
   * changed; {@link ClassNetwork.sfuUrl} returns it from now on.
   */
  sfu: (url: string) => void;
}

/** A room's network as features above the provider see it. */
export interface ClassNetwork {
  /** This peer's id. */
  readonly peerId: string;
  /** What this peer announces about itself. */
  readonly selfInfo: PeerInfo;
  /** The awareness synced with the room (presence, cursors, laser pointer). */
  readonly awareness: Awareness;
  /** True when every direct neighbour finished its initial sync. */
  readonly synced: boolean;
  /** Signaling connection state. */
  readonly status: NetworkStatus;
  /** Registers a routed message family; throws for a type that is reserved or already registered. */
  channel(type: number, handler: ChannelHandler): NetworkChannel;
  /** Peers introduced by signaling, with what they announced (and the verifier believed). */
  knownPeers(): PeerInfo[];
  /** Peers reachable directly or through forwarding. */
  reachablePeers(): string[];
  /** Open peer connections by peer id, for media. */
  mediaConnections(): ReadonlyMap<string, MediaConnection>;
  /** Re-evaluates which peers to connect to; call when the topology's inputs change (e.g. the stage). */
  refreshTopology(): void;
  /**
   * The SFU (Janus WebSocket URL) the signaling relay assigned to this room for lecture mode, or null while no relay
   * named one (relays started without `--sfu` never do). With several relays, the first relay in the `signaling`
   * list that answered decides; relays given the same SFU list all give the same answer.
   */
  sfuUrl(): string | null;
  on<E extends keyof ClassNetworkEvents>(name: E, handler: ClassNetworkEvents[E]): void;
  off<E extends keyof ClassNetworkEvents>(name: E, handler: ClassNetworkEvents[E]): void;
}
