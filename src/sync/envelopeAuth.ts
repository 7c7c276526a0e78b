/**
 * Signed mode's shared pieces: who signs ({@link EnvelopeAuth}), how signatures are checked against key-derived peer
 * ids ({@link SignatureVerifier}), the typed reasons a signed message is refused, and the FIFO that keeps a link's
 * messages in arrival order although WebCrypto is asynchronous ({@link SerialQueue}).
 */
import { importRawPublicKey, peerIdFromPublicKey, verifyBytes } from '../identity/keys.js';

/**
 * What the sync engine needs to run in signed mode: this peer's key-derived id, its raw public key, a signer, and the
 * context (class binding) that is part of every signed byte string, so a message signed in one class never verifies
 * in another. A `PeerIdentity` plus a context string is one.
 */
export interface EnvelopeAuth {
  /** This peer's id; must equal `peerIdFromPublicKey(publicKey)`. */
  readonly peerId: string;
  /** Raw uncompressed P-256 public key (65 bytes). */
  readonly publicKey: Uint8Array;
  /** Signs bytes (ECDSA P-256 / SHA-256, 64-byte P1363 signature). */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
  /** Class binding, e.g. the class id: part of every signed byte string. */
  readonly context: string;
  /**
   * Whether a (verified) origin takes part in the class; routed and topology messages of others are dropped as
   * `not-admitted` (a removed student's messages forwarded by a peer that has not heard of the removal yet).
   * Default: everyone.
   */
  admits?(peerId: string): boolean;
}

/** Why signed mode refused a message or a link. */
export type AuthFailureReason =
  /** An unsigned ROUTED / TOPOLOGY message arrived in signed mode. */
  | 'unsigned'
  /** The signature does not verify for the carried key. */
  | 'bad-signature'
  /** The carried key does not hash to the claimed peer id (or is no P-256 point). */
  | 'key-mismatch'
  /** A signed message or hello that does not decode. */
  | 'malformed'
  /** A link hello names another peer than the link is for. */
  | 'wrong-peer'
  /** A link did not finish its hello in time. */
  | 'hello-timeout'
  /** A verified message from a peer that is not admitted (see {@link EnvelopeAuth.admits}). */
  | 'not-admitted';

/** A refused message or link, reported once per offending neighbour and reason. */
export interface AuthFailure {
  /**
   * The neighbour it came from: for a message, the offender (honest neighbours forward only verified messages); for
   * a hello, only the id the link claimed (unproven: an impostor may have used someone else's id).
   */
  peer: string;
  reason: AuthFailureReason;
  /** Human-readable detail (which origin, which message). */
  detail: string;
  /** Whether it was a message or the link hello (the link was closed). */
  stage: 'message' | 'hello';
}

/** Outcome of a signature check. */
export type VerifyVerdict = 'ok' | 'bad-signature' | 'key-mismatch';

const DEFAULT_MAX_KEYS = 4096;

/**
 * Checks signatures against key-derived peer ids. Imported keys are cached per peer id (a key that hashed to its id
 * once is that peer's key for good), so the steady state costs one ECDSA verify per message and no hashing.
 */
export class SignatureVerifier {
  readonly #keys = new Map<string, { raw: Uint8Array; key: CryptoKey }>();
  readonly #maxKeys: number;

  constructor(maxKeys = DEFAULT_MAX_KEYS) {
    this.#maxKeys = maxKeys;
  }

  /** Checks that `publicKey` is `claimedId`'s key and that `signature` over `bytes` verifies with it. */
  async verify(claimedId: string, publicKey: Uint8Array, signature: Uint8Array, bytes: Uint8Array): Promise<VerifyVerdict> {
    const key = await this.#key(claimedId, publicKey);
    if (key === null) return 'key-mismatch';
    return (await verifyBytes(key, signature, bytes)) ? 'ok' : 'bad-signature';
  }

  async #key(claimedId: string, raw: Uint8Array): Promise<CryptoKey | null> {
    const cached = this.#keys.get(claimedId);
    if (cached !== undefined && equalBytes(cached.raw, raw)) return cached.key;
    try {
      if ((await peerIdFromPublicKey(raw)) !== claimedId) return null;
      const key = await importRawPublicKey(raw);
      // Oldest first out: a flood of one-time ids cannot grow the cache without bound.
      if (this.#keys.size >= this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(claimedId, { raw: raw.slice(), key });
      return key;
    } catch {
      return null;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs tasks one after another in push order. A task pushed while the queue is empty runs synchronously (unsigned
 * work stays as immediate as before); one that returns a promise holds back later tasks until it settles. Verification
 * may run ahead in parallel (start it before pushing), while its result is applied in arrival order.
 */
export class SerialQueue {
  #tail: Promise<void> | null = null;
  readonly #onError: (err: unknown) => void;

  /** `onError` receives whatever a task throws or rejects with; the queue goes on. */
  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Whether a task is still running or waiting. */
  get busy(): boolean { return this.#tail !== null; }

  /** Appends a task. */
  push(task: () => void | Promise<void>): void {
    if (this.#tail !== null) {
      this.#track(this.#tail.then(task));
      return;
    }
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (err) {
      this.#onError(err);
      return;
    }
    if (result instanceof Promise) this.#track(result);
  }

  /** Resolves once every task pushed so far has run. */
  async idle(): Promise<void> {
    while (this.#tail !== null) await this.#tail;
  }

  #track(running: Promise<void>): void {
    const tail: Promise<void> = running.catch((err: unknown) => this.#onError(err)).then(() => {
      if (this.#tail === tail) this.#tail = null;
    });
    this.#tail = tail;
  }
}
