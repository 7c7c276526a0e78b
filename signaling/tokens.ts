import type { KeyObject } from 'node:crypto';
import { SignJWT, importJWK, importPKCS8, type JWK } from 'jose';
import { topicForRoom } from '../src/transport/signalingCrypto.js';

/** Options of {@link mintRelayToken}: exactly one of `secret` and `privateKey`. */
export interface MintRelayTokenOptions {
  /** The relay's HS256 secret (`--token-secret`). */
  secret?: string;
  /**
   * A private key whose public half the relay was given (`--token-public-key`): PEM PKCS#8, a JWK (as JSON text), or a
   * key object. Signed with `algorithm`.
   */
  privateKey?: string | CryptoKey | KeyObject;
  /** JWS algorithm for `privateKey`: `ES256` (default), `RS256` or `EdDSA`. `secret` always signs HS256. */
  algorithm?: 'ES256' | 'RS256' | 'EdDSA';
  /** The class (room) id(s) the token opens, as in the join link; only their hashed topics go into the token. */
  classId: string | readonly string[];
  /** Lifetime in seconds (the `exp` claim). Default 3600. */
  ttlSeconds?: number;
  /** `iss` claim, for relays configured with an issuer. */
  issuer?: string;
  /** `aud` claim, for relays configured with an audience. */
  audience?: string;
  /** `sub` claim, e.g. the school's user id (the relay ignores it; useful in your logs). */
  subject?: string;
}

/**
 * The relay topic of a class: what the relay sees instead of the class id, and what a token's `topics` claim lists.
 * Same function the client uses (lowercase hex SHA-256 of `"peerclass/v1/" + classId`, PROTOCOL.md §1).
 */
export function relayTopic(classId: string): Promise<string> {
  return topicForRoom(classId);
}

/**
 * Mints a relay access token (JWT) for a school's backend to hand to a signed-in user: `topics` holds the hashed
 * topic of each class id (never the class id itself), `iat`/`exp` bound its life. Give it to `PeerclassProvider`
 * as `token` or to `Classroom.create` as `relayToken` (a function there fetches a fresh one on each reconnect).
 * @throws {Error} when neither or both of `secret` and `privateKey` are given, or `ttlSeconds` is not positive.
 */
export async function mintRelayToken(options: MintRelayTokenOptions): Promise<string> {
  if ((options.secret === undefined) === (options.privateKey === undefined)) throw new Error('mintRelayToken needs exactly one of secret and privateKey');
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new Error('ttlSeconds must be a positive number of seconds');
  const classIds = typeof options.classId === 'string' ? [options.classId] : [...options.classId];
  const topics = await Promise.all(classIds.map((id) => topicForRoom(id)));
  const now = Math.floor(Date.now() / 1000);
  const algorithm = options.secret !== undefined ? 'HS256' : options.algorithm ?? 'ES256';
  let jwt = new SignJWT({ topics }).setProtectedHeader({ alg: algorithm, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + Math.ceil(ttl));
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  if (options.secret !== undefined) return await jwt.sign(new TextEncoder().encode(options.secret));
  const key = options.privateKey!;
  if (typeof key !== 'string') return await jwt.sign(key);
  const text = key.trim();
  return await jwt.sign(text.startsWith('{') ? await importJWK(JSON.parse(text) as JWK, algorithm) : await importPKCS8(text, algorithm));
}
