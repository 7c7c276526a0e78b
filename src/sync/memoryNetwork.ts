import * as prng from 'lib0/prng';
import type { Link } from './link.js';

interface Pipe {
  from: string;
  to: string;
  queue: Uint8Array[];
  closed: boolean;
  /** The link held by `to`: incoming messages on this pipe are dispatched to its handlers. */
  receiver: MemoryLink;
}

/** Statistics of everything sent through a {@link MemoryNetwork} (counted at send time). */
export interface MemoryNetworkStats {
  /** Messages sent on open links. */
  messages: number;
  /** Total bytes of those messages. */
  bytes: number;
  /** Message count per leading varUint message type (first byte for types < 128). */
  byType: Map<number, number>;
}

class MemoryLink implements Link {
  readonly remoteId: string;
  readonly #net: MemoryNetwork;
  readonly #localId: string;
  readonly #messageHandlers = new Set<(message: Uint8Array) => void>();
  readonly #closeHandlers = new Set<() => void>();
  #closed = false;

  constructor(net: MemoryNetwork, localId: string, remoteId: string) {
    this.#net = net;
    this.#localId = localId;
    this.remoteId = remoteId;
  }

  send(message: Uint8Array): void {
    if (this.#closed) return;
    this.#net._enqueue(this.#localId, this.remoteId, message);
  }

  onMessage(handler: (message: Uint8Array) => void): () => void {
    this.#messageHandlers.add(handler);
    return () => { this.#messageHandlers.delete(handler); };
  }

  onClose(handler: () => void): () => void {
    this.#closeHandlers.add(handler);
    return () => { this.#closeHandlers.delete(handler); };
  }

  close(): void {
    this.#net.disconnect(this.#localId, this.remoteId);
  }

  get closed(): boolean { return this.#closed; }

  _dispatch(message: Uint8Array): void {
    for (const h of [...this.#messageHandlers]) h(message);
  }

  _markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of [...this.#closeHandlers]) h();
    this.#closeHandlers.clear();
    this.#messageHandlers.clear();
  }
}


/**
 * Deterministic in-memory links for simulations and tests.
 *
 * Every direction of every link is a FIFO queue. Nothing is delivered until {@link deliverOne} /
 * {@link deliverAll} is called (or, with `autoDeliver`, on the next microtask), so tests control
 * interleavings through the seeded RNG. Messages across a {@link partition} are **held** (not dropped)
 * and flow again after {@link heal}; links stay open during a partition, like a network stall.
 */
export class MemoryNetwork {
  /** Everything sent so far; reset with {@link resetStats}. */
  readonly stats: MemoryNetworkStats = { messages: 0, bytes: 0, byType: new Map() };
  readonly #pipes = new Map<string, Pipe>();
  readonly #random: () => number;
  readonly #autoDeliver: boolean;
  #partition: { a: Set<string>; b: Set<string> } | null = null;
  #flushScheduled = false;

  /** `seed` fixes the delivery order chosen by {@link deliverOne}; `autoDeliver` delivers on microtasks. */
  constructor(options: { seed?: number; autoDeliver?: boolean } = {}) {
    // lib0's seedable PRNG: the same seed gives the same delivery order, so a failing run replays exactly.
    const generator = prng.create(options.seed ?? 1);
    this.#random = () => prng.real53(generator);
    this.#autoDeliver = options.autoDeliver ?? false;
  }

  /**
   * Opens a link between `a` and `b`. Returns `[link held by a (remoteId b), link held by b (remoteId a)]`.
   * An existing a–b link is closed first.
   */
  connect(a: string, b: string): [Link, Link] {
    if (a === b) throw new Error('MemoryNetwork: cannot connect a peer to itself');
    this.disconnect(a, b);
    const linkA = new MemoryLink(this, a, b);
    const linkB = new MemoryLink(this, b, a);
    this.#pipes.set(key(a, b), { from: a, to: b, queue: [], closed: false, receiver: linkB });
    this.#pipes.set(key(b, a), { from: b, to: a, queue: [], closed: false, receiver: linkA });
    return [linkA, linkB];
  }

  /** Closes both ends of the a–b link (pending messages are lost, as with a dead data channel). */
  disconnect(a: string, b: string): void {
    const ab = this.#pipes.get(key(a, b));
    const ba = this.#pipes.get(key(b, a));
    if (!ab && !ba) return;
    this.#pipes.delete(key(a, b));
    this.#pipes.delete(key(b, a));
    for (const p of [ab, ba]) if (p) { p.closed = true; p.queue.length = 0; }
    // ba.receiver is the link held by a; ab.receiver the link held by b.
    ba?.receiver._markClosed();
    ab?.receiver._markClosed();
  }

  /** True if an open a–b link exists. */
  connected(a: string, b: string): boolean {
    return this.#pipes.has(key(a, b));
  }

  /** Holds every message between a peer of `groupA` and a peer of `groupB` until {@link heal}. */
  partition(groupA: string[], groupB: string[]): void {
    this.#partition = { a: new Set(groupA), b: new Set(groupB) };
  }

  /** Ends the partition; held messages become deliverable (in their original order). */
  heal(): void {
    this.#partition = null;
    this.#scheduleFlush();
  }

  /** Number of messages waiting (deliverable or held). */
  pending(): number {
    let n = 0;
    for (const p of this.#pipes.values()) n += p.queue.length;
    return n;
  }

  /** Delivers one message from a randomly chosen (seeded) non-empty, non-held queue. False if none. */
  deliverOne(): boolean {
    const ready: Pipe[] = [];
    for (const p of this.#pipes.values()) if (p.queue.length > 0 && !this.#held(p)) ready.push(p);
    if (ready.length === 0) return false;
    const pipe = ready[Math.floor(this.#random() * ready.length)] ?? ready[0]!;
    const message = pipe.queue.shift()!;
    pipe.receiver._dispatch(message);
    return true;
  }

  /** Delivers until nothing deliverable is left or `maxSteps` (default 1e6) were delivered; returns the count. */
  deliverAll(maxSteps = 1_000_000): number {
    let n = 0;
    while (n < maxSteps && this.deliverOne()) n++;
    return n;
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    this.stats.messages = 0;
    this.stats.bytes = 0;
    this.stats.byType.clear();
  }

  /** @internal called by links. */
  _enqueue(from: string, to: string, message: Uint8Array): void {
    const pipe = this.#pipes.get(key(from, to));
    if (!pipe || pipe.closed) return;
    this.stats.messages++;
    this.stats.bytes += message.byteLength;
    const type = leadingVarUint(message);
    this.stats.byType.set(type, (this.stats.byType.get(type) ?? 0) + 1);
    // Copy: the sender may reuse its buffer, a real channel would have serialised it already.
    pipe.queue.push(message.slice());
    this.#scheduleFlush();
  }

  #held(p: Pipe): boolean {
    const part = this.#partition;
    if (!part) return false;
    return (part.a.has(p.from) && part.b.has(p.to)) || (part.b.has(p.from) && part.a.has(p.to));
  }

  #scheduleFlush(): void {
    if (!this.#autoDeliver || this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.deliverAll();
    });
  }
}

function key(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function leadingVarUint(message: Uint8Array): number {
  let num = 0;
  let mult = 1;
  for (let i = 0; i < message.length && i < 8; i++) {
    const b = message[i]!;
    num += (b & 0x7f) * mult;
    if (b < 0x80) return num;
    mult *= 128;
  }
  return -1;
}
