import { ObservableV2 } from 'lib0/observable';
import { decodeRelayMessage, type RelayMessage } from '../protocol/relayMessages.js';
import type { ClientToRelayMessage } from '../protocol/signaling.js';
import { TransportError } from './errors.js';

/**
 * An event handler type that TypeScript checks bivariantly, so both `ws`'s WebSocket (whose events carry more
 * fields) and the browser's WebSocket fit {@link WebSocketLike}.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a WebSocket the client uses: the browser's `WebSocket` and `ws`'s both fit. */
export interface WebSocketLike {
  /** 0 = connecting, 1 = open. */
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

/** What a {@link ReconnectPolicy} is told before each reconnect attempt. */
export interface ReconnectContext {
  /** Attempts already made in this outage: 0 before the first retry. */
  readonly retryCount: number;
  /** Milliseconds since the outage began (the connection was lost, or `connect()` was called). */
  readonly elapsedMs: number;
}

/**
 * Decides how long to wait before the next reconnect attempt (modeled on livekit's `ReconnectPolicy`).
 * Return `null` to stop retrying: the socket then stays disconnected until `connect()` or `reconnectNow()`.
 */
export interface ReconnectPolicy {
  nextRetryDelayInMs(context: ReconnectContext): number | null;
}

/** Options of {@link DefaultReconnectPolicy}. */
export interface DefaultReconnectPolicyOptions {
  /** First delay bound (default 250 ms). */
  minMs?: number;
  /** Largest delay bound (default 10 s). */
  maxMs?: number;
  /** Random source in [0, 1) (default `Math.random`); fixed in tests. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter, never giving up: the bound doubles from `minMs` to `maxMs`, and each delay is
 * drawn from 50–100 % of it. The jitter spreads a classroom's reconnects after a relay restart.
 */
export class DefaultReconnectPolicy implements ReconnectPolicy {
  /** First delay bound in ms. */
  readonly minMs: number;
  /** Largest delay bound in ms. */
  readonly maxMs: number;
  private readonly random: () => number;

  /** Creates the policy; the defaults are the timings in PROTOCOL.md §1 ("Liveness"). */
  constructor(options: DefaultReconnectPolicyOptions = {}) {
    this.minMs = options.minMs ?? 250;
    this.maxMs = options.maxMs ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before attempt `retryCount + 1`; never null. */
  nextRetryDelayInMs({ retryCount }: ReconnectContext): number {
    const bound = Math.min(this.maxMs, this.minMs * 2 ** Math.min(retryCount, 20));
    return bound / 2 + this.random() * (bound / 2);
  }
}

/** Connection state of a {@link RelaySocket}. */
export type RelaySocketStatus = 'connecting' | 'connected' | 'disconnected';

/** A problem a {@link RelaySocket} reports. */
export interface RelaySocketError {
  /** `unreachable`: the relay could not be reached (once per outage); `gave-up`: the reconnect policy stopped retrying. */
  code: 'unreachable' | 'gave-up';
  message: string;
}

/** Events of {@link RelaySocket}. */
export interface RelaySocketEvents {
  status: (status: RelaySocketStatus) => void;
  /**
   * A well-formed relay message other than `pong` (which the keepalive consumes); `pongs` = pongs received on this
   * connection before it (see {@link RelaySocket.sendFence}).
   */
  message: (message: RelayMessage, pongs: number) => void;
  error: (error: RelaySocketError) => void;
}

/** Options for {@link RelaySocket}. */
export interface RelaySocketOptions {
  /** The relay's ws:// or wss:// URL. */
  url: string;
  /** WebSocket constructor; default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  /** When to retry after the connection is lost (default {@link DefaultReconnectPolicy}). */
  reconnectPolicy?: ReconnectPolicy;
  /** Ping interval (default 20 s); the connection is dropped after two intervals without any message. */
  pingIntervalMs?: number;
  /** How long {@link RelaySocket.reconnectNow} waits for an answer on a connection that looks open (default 3 s). */
  probeTimeoutMs?: number;
}

const OPEN = 1;
const DEFAULT_PING_MS = 20_000;
const DEFAULT_PROBE_MS = 3_000;

/**
 * A WebSocket to a signaling relay that stays up: JSON messages of y-webrtc's topic protocol, ping/pong
 * keepalive (a relay silent for two intervals is dropped: a half-open TCP connection is not noticed otherwise),
 * and reconnects paced by a {@link ReconnectPolicy} until {@link destroy}. What to send after each (re)connect is
 * the owner's business: listen for status `connected`.
 */
export class RelaySocket extends ObservableV2<RelaySocketEvents> {
  /** The relay URL. */
  readonly url: string;
  private readonly WebSocketImpl: WebSocketConstructorLike;
  private readonly policy: ReconnectPolicy;
  private readonly pingIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private ws: WebSocketLike | null = null;
  private currentStatus: RelaySocketStatus = 'disconnected';
  private connectionCount = 0;
  private shouldConnect = false;
  private destroyed = false;
  private retryCount = 0;
  private outageStartedAt: number | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMessageAt = 0;
  private unreachableReported = false;
  private pingsSent = 0;
  private pongsReceived = 0;

  /**
   * Creates the socket; call {@link connect} to start.
   * @throws {TransportError} `no-websocket` when no WebSocket implementation is given or global.
   */
  constructor(options: RelaySocketOptions) {
    super();
    this.url = options.url;
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
    if (impl === undefined) throw new TransportError('no-websocket', 'no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node)');
    this.WebSocketImpl = impl;
    this.policy = options.reconnectPolicy ?? new DefaultReconnectPolicy();
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_MS;
  }

  /** Current connection state. */
  get status(): RelaySocketStatus {
    return this.currentStatus;
  }

  /** Counts opened connections: compare it before and after an `await` to know the connection is still the same. */
  get connection(): number {
    return this.connectionCount;
  }

  /**
   * Starts connecting (and keeps reconnecting until {@link destroy}).
   * @throws {TransportError} `destroyed` after {@link destroy}.
   */
  connect(): void {
    if (this.destroyed) throw new TransportError('destroyed', 'the relay socket was destroyed');
    this.shouldConnect = true;
    if (this.ws === null && this.reconnectTimer === null) this.openFresh();
  }

  /**
   * Skips the reconnect wait, e.g. when the browser reports that the network is back (`online`). Waiting for a
   * retry (or given up): connects at once with a fresh retry count. Connected: sends a ping and, if nothing
   * answers within `probeTimeoutMs`, drops the connection (after a network change it is often dead without
   * knowing it) and connects again at once. Connecting, or never asked to connect: nothing to do.
   */
  reconnectNow(options: { probe?: boolean } = {}): void {
    if (this.destroyed || !this.shouldConnect) return;
    const ws = this.ws;
    if (ws !== null && options.probe === false && this.currentStatus === 'connected') {
      // The caller knows the network was gone (an `offline` event): a socket that looks open is stale, do not wait on a probe.
      this.drop(ws, 'network was offline');
      this.reconnectNow();
      return;
    }
    if (ws === null) {
      this.clearReconnectTimer();
      this.openFresh();
    } else if (this.currentStatus === 'connected' && this.probeTimer === null) {
      const probeStartedAt = Date.now();
      this.send({ type: 'ping' });
      this.probeTimer = setTimeout(() => {
        this.probeTimer = null;
        if (ws !== this.ws || this.lastMessageAt >= probeStartedAt) return;
        this.drop(ws, 'probe timeout');
        this.reconnectNow();
      }, this.probeTimeoutMs);
    }
  }

  /**
   * Sends a ping as a marker in the relay's reply stream and returns its number on this connection (null while not
   * connected). The relay answers in order, so everything it sent in reply to earlier messages arrives before
   * {@link pongs} reaches that number.
   */
  sendFence(): number | null {
    return this.send({ type: 'ping' }) ? this.pingsSent : null;
  }

  /** Pongs received on the current connection (compare with {@link sendFence}'s number). */
  get pongs(): number {
    return this.pongsReceived;
  }

  /** Sends one message; returns false (and sends nothing) while not connected. */
  send(message: ClientToRelayMessage): boolean {
    const ws = this.ws;
    if (ws === null || ws.readyState !== OPEN || this.currentStatus !== 'connected') return false;
    try {
      ws.send(JSON.stringify(message));
      if (message.type === 'ping') this.pingsSent++;
      return true;
    } catch {
      return false; // closing under us: the close event follows
    }
  }

  /** Disconnects for good and removes all listeners. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.shouldConnect = false;
    this.clearReconnectTimer();
    this.stopTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws !== null) {
      detach(ws);
      try { ws.close(1000, 'bye'); } catch { /* not open yet */ }
    }
    this.setStatus('disconnected');
    super.destroy();
  }

  private setStatus(status: RelaySocketStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', [status]);
  }

  /** Opens at once as if this were the first attempt of a new outage (the policy sees retryCount 0 again). */
  private openFresh(): void {
    this.retryCount = 0;
    this.outageStartedAt = Date.now();
    this.open();
  }

  private open(): void {
    this.setStatus('connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (error) {
      this.reportUnreachable(`cannot open ${this.url}: ${String(error)}`);
      this.setStatus('disconnected');
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      opened = true;
      this.connectionCount++;
      this.retryCount = 0;
      this.outageStartedAt = null;
      this.unreachableReported = false;
      this.lastMessageAt = Date.now();
      this.pingsSent = 0;
      this.pongsReceived = 0;
      this.startPing(ws);
      this.setStatus('connected');
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastMessageAt = Date.now();
      const text = toText(event.data);
      if (text === null) return;
      const decoded = decodeRelayMessage(text);
      // Unknown types may come from a newer relay, malformed ones from a broken one: neither is ours to act on.
      if (decoded.ok && decoded.value.type === 'pong') this.pongsReceived++;
      else if (decoded.ok) this.emit('message', [decoded.value, this.pongsReceived]);
    };
    ws.onclose = () => {
      if (!opened) this.reportUnreachable(`cannot reach the signaling relay at ${this.url}`);
      this.handleClose(ws);
    };
    ws.onerror = () => { /* a close event follows */ };
  }

  private handleClose(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    detach(ws);
    this.ws = null;
    this.stopTimers();
    this.outageStartedAt ??= Date.now();
    this.setStatus('disconnected');
    this.scheduleReconnect();
  }

  /** Closes a connection that is alive only on paper, without waiting for the OS to notice. */
  private drop(ws: WebSocketLike, reason: string): void {
    try { ws.close(4000, reason); } catch { /* closing anyway */ }
    this.handleClose(ws);
  }

  private reportUnreachable(message: string): void {
    if (this.unreachableReported) return;
    this.unreachableReported = true;
    this.emit('error', [{ code: 'unreachable', message }]);
  }

  private scheduleReconnect(): void {
    if (!this.shouldConnect || this.destroyed || this.reconnectTimer !== null) return;
    const elapsedMs = Date.now() - (this.outageStartedAt ?? Date.now());
    const delay = this.policy.nextRetryDelayInMs({ retryCount: this.retryCount, elapsedMs });
    if (delay === null || !Number.isFinite(delay)) {
      this.emit('error', [{ code: 'gave-up', message: `stopped reconnecting to ${this.url} after ${this.retryCount} attempts (${Math.round(elapsedMs)} ms)` }]);
      return;
    }
    this.retryCount++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.shouldConnect && this.ws === null) this.open();
    }, Math.max(0, delay));
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private startPing(ws: WebSocketLike): void {
    this.stopTimers();
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      if (Date.now() - this.lastMessageAt > 2 * this.pingIntervalMs) {
        this.drop(ws, 'ping timeout');
        return;
      }
      this.send({ type: 'ping' });
    }, this.pingIntervalMs);
  }

  private stopTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }
}

function detach(ws: WebSocketLike): void {
  // onerror stays a no-op: Node's `ws` emits an 'error' event when a socket still connecting is closed, and an
  // 'error' event without a listener is an uncaught exception there.
  ws.onopen = null; ws.onmessage = null; ws.onclose = null; ws.onerror = () => {};
}

function toText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return null;
}
