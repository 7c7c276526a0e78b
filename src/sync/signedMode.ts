/**
 * The router's signed mode: every routed message and topology entry carries its origin's key and signature, checked
 * before it is applied or forwarded; links reach the router only after a {@link LinkHello}. Kept apart from the
 * router so that unsigned mode runs exactly the code it always ran.
 */
import { MESSAGE_ROUTED, MESSAGE_SIGNED_ROUTED, MESSAGE_SIGNED_TOPOLOGY, MESSAGE_TOPOLOGY } from '../protocol/messageTypes.js';
import {
  decodeSignedRouted, decodeSignedTopology, encodeSignedRouted, encodeSignedTopology, routedSigningBytes, topologySigningBytes,
} from '../protocol/signedMessages.js';
import { readMessageType, type RoutedEnvelope, type TopologyMessage } from '../protocol/syncMessages.js';
import { SerialQueue, SignatureVerifier, type AuthFailure, type AuthFailureReason, type EnvelopeAuth } from './envelopeAuth.js';
import type { Link } from './link.js';
import { LinkHello } from './linkHello.js';

/** What signed mode needs of the router. */
export interface SignedModeHost {
  /** Applies a verified routed envelope: dedupe, handler, forward `message` unchanged. Throws DropError to drop. */
  acceptRouted(from: string, envelope: RoutedEnvelope, message: Uint8Array): void;
  /** Applies a verified topology entry; returns whether it was newer (and so stored and flooded). */
  acceptTopology(from: string, topology: TopologyMessage, message: Uint8Array): boolean;
  /** Runs the direct handler of a message that needs no signature check. */
  dispatch(from: string, message: Uint8Array): void;
  /** Whether (origin, seq) was already accepted. */
  seen(origin: string, seq: number): boolean;
  /** Highest topology version known for `origin` (our own current one for us), or -1. */
  topologyVersion(origin: string): number;
  /** Sends a message to every neighbour. */
  broadcast(message: Uint8Array): void;
  /** Hands an authenticated link to the router. */
  attach(link: Link): void;
  /** Reports a dropped message. */
  drop(from: string, reason: string, code?: AuthFailureReason): void;
}

/** See the module comment. One per router in signed mode. */
export class SignedMode {
  readonly auth: EnvelopeAuth;
  readonly #host: SignedModeHost;
  readonly #onFailure: ((failure: AuthFailure) => void) | undefined;
  readonly #verifier = new SignatureVerifier();
  readonly #outgoing: SerialQueue;
  readonly #queues = new Set<SerialQueue>();
  readonly #hellos = new Map<string, LinkHello>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #reported = new Set<string>();
  /** Latest accepted signed TOPOLOGY of every other origin: what a new neighbour is sent. */
  readonly #topology = new Map<string, Uint8Array>();
  readonly #retainedTypes = new Set<number>();
  /** Latest signed envelope per origin and retained inner type: re-sent unchanged (we cannot re-sign for others). */
  readonly #retained = new Map<string, Map<number, { seq: number; bytes: Uint8Array }>>();

  constructor(auth: EnvelopeAuth, host: SignedModeHost, onFailure?: (failure: AuthFailure) => void) {
    this.auth = auth;
    this.#host = host;
    this.#onFailure = onFailure;
    this.#outgoing = new SerialQueue((err) => host.drop(auth.peerId, `could not sign an outgoing message: ${String(err)}`));
  }

  /** Starts the hello on a new link; the router gets it once both sides proved their ids. */
  handshake(link: Link): void {
    this.cancelHandshake(link.remoteId);
    const hello: LinkHello = new LinkHello(link, {
      auth: this.auth, verifier: this.#verifier, track: (p) => this.#track(p),
      done: (outcome) => {
        if (this.#hellos.get(link.remoteId) === hello) this.#hellos.delete(link.remoteId);
        if (outcome.ok) this.#host.attach(outcome.link);
        else if (outcome.reason !== 'closed') this.#fail(link.remoteId, outcome.reason, outcome.detail, 'hello');
      },
    });
    this.#hellos.set(link.remoteId, hello);
  }

  /** Abandons a hello still running for `remoteId` (the link was replaced or removed). */
  cancelHandshake(remoteId: string): void {
    const hello = this.#hellos.get(remoteId);
    this.#hellos.delete(remoteId);
    hello?.cancel();
  }

  /** A FIFO for one link's incoming messages (errors are reported as drops from `from`). */
  linkQueue(from: string): SerialQueue {
    const queue = new SerialQueue((err) => this.#host.drop(from, err instanceof Error ? err.message : String(err)));
    this.#queues.add(queue);
    return queue;
  }

  /** Forgets a link's queue (tasks already in it still run). */
  releaseQueue(queue: SerialQueue): void {
    this.#queues.delete(queue);
  }

  /** Handles one incoming message of an authenticated link, in the link's order. */
  receive(queue: SerialQueue, from: string, message: Uint8Array): void {
    const type = readMessageType(message);
    if (type === MESSAGE_ROUTED || type === MESSAGE_TOPOLOGY) {
      this.#fail(from, 'unsigned', `an unsigned ${type === MESSAGE_ROUTED ? 'routed' : 'topology'} message`);
    } else if (type === MESSAGE_SIGNED_ROUTED) {
      const decoded = decodeSignedRouted(message);
      if (!decoded.ok) return this.#fail(from, 'malformed', decoded.reason);
      const envelope = decoded.value;
      // Already accepted: no crypto. (Marked seen only once verified, so a forgery cannot pre-empt a real seq.)
      if (envelope.origin === this.auth.peerId || this.#host.seen(envelope.origin, envelope.seq)) return;
      const verdict = this.#track(this.#verifier.verify(envelope.origin, envelope.publicKey, envelope.signature, routedSigningBytes(this.auth.context, envelope)));
      queue.push(async () => {
        const result = await verdict;
        if (result !== 'ok') return this.#fail(from, result, `routed message of ${envelope.origin} (seq ${envelope.seq})`);
        if (this.auth.admits?.(envelope.origin) === false) return this.#fail(envelope.origin, 'not-admitted', `routed message (seq ${envelope.seq}) via ${from}`);
        this.#host.acceptRouted(from, envelope, message);
        this.#retain(envelope, message);
      });
    } else if (type === MESSAGE_SIGNED_TOPOLOGY) {
      const decoded = decodeSignedTopology(message);
      if (!decoded.ok) return this.#fail(from, 'malformed', decoded.reason);
      const topology = decoded.value;
      // Not newer (our own entry echoed back by every neighbour, too): no crypto.
      if (topology.version <= this.#host.topologyVersion(topology.origin)) return;
      const verdict = this.#track(this.#verifier.verify(topology.origin, topology.publicKey, topology.signature, topologySigningBytes(this.auth.context, topology)));
      queue.push(async () => {
        const result = await verdict;
        if (result !== 'ok') return this.#fail(from, result, `topology of ${topology.origin} (version ${topology.version})`);
        if (this.auth.admits?.(topology.origin) === false) return this.#fail(topology.origin, 'not-admitted', `topology (version ${topology.version}) via ${from}`);
        if (this.#host.acceptTopology(from, topology, message) && topology.origin !== this.auth.peerId) this.#topology.set(topology.origin, message);
      });
    } else {
      queue.push(() => this.#host.dispatch(from, message));
    }
  }

  /** Signs and sends a routed message of ours; sends keep the order of the calls. */
  originate(envelope: RoutedEnvelope): void {
    const signature = this.#track(this.auth.sign(routedSigningBytes(this.auth.context, envelope)));
    this.#outgoing.push(async () => {
      const message = encodeSignedRouted({ ...envelope, publicKey: this.auth.publicKey, signature: await signature });
      this.#retain(envelope, message);
      // Every neighbour is our child in our own tree (see Router.originate): to every current link.
      this.#host.broadcast(message);
    });
  }

  /** Signs and floods our own topology entry (in order with our routed messages). */
  sendOwnTopology(topology: TopologyMessage): void {
    const signature = this.#track(this.auth.sign(topologySigningBytes(this.auth.context, topology)));
    this.#outgoing.push(async () => {
      this.#host.broadcast(encodeSignedTopology({ ...topology, publicKey: this.auth.publicKey, signature: await signature }));
    });
  }

  /** The signed topology entries of every other origin, for a new neighbour. */
  topologyMessages(): Uint8Array[] {
    return [...this.#topology.values()];
  }

  /** Keeps the latest signed envelope of each origin for routed `type`, so {@link retained} can re-send it. */
  retainType(type: number): void {
    this.#retainedTypes.add(type);
  }

  /** The signed envelope (origin, seq) of a retained type, if it is the latest one kept. */
  retained(origin: string, seq: number, type: number): Uint8Array | undefined {
    const kept = this.#retained.get(origin)?.get(type);
    return kept?.seq === seq ? kept.bytes : undefined;
  }

  /** Forgets what was retained of an origin that is gone. */
  forget(origin: string): void {
    this.#retained.delete(origin);
  }

  /** Resolves when no signature is being made or checked and every queue ran dry. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#queues, this.#outgoing].filter((q) => q.busy);
      if (busy.length === 0 && this.#inflight.size === 0) return;
      await Promise.allSettled([...this.#inflight, ...busy.map((q) => q.idle())]);
    }
  }

  /** Stops hellos; signed messages already queued still go out (the leave awareness state is one of them). */
  destroy(): void {
    for (const id of [...this.#hellos.keys()]) this.cancelHandshake(id);
  }

  /** Resolves once everything queued for sending went out. */
  outgoingIdle(): Promise<void> {
    return this.#outgoing.idle();
  }

  #retain(envelope: RoutedEnvelope, message: Uint8Array): void {
    const type = readMessageType(envelope.inner);
    if (type === undefined || !this.#retainedTypes.has(type)) return;
    let byType = this.#retained.get(envelope.origin);
    if (byType === undefined) this.#retained.set(envelope.origin, byType = new Map());
    if ((byType.get(type)?.seq ?? -1) < envelope.seq) byType.set(type, { seq: envelope.seq, bytes: message });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    const settle = (): void => { this.#inflight.delete(promise); };
    promise.then(settle, settle);
    return promise;
  }

  #fail(peer: string, reason: AuthFailureReason, detail: string, stage: AuthFailure['stage'] = 'message'): void {
    // Once per offender and reason: a hostile peer must not turn our reporting into its amplifier.
    const key = `${peer}\u0000${reason}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#host.drop(peer, `${reason}: ${detail}`, reason);
    try {
      this.#onFailure?.({ peer, reason, detail, stage });
    } catch {
      // an observer's bug must not break the link
    }
  }
}
