import type * as awarenessProtocol from 'y-protocols/awareness';
import type { PeerIdentity } from '../identity/peerIdentity.js';
import type { PolicyGate, UpdateGate } from '../sync/docSync.js';
import type { PeerInfo, Topology } from '../topology/index.js';
import type { RtcImplementation } from '../transport/peerConnection.js';
import type { ReconnectPolicy } from '../transport/relaySocket.js';
import type { RelayToken, WebSocketConstructorLike } from '../transport/signalingClient.js';

/** Options for `PeerclassProvider`. */
export interface PeerclassProviderOptions {
  /** Relay URL(s). Several relays (e.g. behind Redis) are used together; a peer is introduced by any of them. */
  signaling: string | string[];
  /** The class secret: encrypts signaling and never leaves the peers. */
  secret: string;
  /** Awareness to sync (cursors, presence); created if absent. */
  awareness?: awarenessProtocol.Awareness;
  /** WebRTC implementation; default the browser's globals. In Node: `@roamhq/wrtc`. */
  rtc?: RtcImplementation;
  /** WebSocket constructor; default `globalThis.WebSocket`. In Node: `ws`. */
  WebSocket?: WebSocketConstructorLike;
  /** Which peers connect directly. Default `meshTopology`. */
  topology?: Topology;
  /** What this peer announces about itself. Default `{ role: 'student' }`. */
  self?: SelfInfo;
  /**
   * Decides what to believe of an announced peer before the topology sees it, e.g. checks a teacher's proof and
   * returns the peer downgraded to a student when it fails. Until it resolves the peer counts as a plain student.
   */
  verifyPeer?: (peer: PeerInfo) => PeerInfo | Promise<PeerInfo>;
  /** This peer's id; default the identity's (key-derived) id, or a random one. */
  peerId?: string;
  /**
   * This peer's key pair (see `loadOrCreatePeerIdentity`). When given, the provider runs in signed mode: the peer id
   * is the identity's, the announce carries the public key (announces whose key does not hash to their peer id are
   * ignored), links are authenticated by a hello, and every routed message and topology entry is signed and checked
   * (PROTOCOL.md "Signed mode"). Every peer of the room must then have one.
   */
  identity?: PeerIdentity;
  /** Signed mode: the class binding inside every signed byte string. Default the room id. */
  trustContext?: string;
  /** Write policies: checked before each incoming doc update is applied (e.g. `DocumentSet.gate()`). Default none. */
  updateGate?: UpdateGate | PolicyGate;
  /**
   * Whether a peer takes part: we neither dial it nor accept its connection, and (signed mode) routed messages from
   * it are dropped wherever they come from. It stays known (a lobby can list it). Default: everyone. When the answer
   * changes (an admit, a removal), call `PeerclassProvider.reviewPeers()`.
   */
  admitPeer?: (peerId: string) => boolean;
  /** STUN/TURN servers in addition to those the relay hands out. */
  iceServers?: RTCIceServer[];
  /** 'relay' forces every connection through TURN. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * Access token (JWT) for relays that require one, sent on subscribe (it also allows our publishes and TURN): a
   * string, or a function called on every (re)connect and before `exp` (see `RelayToken`). Refusals arrive as
   * `error` with code `unauthorized`.
   */
  token?: RelayToken;
  /** When to retry a lost relay connection; default exponential backoff 250 ms → 10 s with jitter. */
  reconnectPolicy?: ReconnectPolicy;
  /** Start connecting at once. Default true. */
  connect?: boolean;
  /**
   * How long a peer that was reachable and no longer is stays known (and redialled). Signaling has no "leave",
   * so without this every peer ever announced would be kept forever. Default 30 s; a re-announce revives it.
   */
  forgetAfterMs?: number;
  /** Minimum interval between awareness sends (coalescing). Default 50 ms. */
  awarenessThrottleMs?: number;
  /** Receives a reason for everything dropped or ignored (bad peer input, refused signals). Default: nothing. */
  log?: (reason: string) => void;
}

/** What a peer announces about itself. */
export type SelfInfo = Omit<PeerInfo, 'peerId'>;
