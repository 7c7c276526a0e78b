/**
 * End-to-end protection of signaling payloads (PROTOCOL.md §1): the relay sees a hashed topic and
 * AES-GCM ciphertext, never the room id, peer info or SDP. WebCrypto only, so it runs in browsers and Node.
 * The box layout (IV ‖ ciphertext, base64) is `protocol/sealedSignaling.ts`'s; this module only holds the keys.
 */
import { toHex } from '../protocol/ids.js';
import { SEALED_IV_BYTES, decodeSealedBox, encodeSealedBox } from '../protocol/sealedSignaling.js';
import { TransportError } from './errors.js';

const TOPIC_PREFIX = 'peerclass/v1/';
const KEY_SALT_PREFIX = 'peerclass/v1/key/';
/** PBKDF2 iterations: slows down guessing a class secret from captured ciphertext. */
export const PBKDF2_ITERATIONS = 100_000;

function subtle(): SubtleCrypto {
  const api = globalThis.crypto?.subtle;
  if (api === undefined) throw new TransportError('no-webcrypto', 'WebCrypto (crypto.subtle) is not available: use a secure context (https or localhost)');
  return api;
}

/** The relay topic for a room: hex SHA-256 of `'peerclass/v1/' + roomId`, so the relay never sees the room name. */
export async function topicForRoom(roomId: string): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest('SHA-256', new TextEncoder().encode(TOPIC_PREFIX + roomId))));
}

/**
 * The AES-GCM-256 key for a room: PBKDF2-SHA-256 of the class secret, salted with the room id, 100 000
 * iterations. Peers with the same secret and room derive the same key; the key is not extractable.
 */
export async function deriveRoomKey(secret: string, roomId: string): Promise<CryptoKey> {
  const api = subtle();
  const material = await api.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey']);
  return await api.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(KEY_SALT_PREFIX + roomId), iterations: PBKDF2_ITERATIONS },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Encrypts bytes under a fresh random IV; returns the `sealed` string (see {@link encodeSealedBox}). */
export async function sealBytes(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>): Promise<string> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(SEALED_IV_BYTES));
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv }, key, plaintext));
  return encodeSealedBox({ iv, ciphertext });
}

/**
 * Decrypts what {@link sealBytes} produced.
 * @throws {TransportError} `sealed-malformed` when it is not a well-formed box; `sealed-unreadable` when the key is
 * wrong or the box was tampered with.
 */
export async function openBytes(key: CryptoKey, sealed: string): Promise<Uint8Array> {
  const box = decodeSealedBox(sealed);
  if (!box.ok) throw new TransportError('sealed-malformed', box.reason);
  try {
    const { iv, ciphertext } = box.value;
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv }, key, ciphertext));
  } catch (error) {
    throw new TransportError('sealed-unreadable', `sealed box does not decrypt: ${String(error)}`);
  }
}
