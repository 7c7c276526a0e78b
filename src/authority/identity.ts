import { RAW_PUBLIC_KEY_BYTES, subtle } from '../identity/keys.js';
import { fromBase64Url, toBase64Url } from './base64url.js';

// The primitives live with every peer's identity (src/identity/); the teacher's key is one more P-256 key.
export { signBytes, verifyBytes } from '../identity/keys.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The teacher's signing identity. Only the teacher's own browser holds one. */
export interface TeacherIdentity {
  /** The public key as base64url of the raw uncompressed P-256 point: what the join link carries. */
  readonly publicKey: string;
  /** The public key, imported for verification. */
  readonly publicCryptoKey: CryptoKey;
  /** The ECDSA P-256 private signing key. */
  readonly privateKey: CryptoKey;
}

/** A {@link TeacherIdentity} in a JSON-serialisable form, so a teacher can reload the page and keep the class. */
export interface ExportedTeacherIdentity {
  /** Format version. */
  v: 1;
  /** base64url raw public key (as in the join link). */
  publicKey: string;
  /** The private key as a JWK (contains d, x and y). Keep it secret: it is the teacher's authority. */
  privateKeyJwk: JsonWebKey;
}

/** Thrown when a key is not a valid P-256 key in the expected form. */
export class TeacherKeyError extends Error {
  override readonly name = 'TeacherKeyError';
}

/** Creates a fresh ECDSA P-256 teacher key pair. */
export async function createTeacherIdentity(): Promise<TeacherIdentity> {
  const pair = await subtle().generateKey(ALGORITHM, true, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { publicKey: toBase64Url(raw), publicCryptoKey: pair.publicKey, privateKey: pair.privateKey };
}

/** Serialises an identity (the private key as JWK). */
export async function exportTeacherIdentity(identity: TeacherIdentity): Promise<ExportedTeacherIdentity> {
  const privateKeyJwk = await subtle().exportKey('jwk', identity.privateKey);
  return { v: 1, publicKey: identity.publicKey, privateKeyJwk };
}

/** Restores an identity from {@link exportTeacherIdentity}; checks that the private key belongs to the public key. */
export async function importTeacherIdentity(exported: ExportedTeacherIdentity): Promise<TeacherIdentity> {
  const jwk = exported?.privateKeyJwk;
  if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || !jwk.x || !jwk.y) {
    throw new TeacherKeyError('exported teacher identity: privateKeyJwk is not a P-256 private JWK');
  }
  const publicCryptoKey = await importTeacherPublicKey(exported.publicKey);
  const publicJwk = await subtle().exportKey('jwk', publicCryptoKey);
  if (publicJwk.x !== jwk.x || publicJwk.y !== jwk.y) {
    throw new TeacherKeyError('exported teacher identity: the private key does not belong to the public key');
  }
  let privateKey: CryptoKey;
  try {
    // Drop key_ops/ext from the stored JWK: they would fight with the usages we ask for.
    const { key_ops: _ops, ext: _ext, ...clean } = jwk;
    privateKey = await subtle().importKey('jwk', clean, ALGORITHM, true, ['sign']);
  } catch (err) {
    throw new TeacherKeyError(`exported teacher identity: private key rejected by WebCrypto (${String(err)})`);
  }
  return { publicKey: exported.publicKey, publicCryptoKey, privateKey };
}

/** Whether `text` has the form of a teacher public key (base64url of a 65-byte uncompressed point). */
export function isTeacherPublicKeyString(text: string): boolean {
  const raw = fromBase64Url(text);
  return raw !== null && raw.length === RAW_PUBLIC_KEY_BYTES && raw[0] === 0x04;
}

/** Imports a base64url raw P-256 public key for verification; throws {@link TeacherKeyError} if it is not one. */
export async function importTeacherPublicKey(publicKey: string): Promise<CryptoKey> {
  const raw = fromBase64Url(publicKey);
  if (!raw || raw.length !== RAW_PUBLIC_KEY_BYTES || raw[0] !== 0x04) {
    throw new TeacherKeyError('teacher public key must be base64url of a 65-byte uncompressed P-256 point');
  }
  try {
    return await subtle().importKey('raw', raw, ALGORITHM, true, ['verify']);
  } catch {
    throw new TeacherKeyError('teacher public key is not a point on P-256');
  }
}
