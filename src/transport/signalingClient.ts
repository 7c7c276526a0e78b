import { ObservableV2 } from 'lib0/observable';
import type { ClientToRelayMessage, IceServerConfig } from '../protocol/signaling.js';
import { deriveRoomKey, openJson, sealJson, topicForRoom } from './signalingCrypto.js';

/**
 * An event handler type that TypeScript checks bivariantly, so both `ws`'s WebSocket (whose events carry more
 * fields) and the browser's WebSocket fit {@link WebSocketLike}.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a WebSocket the client uses: the browser's `WebSocket` and `ws`'s both fit. */
export interface WebSocketLike {
  /** 1 = open. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<unknown> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket constructor (`globalThis.WebSocket` in browsers, `ws`'s default export in Node). */
export type WebSocketConstructorLike = new (url: string) => WebSocketLike;

/** Connection state of a {@link SignalingClient}. */
export type SignalingStatus = 'connecting' | 'connected' | 'disconnected';

/** An error a {@link SignalingClient} reports. */
export interface SignalingError {
  /**
   * `wrong-secret`: a peer in this room encrypts with another class secret (reported once per such peer);
   * `relay-error`: the relay refused something (its code and message are in `message`);
   * `unreachable`: the relay could not be reached (reported once per outage).
   */
  code: 'wrong-secret' | 'relay-error' | 'unreachable';
  message: string;
}

/** Events of {@link SignalingClient}. */
export interface SignalingClientEvents {
  status: (status: SignalingStatus) => void;
  /** A peer joined the room, re-announced itself, or replied to our announce. */
  announce: (peerId: string, info: unknown) => void;
  /** A signal (SDP/ICE) addressed to us. */
  signal: (from: string, data: unknown) => void;
  /** The relay's STUN/TURN servers. */
  'ice-servers': (servers: IceServerConfig[]) => void;
  error: (error: SignalingError) => void;
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
  /** Access token sent on subscribe, for relays that require one. */
  token?: string;
  /** What we tell other peers about ourselves in announces (e.g. name, role). */
  info?: unknown;
  /** Reconnect backoff bounds (default 250 ms … 10 s, exponential with jitter). */
  reconnect?: { minMs: number; maxMs: number };
  /** Ping interval (default 20 s); the connection is dropped after two intervals without any message. */
  pingIntervalMs?: number;
}

/** What goes (sealed) inside `publish.data.sealed`; see PROTOCOL.md §1. */
export type SealedSignalingPayload =
  | { kind: 'announce'; from: string; info: unknown; to?: string }
  | { kind: 'signal'; from: string; to: string; data: unknown };

/** The cleartext wrapper in `publish.data`. */
export interface PublishEnvelope { from: string; sealed: string }

const OPEN = 1;
const DEFAULT_RECONNECT = { minMs: 250, maxMs: 10_000 };
const DEFAULT_PING_MS = 20_000;

/**
 * A peer's connection to the signaling relay for one room.
 *
 * Speaks y-webrtc's topic protocol (subscribe / publish / ping) on the topic `topicForRoom(roomId)`; every
 * payload is AES-GCM encrypted with a key derived from the class secret, so the relay sees neither the room
 * name, nor who talks to whom about what, nor any SDP. Announces itself on every (re)connect and answers a
 * newcomer's announce directly, so both sides learn of each other. Reconnects with exponential backoff and
 * jitter until {@link destroy}.
 */
export class SignalingClient extends ObservableV2<SignalingClientEvents> {
  /** Our peer id. */
  readonly peerId: string;
  /** The room id. */
  readonly roomId: string;
  private readonly url: string;
  private readonly WebSocketImpl: WebSocketConstructorLike;
  private readonly token: string | undefined;
  private info: unknown;
  private readonly reconnectBounds: { minMs: number; maxMs: number };
  private readonly pingIntervalMs: number;
  private readonly secrets: Promise<{ topic: string; key: CryptoKey }>;
  private ws: WebSocketLike | null = null;
  private currentStatus: SignalingStatus = 'disconnected';
  private shouldConnect = false;
  private destroyed = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private unreachableReported = false;
  private readonly wrongSecretSenders = new Set<string>();
  /** Sealing is async: sends go through this chain so they leave in call order. */
  private sendChain: Promise<void> = Promise.resolve();
  /** Opening is async: received messages go through this chain so they are handled in arrival order. */
  private receiveChain: Promise<void> = Promise.resolve();

  /** Creates the client; call {@link connect} to start. Key derivation starts at once. */
  constructor(options: SignalingClientOptions) {
    super();
    this.url = options.url;
    this.roomId = options.roomId;
    this.peerId = options.peerId;
    this.token = options.token;
    this.info = options.info ?? null;
    this.reconnectBounds = options.reconnect ?? DEFAULT_RECONNECT;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_MS;
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (impl === undefined) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node)');
    this.WebSocketImpl = impl;
    this.secrets = Promise.all([topicForRoom(options.roomId), deriveRoomKey(options.secret, options.roomId)])
      .then(([topic, key]) => ({ topic, key }));
    // Avoid an unhandled rejection before connect() awaits it; connect() reports the failure.
    this.secrets.catch(() => {});
  }

  /** Current connection state. */
  get status(): SignalingStatus {
    return this.currentStatus;
  }

  /** The relay topic (hash of the room id). */
  topic(): Promise<string> {
    return this.secrets.then((s) => s.topic);
  }

  /** Starts connecting (and keeps reconnecting until {@link destroy}). */
  connect(): void {
    if (this.destroyed) throw new Error('SignalingClient was destroyed');
    this.shouldConnect = true;
    if (this.ws === null && this.reconnectTimer === null) this.open();
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
    this.shouldConnect = false;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (ws !== null) {
      ws.onopen = null; ws.onmessage = null; ws.onclose = null; ws.onerror = null;
      try { ws.close(1000, 'bye'); } catch { /* not open yet */ }
    }
    this.setStatus('disconnected');
    super.destroy();
  }

  private setStatus(status: SignalingStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', [status]);
  }

  private open(): void {
    this.setStatus('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (error) {
      this.reportUnreachable(`cannot open ${this.url}: ${String(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      void this.handleOpen(ws);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastMessageAt = Date.now();
      const text = toText(event.data);
      if (text === null) return;
      this.receiveChain = this.receiveChain.then(() => this.handleText(text)).catch(() => {});
    };
    ws.onclose = () => {
      if (!opened) this.reportUnreachable(`cannot reach the signaling relay at ${this.url}`);
      this.handleClose(ws);
    };
    ws.onerror = () => { /* a close event follows */ };
  }

  private async handleOpen(ws: WebSocketLike): Promise<void> {
    let topic: string;
    try {
      ({ topic } = await this.secrets);
    } catch (error) {
      this.emit('error', [{ code: 'unreachable', message: `cannot derive the signaling key: ${String(error)}` }]);
      return;
    }
    if (ws !== this.ws || ws.readyState !== OPEN) return;
    this.attempt = 0;
    this.unreachableReported = false;
    this.lastMessageAt = Date.now();
    const subscribe: ClientToRelayMessage = { type: 'subscribe', topics: [topic] };
    if (this.token !== undefined) subscribe.token = this.token;
    ws.send(JSON.stringify(subscribe));
    this.startPing(ws);
    this.setStatus('connected');
    this.announce();
  }

  private handleClose(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    ws.onopen = null; ws.onmessage = null; ws.onclose = null; ws.onerror = null;
    this.ws = null;
    this.stopPing();
    this.setStatus('disconnected');
    this.scheduleReconnect();
  }

  private reportUnreachable(message: string): void {
    if (this.unreachableReported) return;
    this.unreachableReported = true;
    this.emit('error', [{ code: 'unreachable', message }]);
  }

  private scheduleReconnect(): void {
    if (!this.shouldConnect || this.destroyed || this.reconnectTimer !== null) return;
    const { minMs, maxMs } = this.reconnectBounds;
    const base = Math.min(maxMs, minMs * 2 ** Math.min(this.attempt, 20));
    // Jitter spreads a classroom's reconnects after a relay restart.
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.shouldConnect && this.ws === null) this.open();
    }, delay);
  }

  private startPing(ws: WebSocketLike): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      if (Date.now() - this.lastMessageAt > 2 * this.pingIntervalMs) {
        // The relay went silent (half-open TCP): do not wait for the OS to notice.
        try { ws.close(4000, 'ping timeout'); } catch { /* closing anyway */ }
        this.handleClose(ws);
        return;
      }
      if (ws.readyState === OPEN) ws.send(JSON.stringify({ type: 'ping' } satisfies ClientToRelayMessage));
    }, this.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private publish(payload: SealedSignalingPayload): void {
    if (this.destroyed) return;
    this.sendChain = this.sendChain.then(async () => {
      const { topic, key } = await this.secrets;
      const ws = this.ws;
      if (ws === null || ws.readyState !== OPEN || this.currentStatus !== 'connected') return;
      const sealed = await sealJson(key, payload);
      if (ws !== this.ws || ws.readyState !== OPEN) return;
      const envelope: PublishEnvelope = { from: this.peerId, sealed };
      ws.send(JSON.stringify({ type: 'publish', topic, data: envelope } satisfies ClientToRelayMessage));
    }).catch(() => { /* a send on a socket closing under us: the reconnect re-announces */ });
  }

  private async handleText(text: string): Promise<void> {
    let message: unknown;
    try { message = JSON.parse(text); } catch { return; }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    switch (m.type) {
      case 'publish': {
        const { topic, key } = await this.secrets;
        if (m.topic === topic) await this.handlePublish(key, m.data);
        return;
      }
      case 'ice-servers':
        if (Array.isArray(m.iceServers)) {
          const servers = m.iceServers.filter(isIceServerConfig);
          this.emit('ice-servers', [servers]);
        }
        return;
      case 'error':
        this.emit('error', [{ code: 'relay-error', message: `${String(m.code)}: ${String(m.message)}` }]);
        return;
      default:
        return; // pong, and types from future relays
    }
  }

  private async handlePublish(key: CryptoKey, data: unknown): Promise<void> {
    if (typeof data !== 'object' || data === null) return;
    const { from, sealed } = data as Record<string, unknown>;
    if (typeof from !== 'string' || typeof sealed !== 'string' || from === this.peerId) return;
    let payload: unknown;
    try {
      payload = await openJson(key, sealed);
    } catch {
      if (!this.wrongSecretSenders.has(from)) {
        this.wrongSecretSenders.add(from);
        // Answer once with something it cannot read either, so the other side learns about the mismatch too.
        this.publish({ kind: 'announce', from: this.peerId, info: this.info, to: from });
        this.emit('error', [{
          code: 'wrong-secret',
          message: `another peer in this room (${from}) uses a different class secret: its messages cannot be read, so you will not connect to it. Check that everyone joined with the same link.`,
        }]);
      }
      return;
    }
    if (typeof payload !== 'object' || payload === null) return;
    const p = payload as Record<string, unknown>;
    // The inner sender is authenticated by the key; the outer one is only a hint for the relay-visible dedup.
    if (p.from !== from) return;
    if (p.kind === 'announce') {
      if (p.to !== undefined && p.to !== this.peerId) return;
      this.emit('announce', [from, p.info ?? null]);
      // A broadcast announce comes from a newcomer (or a reconnect): answer so it learns about us too.
      if (p.to === undefined) this.publish({ kind: 'announce', from: this.peerId, info: this.info, to: from });
    } else if (p.kind === 'signal') {
      if (p.to !== this.peerId) return;
      this.emit('signal', [from, p.data]);
    }
  }
}

function toText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return null;
}

function isIceServerConfig(value: unknown): value is IceServerConfig {
  if (typeof value !== 'object' || value === null) return false;
  const { urls, username, credential } = value as Record<string, unknown>;
  const urlsOk = typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
  return urlsOk && (username === undefined || typeof username === 'string') && (credential === undefined || typeof credential === 'string');
}
