import { toBase64Url } from '../../protocol/base64url.js';

/*
 * What the SFU room is called and what opens it, derived so that nothing has to be stored or sent around:
 * - the room number from the class id alone (every participant and the relay-less SFU agree on it),
 * - the pin from the class secret (only holders of the join link can join the room: Janus answers 433 otherwise),
 * - the admin secret (destroy, kick, edit) from the teacher's private key, which students never have.
 * Each derivation has its own domain-separation label, so no value can be turned into another.
 */

const encoder = new TextEncoder();
const ROOM_LABEL = 'peerclass/sfu-room/v1\0';
const PIN_INFO = 'peerclass/sfu-pin/v1';
const ADMIN_INFO = 'peerclass/sfu-admin/v1';

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new Error('WebCrypto (crypto.subtle) is not available: a secure context (https or localhost) is required');
  return s;
}

async function hkdf(secret: Uint8Array<ArrayBuffer>, salt: string, info: string, bytes: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(salt), info: encoder.encode(info) }, key, bytes * 8);
  return new Uint8Array(bits);
}

/** The VideoRoom room number and pin of a class. */
export interface SfuRoom {
  /** A positive integer below 2^53 (Janus room ids are uint64; JavaScript numbers are exact to 2^53). */
  readonly room: number;
  /** The room pin: base64url of 16 bytes HKDF-SHA256 from the class secret (salt: the class id). */
  readonly pin: string;
}

/**
 * Derives the class's SFU room: `room` from SHA-256 of a domain-separated class id (first 52 bits + 1, so never 0),
 * `pin` from the class secret. Deterministic, so every participant with the link computes the same pair; a
 * different class id gives a different room, a different secret a different pin.
 */
export async function sfuRoomFor(classId: string, classSecret: string): Promise<SfuRoom> {
  const digest = new Uint8Array(await subtle().digest('SHA-256', encoder.encode(ROOM_LABEL + classId)));
  let room = 0;
  for (let i = 0; i < 7; i++) room = room * 256 + digest[i]!;
  room = Math.floor(room / 16) + 1; // 56 bits → 52 bits, then 1 … 2^52
  const pin = toBase64Url(await hkdf(encoder.encode(classSecret), classId, PIN_INFO, 16));
  return { room, pin };
}

/** Where the admin secret came from: derived (stable across reloads of the same identity) or random (this session only). */
export interface SfuAdminSecret {
  readonly secret: string;
  readonly derived: boolean;
}

/**
 * The VideoRoom room `secret` for a teacher identity (a `TeacherIdentity` from src/authority) (needed to destroy, edit or kick in the room), derived with HKDF-SHA256 from the
 * teacher's private key (its JWK `d`) and the class id. Only the teacher can compute it, and the same teacher identity
 * gives the same secret after a reload, so a reloaded teacher still controls a room it created.
 *
 * If the private key is not extractable (`exportKey('jwk')` fails), it falls back to a random secret and reports
 * `derived: false`: that secret only lives as long as this object, so a teacher that reloads cannot administer the
 * room created before and must let it be destroyed (or wait for it to empty) and create a new one.
 */
export async function sfuAdminSecret(teacher: { readonly privateKey: CryptoKey }, classId: string): Promise<SfuAdminSecret> {
  let d: string | undefined;
  try {
    d = (await subtle().exportKey('jwk', teacher.privateKey)).d;
  } catch { /* not extractable */ }
  if (d === undefined) {
    const random = new Uint8Array(32);
    globalThis.crypto.getRandomValues(random);
    return { secret: toBase64Url(random), derived: false };
  }
  return { secret: toBase64Url(await hkdf(encoder.encode(d), classId, ADMIN_INFO, 24)), derived: true };
}
