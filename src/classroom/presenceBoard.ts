import type { Awareness } from 'y-protocols/awareness';
import { decodePresence, PRESENCE_FIELD, type Presence } from '../protocol/presence.js';

/**
 * Every peer's presence (name, hand, screen stream) as kept in awareness, and this peer's own.
 *
 * Remembers which peer each awareness client belongs to, so a removed state can still be attributed: the
 * `onGone` callback hears of a peer whose last awareness client went away (it left, or became unreachable).
 */
export class PresenceBoard {
  readonly #awareness: Awareness;
  readonly #onChange: () => void;
  readonly #onGone: (peerId: string) => void;
  readonly #originOf: ((clientId: number) => string | undefined) | undefined;
  /** Peer id per awareness client. */
  readonly #clientPeers = new Map<number, string>();
  #own: Presence;
  #closed = false;

  /**
   * @param hooks.originOf - the peer that sent an awareness client's state (the network's routing origin, verified in
   *   signed mode). A presence naming another peer id than its sender's is ignored: otherwise a student could add a
   *   second awareness state speaking as the teacher (its lecture feeds, its hand, its screen stream).
   */
  constructor(awareness: Awareness, own: Presence, hooks: { onChange: () => void; onGone: (peerId: string) => void; originOf?: (clientId: number) => string | undefined }) {
    this.#awareness = awareness;
    this.#own = own;
    this.#onChange = hooks.onChange;
    this.#onGone = hooks.onGone;
    this.#originOf = hooks.originOf;
    awareness.on('change', this.#onAwarenessChange);
    awareness.setLocalStateField(PRESENCE_FIELD, own);
  }

  /** This peer's presence. */
  get own(): Presence {
    return this.#own;
  }

  /** Changes fields of this peer's presence and tells the class. */
  update(change: Partial<Omit<Presence, 'peerId'>>): void {
    this.#own = { ...this.#own, ...change };
    if (!this.#closed) this.#awareness.setLocalStateField(PRESENCE_FIELD, this.#own);
  }

  /** The presence of `peerId`, or null. */
  of(peerId: string): Presence | null {
    for (const [clientId, state] of this.#awareness.getStates()) {
      const p = this.#decode(clientId, state);
      if (p?.peerId === peerId) return p;
    }
    return null;
  }

  /** Every peer's presence (this peer's included) by peer id. */
  all(): Map<string, Presence> {
    const out = new Map<string, Presence>();
    for (const [clientId, state] of this.#awareness.getStates()) {
      const p = this.#decode(clientId, state);
      if (p !== null) out.set(p.peerId, p);
    }
    return out;
  }

  /** Stops listening. */
  close(): void {
    this.#closed = true;
    this.#awareness.off('change', this.#onAwarenessChange);
  }

  readonly #onAwarenessChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const states = this.#awareness.getStates();
    for (const clientId of [...added, ...updated]) {
      const peerId = this.#decode(clientId, states.get(clientId))?.peerId;
      if (peerId === undefined) continue;
      this.#clientPeers.set(clientId, peerId);
    }
    for (const clientId of removed) {
      const peerId = this.#clientPeers.get(clientId);
      this.#clientPeers.delete(clientId);
      if (peerId === undefined || peerId === this.#own.peerId) continue;
      // Another client of the same peer id (a reload) may already be present.
      if (![...this.#clientPeers.values()].includes(peerId)) this.#onGone(peerId);
    }
    this.#onChange();
  };

  /** A client's presence, or null when malformed or when it names another peer than the one that sent it. */
  #decode(clientId: number, state: unknown): Presence | null {
    const p = decodePresence(state);
    if (p === null || this.#originOf === undefined || clientId === this.#awareness.clientID) return p;
    const origin = this.#originOf(clientId);
    return origin === undefined || origin === p.peerId ? p : null;
  }

  /** Whether `peerId` has an awareness state now. */
  present(peerId: string): boolean {
    return [...this.#clientPeers.values()].includes(peerId);
  }
}
