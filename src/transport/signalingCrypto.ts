/**
 * End-to-end protection of signaling payloads (PROTOCOL.md §1): the relay sees a hashed topic and
 * AES-GCM ciphertext, never the room id, peer info or SDP. WebCrypto only, so it runs in browsers and Node.
 */

const TOPIC_PREFIX = 'peerclass/v1/';
const KEY_SALT_PREFIX = 'peerclass/v1/key/';
/** PBKDF2 iterations: slows down guessing a class secret from captured ciphertext. */
export const PBKDF2_ITERATIONS = 100_000;
const IV_BYTES = 12;

function subtle(): SubtleCrypto {
  const api = globalThis.crypto?.subtle;
  if (api === undefined) throw new Error('WebCrypto (crypto.subtle) is not available: use a secure context (https or localhost)');
  return api;
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The relay topic for a room: hex SHA-256 of `'peerclass/v1/' + roomId`, so the relay never sees the room name. */
export async function topicForRoom(roomId: string): Promise<string> {
  return toHex(await subtle().digest('SHA-256', new TextEncoder().encode(TOPIC_PREFIX + roomId)));
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

/** Encrypts `JSON.stringify(value)`: base64 of a random 12-byte IV followed by the AES-GCM ciphertext and tag. */
export async function sealJson(key: CryptoKey, value: unknown): Promise<string> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = new TextEncoder().encode(JSON.stringify(value));
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv }, key, plaintext));
  const out = new Uint8Array(IV_BYTES + ciphertext.length);
  out.set(iv, 0);
  out.set(ciphertext, IV_BYTES);
  return toBase64(out);
}

/**
 * Decrypts what {@link sealJson} produced and parses it.
 * @throws when the key is wrong, the text was tampered with, or it is not valid base64/JSON.
 */
export async function openJson(key: CryptoKey, sealed: string): Promise<unknown> {
  const bytes = fromBase64(sealed);
  if (bytes.length < IV_BYTES + 16) throw new Error('sealed payload too short');
  const plaintext = await subtle().decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, key, bytes.subarray(IV_BYTES));
  return JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
}
