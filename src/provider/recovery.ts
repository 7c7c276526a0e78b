import type { PeerConnection } from '../transport/peerConnection.js';
import type { SignalingClient } from '../transport/signalingClient.js';

/** A connection younger than this is still negotiating, not stale. */
const STALE_NEGOTIATION_MS = 3000;

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
      else connection.close();
    }
    this.#host.redialNow();
  }

  /** `peerId` announced itself; `broadcast` when to the whole room (it just joined or reconnected to a relay). */
  announced(peerId: string, broadcast: boolean): void {
    if (!broadcast) return;
    const connection = this.#host.connection(peerId);
    if (connection === undefined || connection.connectionState === 'connected') return;
    // Several relays deliver the same announce moments apart, and a fresh connection may be answering this one.
    if (Date.now() - (this.#openedAt.get(connection) ?? 0) < STALE_NEGOTIATION_MS) return;
    this.#host.log?.(`${peerId} re-announced while our connection to it was ${connection.connectionState}: redialling`);
    connection.close();
    queueMicrotask(() => this.#host.redialNow());
  }

  readonly #onOnline = (): void => this.networkChanged();
  readonly #onOffline = (): void => { this.#wentOffline = true; };
}
