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
  /** Peer id per awareness client. */
  readonly #clientPeers = new Map<number, string>();
  #own: Presence;
  #closed = false;

  constructor(awareness: Awareness, own: Presence, hooks: { onChange: () => void; onGone: (peerId: string) => void }) {
    this.#awareness = awareness;
    this.#own = own;
    this.#onChange = hooks.onChange;
    this.#onGone = hooks.onGone;
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
    for (const state of this.#awareness.getStates().values()) {
      const p = decodePresence(state);
      if (p?.peerId === peerId) return p;
    }
    return null;
  }

  /** Every peer's presence (this peer's included) by peer id. */
  all(): Map<string, Presence> {
    const out = new Map<string, Presence>();
    for (const state of this.#awareness.getStates().values()) {
      const p = decodePresence(state);
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
      const peerId = decodePresence(states.get(clientId))?.peerId;
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

  /** Whether `peerId` has an awareness state now. */
  present(peerId: string): boolean {
    return [...this.#clientPeers.values()].includes(peerId);
  }
}
