/**
 * Link authentication for signed mode: before a link reaches the router, both sides prove they hold the key of the
 * peer id the link claims. Each side sends a random 16-byte nonce; the other answers with its id, public key and a
 * signature over (hello domain ‖ context ‖ signer ‖ receiver ‖ nonce). So direct messages (sync step 1/2, awareness
 * queries) come from whom the link says, and a captured answer is worthless on another link or in another class.
 */
import { MESSAGE_LINK_HELLO } from '../protocol/messageTypes.js';
import { decodeLinkHello, encodeLinkHello, HELLO_NONCE_BYTES, helloSigningBytes } from '../protocol/signedMessages.js';
import { readMessageType } from '../protocol/syncMessages.js';
import type { AuthFailureReason, EnvelopeAuth, SignatureVerifier } from './envelopeAuth.js';
import type { Link } from './link.js';

/** Default time a link gets to finish its hello before it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/** Messages a peer may send before its hello is verified (it should send none: it waits for ours). */
const MAX_EARLY_MESSAGES = 1024;

/** How a hello ended: the authenticated link, a refusal (the link was closed), or the link closed by itself. */
export type HelloOutcome =
  | { ok: true; link: Link }
  | { ok: false; reason: AuthFailureReason; detail: string }
  | { ok: false; reason: 'closed'; detail: string };

/** Options of {@link LinkHello}. */
export interface LinkHelloOptions {
  auth: EnvelopeAuth;
  verifier: SignatureVerifier;
  /** Called once with the outcome. */
  done: (outcome: HelloOutcome) => void;
  /** Default {@link HELLO_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Wraps each signing / verifying promise (so the owner can tell when no crypto is in flight). */
  track?: <T>(promise: Promise<T>) => Promise<T>;
}

/**
 * One link's challenge–response. Messages that arrive after the remote finished (it may finish first) are held and
 * delivered, in order, by the authenticated link once the router listens to it.
 */
export class LinkHello {
  readonly #raw: Link;
  readonly #options: LinkHelloOptions;
  readonly #nonce = globalThis.crypto.getRandomValues(new Uint8Array(HELLO_NONCE_BYTES));
  readonly #early: Uint8Array[] = [];
  readonly #unsubscribe: Array<() => void>;
  #answered = false;
  #answerSent = false;
  #verified = false;
  #finished = false;
  #timer: ReturnType<typeof setTimeout>;

  /** Starts the hello on `link` at once (sends our challenge). */
  constructor(link: Link, options: LinkHelloOptions) {
    this.#raw = link;
    this.#options = options;
    this.#unsubscribe = [
      link.onMessage((message) => this.#receive(message)),
      link.onClose(() => this.#finish({ ok: false, reason: 'closed', detail: 'link closed during hello' })),
    ];
    this.#timer = setTimeout(() => this.#fail('hello-timeout', 'no valid hello in time'), options.timeoutMs ?? HELLO_TIMEOUT_MS);
    link.send(encodeLinkHello({ kind: 'challenge', nonce: this.#nonce }));
  }

  /** Stops without closing the link (it was replaced or removed). */
  cancel(): void {
    this.#finish({ ok: false, reason: 'closed', detail: 'hello cancelled' }, false);
  }

  #receive(message: Uint8Array): void {
    if (this.#finished) return;
    if (readMessageType(message) !== MESSAGE_LINK_HELLO) {
      if (this.#early.length >= MAX_EARLY_MESSAGES) this.#fail('malformed', 'too many messages before the hello');
      else this.#early.push(message);
      return;
    }
    const decoded = decodeLinkHello(message);
    if (!decoded.ok) return this.#fail('malformed', decoded.reason);
    const hello = decoded.value;
    const { auth, verifier } = this.#options;
    if (hello.kind === 'challenge') {
      if (this.#answered) return this.#fail('malformed', 'second challenge');
      this.#answered = true;
      void this.#track(auth.sign(helloSigningBytes(auth.context, auth.peerId, this.#raw.remoteId, hello.nonce))).then((signature) => {
        if (this.#finished) return;
        this.#raw.send(encodeLinkHello({ kind: 'response', peerId: auth.peerId, publicKey: auth.publicKey, signature }));
        this.#answerSent = true;
        this.#maybeDone();
      }, (err: unknown) => this.#fail('malformed', `could not sign our hello: ${String(err)}`));
      return;
    }
    if (hello.peerId !== this.#raw.remoteId) return this.#fail('wrong-peer', `hello from ${hello.peerId} on the link to ${this.#raw.remoteId}`);
    if (this.#verified) return this.#fail('malformed', 'second hello answer');
    const bytes = helloSigningBytes(auth.context, hello.peerId, auth.peerId, this.#nonce);
    void this.#track(verifier.verify(hello.peerId, hello.publicKey, hello.signature, bytes)).then((verdict) => {
      if (this.#finished) return;
      if (verdict !== 'ok') return this.#fail(verdict, `hello answer of ${hello.peerId}`);
      this.#verified = true;
      this.#maybeDone();
    });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    return this.#options.track?.(promise) ?? promise;
  }

  #maybeDone(): void {
    if (!this.#verified || !this.#answerSent) return;
    this.#finish({ ok: true, link: new AuthenticatedLink(this.#raw, this.#early.splice(0)) });
  }

  #fail(reason: AuthFailureReason, detail: string): void {
    this.#finish({ ok: false, reason, detail }, true);
  }

  #finish(outcome: HelloOutcome, close = false): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    for (const u of this.#unsubscribe) u();
    if (close) this.#raw.close();
    this.#options.done(outcome);
  }
}

/** A link whose remote proved its id; replays what arrived during the hello to its first listener. */
class AuthenticatedLink implements Link {
  readonly remoteId: string;
  readonly #raw: Link;
  #early: Uint8Array[];

  constructor(raw: Link, early: Uint8Array[]) {
    this.#raw = raw;
    this.remoteId = raw.remoteId;
    this.#early = early;
  }

  send(message: Uint8Array): void { this.#raw.send(message); }

  onMessage(handler: (message: Uint8Array) => void): () => void {
    let held: Uint8Array[] | null = this.#early.length > 0 ? this.#early : null;
    this.#early = [];
    let live = true;
    // Held messages go first, and anything arriving meanwhile queues behind them, so the link stays FIFO.
    const unsubscribe = this.#raw.onMessage((m) => { if (held !== null) held.push(m); else handler(m); });
    // Later, not now: the router subscribes before its families know the link; they must see these messages.
    if (held !== null) {
      queueMicrotask(() => {
        while (live && held !== null && held.length > 0) handler(held.shift()!);
        held = null;
      });
    }
    return () => { live = false; unsubscribe(); };
  }

  onClose(handler: () => void): () => void { return this.#raw.onClose(handler); }

  close(): void { this.#raw.close(); }
}
