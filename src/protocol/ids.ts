/**
 * Random identifiers that go on the wire (peer ids, connection sessions). Shared so that every layer makes them
 * the same way: WebCrypto randomness, lowercase hex, no dependency on anything of ours.
 */

/** Lowercase hex of `bytes` random bytes from WebCrypto: `2 × bytes` characters in `[0-9a-f]`. */
export function randomHexId(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 65_536) throw new RangeError(`randomHexId: bytes must be an integer in 1…65536, got ${bytes}`);
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Lowercase hex of the given bytes (two characters per byte). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
