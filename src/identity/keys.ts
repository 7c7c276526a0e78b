/**
 * ECDSA P-256 primitives every peer uses (students and teacher alike): key pairs, raw public keys, key-derived peer
 * ids, signatures. WebCrypto only, so the same code runs in browsers and Node ≥ 20.
 */
import { digest as sha256 } from 'lib0/hash/sha256';
import { toHex } from '../protocol/ids.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_PARAMS = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Length of an uncompressed P-256 point: 0x04 ‖ x ‖ y. */
export const RAW_PUBLIC_KEY_BYTES = 65;
/** Length of an ECDSA P-256 signature in IEEE P1363 form (r ‖ s), as WebCrypto produces it. */
export const SIGNATURE_BYTES = 64;
/** Hex characters of a key-derived peer id: 96 bits of SHA-256, far beyond any second-preimage search. */
export const PEER_ID_HEX_CHARS = 24;

/** Thrown when a key is not a valid P-256 key in the expected form. */
export class PeerKeyError extends Error {
  override readonly name = 'PeerKeyError';
}

/** The WebCrypto `SubtleCrypto`, or a clear error where it is missing (an insecure browser context). */
export function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available: a secure context (https or localhost) is required');
  return s;
}

/**
 * Creates an ECDSA P-256 key pair. `extractable: false` (the default) keeps the private key inside WebCrypto: it can
 * still be stored in IndexedDB, but page scripts can never read its bytes.
 */
export async function createPeerKeys(options: { extractable?: boolean } = {}): Promise<CryptoKeyPair> {
  return subtle().generateKey(ALGORITHM, options.extractable ?? false, ['sign', 'verify']);
}

/** A key pair as JWKs (only for extractable pairs), e.g. for a keeper that keeps its identity in a file. */
export interface ExportedPeerKeys {
  /** Format version. */
  v: 1;
  /** The private key (d, x, y). Whoever holds it is this peer. */
  privateKeyJwk: JsonWebKey;
  /** The public key (x, y). */
  publicKeyJwk: JsonWebKey;
}

/** Serialises an extractable key pair as JWKs. */
export async function exportPeerKeys(pair: CryptoKeyPair): Promise<ExportedPeerKeys> {
  return { v: 1, privateKeyJwk: await subtle().exportKey('jwk', pair.privateKey), publicKeyJwk: await subtle().exportKey('jwk', pair.publicKey) };
}

/** Restores a key pair from {@link exportPeerKeys}; checks that the private key belongs to the public key. */
export async function importPeerKeys(exported: ExportedPeerKeys, options: { extractable?: boolean } = {}): Promise<CryptoKeyPair> {
  const priv = exported?.privateKeyJwk;
  const pub = exported?.publicKeyJwk;
  if (!priv || priv.kty !== 'EC' || priv.crv !== 'P-256' || typeof priv.d !== 'string' || !pub || pub.kty !== 'EC' || pub.crv !== 'P-256') {
    throw new PeerKeyError('exported peer keys: not a P-256 JWK pair');
  }
  if (priv.x !== pub.x || priv.y !== pub.y) throw new PeerKeyError('exported peer keys: the private key does not belong to the public key');
  // key_ops/ext of a stored JWK would fight with the usages asked for here.
  const { key_ops: _o1, ext: _e1, ...cleanPrivate } = priv;
  const { key_ops: _o2, ext: _e2, d: _d, ...cleanPublic } = pub;
  try {
    const privateKey = await subtle().importKey('jwk', cleanPrivate, ALGORITHM, options.extractable ?? false, ['sign']);
    const publicKey = await subtle().importKey('jwk', cleanPublic, ALGORITHM, true, ['verify']);
    return { privateKey, publicKey };
  } catch (err) {
    throw new PeerKeyError(`exported peer keys: rejected by WebCrypto (${String(err)})`);
  }
}

/** The raw uncompressed point (65 bytes) of a P-256 public key. */
export async function exportRawPublicKey(publicKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('raw', publicKey));
}

/** Whether `raw` has the form of an uncompressed P-256 point (it may still be off the curve). */
export function isRawPublicKey(raw: Uint8Array): boolean {
  return raw.length === RAW_PUBLIC_KEY_BYTES && raw[0] === 0x04;
}

/** Imports a raw uncompressed P-256 public key for verification; throws {@link PeerKeyError} if it is not one. */
export async function importRawPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  if (!isRawPublicKey(raw)) throw new PeerKeyError('public key must be a 65-byte uncompressed P-256 point');
  try {
    return await subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, ALGORITHM, true, ['verify']);
  } catch {
    throw new PeerKeyError('public key is not a point on P-256');
  }
}

/**
 * The peer id a public key stands for: the first 24 hex characters of SHA-256 of the raw point. A peer id is thus a
 * commitment to a key, and nobody can claim another's id without its private key.
 */
export async function peerIdFromPublicKey(raw: Uint8Array): Promise<string> {
  if (!isRawPublicKey(raw)) throw new PeerKeyError('public key must be a 65-byte uncompressed P-256 point');
  const digest = new Uint8Array(await subtle().digest('SHA-256', raw as Uint8Array<ArrayBuffer>));
  return toHex(digest).slice(0, PEER_ID_HEX_CHARS);
}

/**
 * {@link peerIdFromPublicKey} without waiting (lib0's SHA-256): for checks that must not reorder events, such as an
 * announce that is immediately followed by the same peer's offer.
 */
export function peerIdFromPublicKeySync(raw: Uint8Array): string {
  if (!isRawPublicKey(raw)) throw new PeerKeyError('public key must be a 65-byte uncompressed P-256 point');
  return toHex(sha256(raw)).slice(0, PEER_ID_HEX_CHARS);
}

/** Whether `id` has the form of a key-derived peer id (24 lowercase hex characters). */
export function isKeyDerivedPeerId(id: string): boolean {
  return /^[0-9a-f]{24}$/.test(id);
}

/** Signs bytes (ECDSA P-256, SHA-256, IEEE P1363 r‖s signature of 64 bytes). */
export async function signBytes(privateKey: CryptoKey, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(SIGN_PARAMS, privateKey, bytes as Uint8Array<ArrayBuffer>));
}

/** Verifies a signature made by {@link signBytes}; false (never a throw) for anything that does not verify. */
export async function verifyBytes(publicKey: CryptoKey, signature: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  try {
    return await subtle().verify(SIGN_PARAMS, publicKey, signature as Uint8Array<ArrayBuffer>, bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}
