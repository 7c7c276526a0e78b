import * as awarenessProtocol from 'y-protocols/awareness';
import { decodeAwarenessMessage, encodeAwarenessMessage } from '../protocol/awarenessMessages.js';
import { MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS } from '../protocol/messageTypes.js';
import type { Link } from './link.js';
import { DropError, type RoutedMeta, type Router, type RouterFamily } from './router.js';

const QUERY_AWARENESS = Uint8Array.of(MESSAGE_QUERY_AWARENESS);

/**
 * The awareness message family: the local state goes out routed like doc updates, throttled (changes within the
 * interval are coalesced); a new neighbour gets a snapshot of every origin's latest state; the states of peers that
 * became unreachable are removed at once.
 */
export class AwarenessSync implements RouterFamily {
  readonly awareness: awarenessProtocol.Awareness;
  readonly #router: Router;
  readonly #throttleMs: number;
  /** Awareness clients announced by each origin, and the seq of its latest awareness message. */
  readonly #owners = new Map<string, { seq: number; clients: Set<number> }>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastSent = -Infinity;
  #destroyed = false;

  constructor(awareness: awarenessProtocol.Awareness, router: Router, throttleMs: number) {
    this.awareness = awareness;
    this.#router = router;
    this.#throttleMs = throttleMs;
    router.handleRouted(MESSAGE_AWARENESS, (inner, meta) => this.#onRouted(inner, meta));
    router.handleDirect(MESSAGE_QUERY_AWARENESS, (from, message) => {
      if (message.length !== 1) throw new DropError('query awareness: trailing bytes');
      const link = router.link(from);
      if (link) this.#sendSnapshot(link);
    });
    router.addFamily(this);
    // Signed mode cannot re-sign others' states for a snapshot: the router keeps each origin's latest signed one.
    router.retainLatest(MESSAGE_AWARENESS);
    awareness.on('update', this.#onUpdate);
    // A state set before the engine existed never fired 'update' here: register it so snapshots carry it.
    if (awareness.getLocalState() !== null) this.#sendLocal();
  }

  linkAdded(link: Link): void {
    this.#sendSnapshot(link);
  }

  maintain({ grew, gone }: { grew: boolean; gone: string[] }): void {
    for (const peer of gone) this.#forget(peer);
    if (!grew) return;
    // Newly reachable peers may lack states we know, and we may lack theirs: push ours, ask for theirs.
    for (const link of this.#router.links()) {
      this.#sendSnapshot(link);
      link.send(QUERY_AWARENESS);
    }
  }

  /** Stops listening; a throttled local change (typically the "I left" null state) still goes out first. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.awareness.off('update', this.#onUpdate);
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#sendLocal();
    }
  }

  readonly #onUpdate = (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void => {
    if (origin === this) return;
    const me = this.awareness.clientID;
    if (!change.added.includes(me) && !change.updated.includes(me) && !change.removed.includes(me)) return;
    if (this.#destroyed || this.#timer) return;
    const wait = this.#lastSent + this.#throttleMs - Date.now();
    if (this.#throttleMs <= 0 || wait <= 0) {
      this.#sendLocal();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#destroyed) this.#sendLocal();
    }, wait);
  };

  #sendLocal(): void {
    this.#lastSent = Date.now();
    const me = this.awareness.clientID;
    const seq = this.#router.originate(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [me])));
    this.#owners.set(this.#router.peerId, { seq, clients: new Set([me]) });
  }

  /** One routed awareness message per known origin, with the origin's latest seq (receivers that saw it drop it). */
  #sendSnapshot(link: Link): void {
    for (const [origin, owner] of this.#owners) {
      const clients = [...owner.clients].filter((c) => this.awareness.meta.has(c));
      if (clients.length === 0) continue;
      const inner = encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
      this.#router.sendRouted(link, origin, owner.seq, inner);
    }
  }

  #onRouted(inner: Uint8Array, { origin, seq }: RoutedMeta): 'forward' {
    const decoded = decodeAwarenessMessage(inner);
    if (!decoded.ok) throw new DropError(`routed ${decoded.reason}`);
    const { update, clients } = decoded.value;
    if (clients.includes(this.awareness.clientID)) throw new DropError('routed awareness: claims our own client id');
    // Signed mode knows the origin for sure: an awareness client belongs to the first origin that announced it, so
    // a peer cannot overwrite (or erase) another's presence. Unsigned origins are claims, so unsigned mode cannot tell.
    if (this.#router.signed && clients.some((c) => this.#ownerOf(c, origin))) throw new DropError(`routed awareness: ${origin} claims another peer's client id`);
    // Owners first: listeners of the awareness change ask whose state it is (originOf) while it is being applied.
    const owner = this.#owners.get(origin) ?? { seq, clients: new Set<number>() };
    owner.seq = Math.max(owner.seq, seq);
    for (const c of clients) owner.clients.add(c);
    this.#owners.set(origin, owner);
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, this);
    } catch (err) {
      throw new DropError(`routed awareness: failed to apply (${String(err)})`);
    }
    return 'forward';
  }

  /** The origin (peer id) that announced awareness client `clientId`, or undefined (our own client, or unknown). */
  originOf(clientId: number): string | undefined {
    for (const [origin, { clients }] of this.#owners) if (clients.has(clientId)) return origin;
    return undefined;
  }

  /** Whether client `c` is announced by an origin other than `origin`. */
  #ownerOf(c: number, origin: string): boolean {
    for (const [owner, { clients }] of this.#owners) if (owner !== origin && clients.has(c)) return true;
    return false;
  }

  #forget(peer: string): void {
    const owner = this.#owners.get(peer);
    this.#owners.delete(peer);
    if (!owner) return;
    const clients = [...owner.clients].filter((c) => this.awareness.states.has(c));
    if (clients.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, clients, this);
    // Without its clock, the same state re-sent when the peer is reachable again is accepted (same clock would
    // otherwise be ignored by applyAwarenessUpdate).
    for (const c of owner.clients) if (c !== this.awareness.clientID) this.awareness.meta.delete(c);
  }
}
