import { ObservableV2 } from 'lib0/observable';
import type { RelayMessage } from '../protocol/relayMessages.js';
import { decodePublishEnvelope, decodeSealedPayload, encodeSealedPayload, type PublishEnvelope, type SealedSignalingPayload } from '../protocol/sealedSignaling.js';
import type { IceServerConfig, SignalingErrorCode } from '../protocol/signaling.js';
import { TransportError } from './errors.js';
import { RelayTokens, type RelayToken } from './relayTokens.js';
import { DefaultReconnectPolicy, RelaySocket, type ReconnectPolicy, type RelaySocketStatus, type WebSocketConstructorLike } from './relaySocket.js';
import { deriveRoomKey, openBytes, sealBytes, topicForRoom } from './signalingCrypto.js';
import { tappedWebSocket } from './tappedWebSocket.js';

// Kept importable from here: the provider and older code import them from this module.
export type { WebSocketConstructorLike, WebSocketLike, ReconnectPolicy, ReconnectContext } from './relaySocket.js';
export { DefaultReconnectPolicy } from './relaySocket.js';
export type { RelayToken } from './relayTokens.js';
export type { PublishEnvelope, SealedSignalingPayload } from '../protocol/sealedSignaling.js';

/** Connection state of a {@link SignalingClient}: `connected` once subscribed to the room's topic. */
export type SignalingStatus = RelaySocketStatus;

/** An error a {@link SignalingClient} reports. */
export interface SignalingError {
  /**
   * `wrong-secret`: a peer in this room encrypts with another class secret (reported once per such peer);
   * `unauthorized`: the relay requires an access token and refused ours (missing, invalid, expired, or not for this
   * class), or the token function failed; reported once per connection, and not when a fresh token from the token
   * function fixed it;
   * `relay-error`: the relay refused something else (its code is in `relayCode` when known, code and text in `message`);
   * `unreachable`: the relay could not be reached (reported once per outage);
   * `gave-up`: the reconnect policy stopped retrying (`reconnectNow()` or `connect()` starts again).
   */
  code: 'wrong-secret' | 'unauthorized' | 'relay-error' | 'unreachable' | 'gave-up';
  message: string;
  /** For `relay-error`: the relay's error code, when it is one peerclass relays send. */
  relayCode?: SignalingErrorCode;
}

/** Events of {@link SignalingClient}. */
export interface SignalingClientEvents {
  status: (status: SignalingStatus) => void;
  /** A peer joined the room, re-announced itself, or replied to our announce; `broadcast` is true when it told the whole room (it just joined or reconnected). */
  announce: (peerId: string, info: unknown, broadcast: boolean) => void;
  /** A signal (SDP/ICE) addressed to us. */
  signal: (from: string, data: unknown) => void;
  /** The relay's STUN/TURN servers. */
  'ice-servers': (servers: IceServerConfig[]) => void;
  /**
   * The relay named the SFU (Janus ws:// or wss:// URL) serving this room's topic in lecture mode: once per
   * subscription, so again after each reconnect ({@link SignalingClient.sfuUrl} keeps the latest). Frames for another
   * topic, or whose URL is not ws:// or wss:// or longer than {@link MAX_SFU_URL_CHARS}, are ignored.
   */
  sfu: (event: SfuAssignment) => void;
  error: (error: SignalingError) => void;
}

/** The relay's `sfu` message as the client accepted it (PROTOCOL.md §1.1). */
export interface SfuAssignment {
  /** The room's relay topic (the hash of the room id). */ topic: string;
  /** The SFU's WebSocket URL (ws:// or wss://). */ url: string;
}

/** Longest SFU URL a client accepts from a relay (characters); longer frames than 4× this are not read as `sfu`. */
export const MAX_SFU_URL_CHARS = 2048;

/**
 * Reads a relay text frame as an `sfu` message `{"type":"sfu","topic","url"}`, or null when it is not one or is
 * malformed: the topic must be a string, the URL a parseable ws:// or wss:// URL of at most {@link MAX_SFU_URL_CHARS}
 * characters. Never throws.
 */
export function readSfuFrame(text: string): SfuAssignment | null {
  if (text.length > 4 * MAX_SFU_URL_CHARS || !text.includes('"sfu"')) return null;
  let value: unknown;
  try { value = JSON.parse(text); } catch { return null; }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { type, topic, url } = value as Record<string, unknown>;
  if (type !== 'sfu' || typeof topic !== 'string' || typeof url !== 'string' || url.length > MAX_SFU_URL_CHARS) return null;
  let protocol: string;
  try { protocol = new URL(url).protocol; } catch { return null; }
  return protocol === 'ws:' || protocol === 'wss:' ? { topic, url } : null;
}

/** Options for {@link SignalingClient}. */
export interface SignalingClientOptions {
  /** The relay's ws:// or wss:// URL. */
  url: string;
  /** The class (room) id; only its hash goes to the relay. */
  roomId: string;
  /** The class secret; never leaves this peer. */
  secret: string;
  /** Our peer id (unique per session). */
  peerId: string;
  /** WebSocket constructor; default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  /** Access token sent on subscribe, for relays that require one (which then also allows our publishes). */
  token?: RelayToken;
  /** What we tell other peers about ourselves in announces (e.g. name, role). */
  info?: unknown;
  /** When to retry after the relay connection is lost (default {@link DefaultReconnectPolicy}). Wins over `reconnect`. */
  reconnectPolicy?: ReconnectPolicy;
  /** Shorthand for `reconnectPolicy: new DefaultReconnectPolicy(bounds)` (default 250 ms … 10 s). */
  reconnect?: { minMs: number; maxMs: number };
  /** Ping interval (default 20 s); the connection is dropped after two intervals without any message. */
  pingIntervalMs?: number;
  /** How long {@link SignalingClient.reconnectNow} waits for the relay to answer on a connection that looks open (default 3 s). */
  probeTimeoutMs?: number;
}

/**
 * A peer's connection to the signaling relay for one room.
 *
 * Speaks y-webrtc's topic protocol over a {@link RelaySocket} on the topic `topicForRoom(roomId)`; every payload
 * is AES-GCM encrypted with a key derived from the class secret, so the relay sees neither the room name, nor who
 * talks to whom about what, nor any SDP. Subscribes and announces itself on every (re)connect and answers a
 * newcomer's announce directly, so both sides learn of each other.
 */
export class SignalingClient extends ObservableV2<SignalingClientEvents> {
  /** Our peer id. */
  readonly peerId: string;
  /** The room id. */
  readonly roomId: string;
  private readonly socket: RelaySocket;
  private readonly tokens: RelayTokens;
  private info: unknown;
  private readonly secrets: Promise<{ topic: string; key: CryptoKey }>;
  private currentStatus: SignalingStatus = 'disconnected';
  private destroyed = false;
  private readonly wrongSecretSenders = new Set<string>();
  private lastSfuUrl: string | null = null;
  /** Sealing is async: sends go through this chain so they leave in call order. */
  private sendChain: Promise<void> = Promise.resolve();
  /** Opening is async: received messages go through this chain so they are handled in arrival order. */
  private receiveChain: Promise<void> = Promise.resolve();

  /**
   * Creates the client; call {@link connect} to start. Key derivation starts at once.
   * @throws {TransportError} `no-websocket` when no WebSocket implementation is given or global.
   */
  constructor(options: SignalingClientOptions) {
    super();
    this.roomId = options.roomId;
    this.peerId = options.peerId;
    this.tokens = new RelayTokens(options.token, () => void this.renewToken('expiring'));
    this.info = options.info ?? null;
    const socketOptions: ConstructorParameters<typeof RelaySocket>[0] = {
      url: options.url,
      reconnectPolicy: options.reconnectPolicy ?? new DefaultReconnectPolicy(options.reconnect),
    };
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    // Without an implementation the relay socket throws its own `no-websocket` error.
    if (WebSocketImpl !== undefined) socketOptions.WebSocket = tappedWebSocket(WebSocketImpl, (text) => this.onRelayFrame(text));
    if (options.pingIntervalMs !== undefined) socketOptions.pingIntervalMs = options.pingIntervalMs;
    if (options.probeTimeoutMs !== undefined) socketOptions.probeTimeoutMs = options.probeTimeoutMs;
    this.socket = new RelaySocket(socketOptions);
    this.socket.on('status', (status) => { this.tokens.connectionChanged(); this.onSocketStatus(status); });
    this.socket.on('message', (message, pongs) => {
      this.receiveChain = this.receiveChain.then(() => this.handleMessage(message, pongs)).catch(() => {});
    });
    this.socket.on('error', (error) => this.emit('error', [{ code: error.code, message: error.message }]));
    this.secrets = Promise.all([topicForRoom(options.roomId), deriveRoomKey(options.secret, options.roomId)])
      .then(([topic, key]) => ({ topic, key }));
    // Avoid an unhandled rejection before a connection awaits it; subscribing reports the failure.
    this.secrets.catch(() => {});
  }

  /** Current connection state. */
  get status(): SignalingStatus {
    return this.currentStatus;
  }

  /** The relay URL. */
  get url(): string {
    return this.socket.url;
  }

  /** The SFU (Janus WebSocket URL) of the relay's latest `sfu` message for this room; null until one came (never from relays without `--sfu`). */
  get sfuUrl(): string | null { return this.lastSfuUrl; }

  /** The relay topic (hash of the room id). */
  topic(): Promise<string> {
    return this.secrets.then((s) => s.topic);
  }

  /**
   * Starts connecting (and keeps reconnecting until {@link destroy}).
   * @throws {TransportError} `destroyed` after {@link destroy}.
   */
  connect(): void {
    if (this.destroyed) throw new TransportError('destroyed', 'SignalingClient was destroyed');
    this.socket.connect();
  }

  /**
   * Skips the reconnect wait: call it when the network is back (browser `online` event). See
   * {@link RelaySocket.reconnectNow}: a connection that looks open is probed and replaced if it does not answer, or
   * replaced at once with `probe: false` (the network is known to have been offline).
   */
  reconnectNow(options: { probe?: boolean } = {}): void {
    this.socket.reconnectNow(options);
  }

  /** Sends a signal (SDP/ICE) to one peer. Dropped while not connected: negotiation restarts on reconnect. */
  publishSignal(to: string, data: unknown): void {
    this.publish({ kind: 'signal', from: this.peerId, to, data });
  }

  /** Announces us to the room (optionally with new info); done automatically on every connect. */
  announce(info?: unknown): void {
    if (info !== undefined) this.info = info;
    this.publish({ kind: 'announce', from: this.peerId, info: this.info });
  }

  /** Disconnects for good and removes all listeners. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.tokens.connectionChanged();
    this.socket.destroy();
    this.setStatus('disconnected');
    super.destroy();
  }

  private setStatus(status: SignalingStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', [status]);
  }

  private onSocketStatus(status: RelaySocketStatus): void {
    // The socket being open is not enough: we count as connected once subscribed to the topic.
    if (status === 'connected') void this.subscribe();
    else this.setStatus(status);
  }

  private async subscribe(): Promise<void> {
    const connection = this.socket.connection;
    let topic: string;
    try {
      ({ topic } = await this.secrets);
    } catch (error) {
      this.emit('error', [{ code: 'unreachable', message: `cannot derive the signaling key: ${String(error)}` }]);
      return;
    }
    const token = await this.tokens.fresh().catch((error: unknown) => {
      this.reportUnauthorized(`could not get a relay access token: ${String(error)}`);
      return undefined;
    });
    if (this.destroyed || this.socket.connection !== connection || this.socket.status !== 'connected') return;
    const sent = this.socket.send(token === undefined ? { type: 'subscribe', topics: [topic] } : { type: 'subscribe', topics: [topic], token });
    if (!sent) return;
    if (token !== undefined) this.tokens.sent(token);
    this.setStatus('connected');
    this.announce();
  }

  private publish(payload: SealedSignalingPayload): void {
    if (this.destroyed) return;
    this.sendChain = this.sendChain.then(async () => {
      const { topic, key } = await this.secrets;
      if (this.currentStatus !== 'connected') return;
      const connection = this.socket.connection;
      const sealed = await sealBytes(key, encodeSealedPayload(payload));
      // Sealed for a connection that has since been replaced: the reconnect re-announces, negotiation restarts.
      if (this.socket.connection !== connection || this.currentStatus !== 'connected') return;
      const envelope: PublishEnvelope = { from: this.peerId, sealed };
      this.socket.send({ type: 'publish', topic, data: envelope });
    }).catch(() => { /* key derivation failed: subscribing reported it */ });
  }

  private async handleMessage(message: RelayMessage, pongs: number): Promise<void> {
    switch (message.type) {
      case 'publish': {
        const { topic, key } = await this.secrets;
        if (message.topic === topic) await this.handlePublish(key, message.data);
        return;
      }
      case 'ice-servers':
        this.emit('ice-servers', [message.iceServers]);
        return;
      case 'error': {
        if (message.knownCode === 'unauthorized') {
          // A reply to something sent before our latest token: that token decides, not this.
          if (pongs >= this.tokens.staleBeforePongs) await this.onUnauthorized(message.message);
          return;
        }
        const error: SignalingError = { code: 'relay-error', message: `${message.code}: ${message.message}` };
        if (message.knownCode !== null) error.relayCode = message.knownCode;
        this.emit('error', [error]);
        return;
      }
      default:
        return;
    }
  }

  /** A raw relay frame (see `tappedWebSocket`): accepts an `sfu` message for our own topic. */
  private onRelayFrame(text: string): void {
    const sfu = readSfuFrame(text);
    if (sfu === null || this.destroyed) return;
    // In the receive chain, so it is judged after the messages that came before it.
    this.receiveChain = this.receiveChain.then(async () => {
      const { topic } = await this.secrets;
      if (this.destroyed || sfu.topic !== topic) return;
      this.lastSfuUrl = sfu.url;
      this.emit('sfu', [{ topic: sfu.topic, url: sfu.url }]);
    }).catch(() => {});
  }

  private async handlePublish(key: CryptoKey, data: unknown): Promise<void> {
    const envelope = decodePublishEnvelope(data);
    if (!envelope.ok) return; // e.g. a y-webrtc client on the same relay: not ours to read
    const { from, sealed } = envelope.value;
    if (from === this.peerId) return;
    let plaintext: Uint8Array;
    try {
      plaintext = await openBytes(key, sealed);
    } catch (error) {
      if (error instanceof TransportError && error.code === 'sealed-unreadable') this.reportWrongSecret(from);
      return;
    }
    const decoded = decodeSealedPayload(plaintext);
    if (!decoded.ok) return;
    const payload = decoded.value;
    // The inner sender is authenticated by the key; the outer one is only a hint for the relay-visible dedup.
    if (payload.from !== from) return;
    if (payload.kind === 'announce') {
      if (payload.to !== undefined && payload.to !== this.peerId) return;
      this.emit('announce', [from, payload.info, payload.to === undefined]);
      // A broadcast announce comes from a newcomer (or a reconnect): answer so it learns about us too.
      if (payload.to === undefined) this.publish({ kind: 'announce', from: this.peerId, info: this.info, to: from });
    } else if (payload.to === this.peerId) {
      this.emit('signal', [from, payload.data]);
    }
  }

  /** The relay refused our token (or our subscription expired): a token function may supply a new one first. */
  private async onUnauthorized(reason: string): Promise<void> {
    const connection = this.socket.connection;
    if (await this.renewToken('refused')) return;
    if (this.socket.connection === connection) this.reportUnauthorized(`the relay refused the access token: ${reason}`);
  }

  /**
   * Subscribes again on the open connection with a new token from the token function (the relay adds its grant),
   * after a refusal or shortly before the current token expires. Returns false when there is no new token to send.
   */
  private async renewToken(trigger: 'refused' | 'expiring'): Promise<boolean> {
    const connection = this.socket.connection;
    let token: string | undefined;
    try {
      token = trigger === 'refused' ? await this.tokens.afterRefusal() : await this.tokens.fresh();
    } catch (error) {
      this.reportUnauthorized(`could not get a relay access token: ${String(error)}`);
      return false;
    }
    if (token === undefined || (trigger === 'expiring' && token === this.tokens.current)) return false;
    const { topic } = await this.secrets;
    if (this.destroyed || this.socket.connection !== connection || this.currentStatus !== 'connected') return false;
    // Replies to what we sent before arrive before this ping's pong: the new token is judged only by later ones.
    const fence = this.socket.sendFence();
    if (fence === null || !this.socket.send({ type: 'subscribe', topics: [topic], token })) return false;
    this.tokens.staleBeforePongs = fence;
    this.tokens.sent(token);
    // Our announce (or signals) may have been refused with the old token.
    if (trigger === 'refused') this.announce();
    return true;
  }

  private reportUnauthorized(message: string): void {
    if (this.tokens.reported || this.destroyed) return;
    this.tokens.reported = true;
    this.emit('error', [{ code: 'unauthorized', message, relayCode: 'unauthorized' }]);
  }

  private reportWrongSecret(from: string): void {
    if (this.wrongSecretSenders.has(from)) return;
    this.wrongSecretSenders.add(from);
    // Answer once with something it cannot read either, so the other side learns about the mismatch too.
    this.publish({ kind: 'announce', from: this.peerId, info: this.info, to: from });
    this.emit('error', [{
      code: 'wrong-secret',
      message: `another peer in this room (${from}) uses a different class secret: its messages cannot be read, so you will not connect to it. Check that everyone joined with the same link.`,
    }]);
  }
}
