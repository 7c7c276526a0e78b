import type { PeerConnection } from '../transport/peerConnection.js';
import type { SignalingClient } from '../transport/signalingClient.js';

/** A connection younger than this is still negotiating, not stale. */
const STALE_NEGOTIATION_MS = 3000;
/** Recovery replaces the connection to one peer at most this often: it must never become a redial loop. */
const REPLACE_COOLDOWN_MS = 5000;

/**
 * States in which a connection waits on signals that may be lost: `new` (no answer yet), or `failed`/`disconnected`
 * (an ICE restart's offer). `connecting` means the other side answered and ICE is checking: leave it be.
 */
function waitsOnSignals(connection: PeerConnection): boolean {
  const state = connection.connectionState;
  return state === 'new' || state === 'failed' || state === 'disconnected';
}

/** What {@link NetworkRecovery} needs of its provider. */
export interface RecoveryHost {
  connection(peerId: string): PeerConnection | undefined;
  signalingClients(): readonly SignalingClient[];
  /** Drops pending redial timers and redials every wanted peer that has no connection, now. */
  redialNow(): void;
  log?: (reason: string) => void;
}

/**
 * Gets a room going again fast after a network cut, instead of waiting out backoffs and connect timeouts:
 * - the browser's `online` event reconnects relay sockets now (after a real `offline`, without first probing a socket
 *   that only looks open) and redials wanted peers;
 * - a negotiation whose signals were sent while every relay was down (the relay does not queue) starts over when a
 *   relay is back: a connection that is not up is replaced, one whose ICE came back on its own offers again;
 * - a known peer that announces itself to the whole room has just (re)connected to a relay, so what we signalled it
 *   meanwhile is lost: a connection to it that is neither up nor freshly opened is replaced.
 */
export class NetworkRecovery {
  readonly #host: RecoveryHost;
  /**
   * Connections that sent a signal while no relay was connected. Per connection, not per peer: a connection opened
   * since (e.g. answering the peer's new session) did not lose anything and must be left alone.
   */
  readonly #lostSignals = new Set<PeerConnection>();
  readonly #openedAt = new WeakMap<PeerConnection, number>();
  /** When recovery last replaced the connection to each peer. */
  readonly #replacedAt = new Map<string, number>();
  #wentOffline = false;
  #listening = false;

  constructor(host: RecoveryHost) {
    this.#host = host;
  }

  /** Starts listening to the browser's `online` / `offline` events (a no-op where there are none, e.g. Node). */
  listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    globalThis.addEventListener?.('online', this.#onOnline);
    globalThis.addEventListener?.('offline', this.#onOffline);
  }

  /** Stops listening. */
  stop(): void {
    this.#listening = false;
    globalThis.removeEventListener?.('online', this.#onOnline);
    globalThis.removeEventListener?.('offline', this.#onOffline);
  }

  /** A connection to `peerId` was opened. */
  opened(connection: PeerConnection): void {
    this.#openedAt.set(connection, Date.now());
  }

  /** `connection` sent a signal; `delivered` is false when no relay was connected to carry it. */
  signalled(connection: PeerConnection, delivered: boolean): void {
    if (!delivered) this.#lostSignals.add(connection);
  }

  /** The data link of `connection` is open: nothing of its negotiation is missing any more. */
  linked(connection: PeerConnection): void {
    this.#lostSignals.delete(connection);
  }

  /** See {@link PeerclassProvider.networkChanged}. */
  networkChanged(): void {
    const probe = !this.#wentOffline;
    this.#wentOffline = false;
    for (const client of this.#host.signalingClients()) client.reconnectNow({ probe });
    this.#host.redialNow();
  }

  /** A relay connection is (back) up. */
  relayConnected(): void {
    if (this.#lostSignals.size === 0) return;
    const lost = [...this.#lostSignals];
    this.#lostSignals.clear();
    for (const connection of lost) {
      if (connection.closed || this.#host.connection(connection.remoteId) !== connection) continue;
      if (connection.connectionState === 'connected') void connection.retryNegotiation();
      else if (waitsOnSignals(connection)) this.#replace(connection);
    }
    this.#host.redialNow();
  }

  /** `peerId` announced itself; `broadcast` when to the whole room (it just joined or reconnected to a relay). */
  announced(peerId: string, broadcast: boolean): void {
    if (!broadcast) return;
    const connection = this.#host.connection(peerId);
    if (connection === undefined || !waitsOnSignals(connection)) return;
    // Several relays deliver the same announce moments apart, and a fresh connection may be answering this one.
    if (Date.now() - (this.#openedAt.get(connection) ?? 0) < STALE_NEGOTIATION_MS) return;
    this.#host.log?.(`${peerId} re-announced while our connection to it was ${connection.connectionState}: redialling`);
    if (this.#replace(connection)) queueMicrotask(() => this.#host.redialNow());
  }

  /** Closes a stale connection so it is redialled, unless this peer's connection was replaced moments ago. */
  #replace(connection: PeerConnection): boolean {
    const now = Date.now();
    if (now - (this.#replacedAt.get(connection.remoteId) ?? -Infinity) < REPLACE_COOLDOWN_MS) return false;
    this.#replacedAt.set(connection.remoteId, now);
    connection.close();
    return true;
  }

  readonly #onOnline = (): void => this.networkChanged();
  readonly #onOffline = (): void => { this.#wentOffline = true; };
}
