/**
 * What peers put in `publish.data` on a room's topic (PROTOCOL.md §1, "Encrypted payloads"): a cleartext
 * envelope `{from, sealed}`, the layout of the sealed box (IV ‖ AES-GCM ciphertext and tag, base64), and the JSON
 * payload inside it. The cipher itself (key derivation, AES-GCM) lives with the signaling client; this module
 * only encodes, decodes and validates, and never throws on input from the network.
 */
import { rejectWith, type CodecResult } from './codecResult.js';

/** Bytes of the random AES-GCM IV at the start of a sealed box. */
export const SEALED_IV_BYTES = 12;
/** Bytes of the AES-GCM authentication tag at the end of a sealed box. */
export const SEALED_TAG_BYTES = 16;
/** Longest accepted `sealed` string (base64 characters): room for an SDP of the largest accepted size. */
export const MAX_SEALED_CHARS = 512 * 1024;
/** Longest accepted peer id in an envelope or payload. */
export const MAX_SIGNALING_PEER_ID_CHARS = 256;

/** The cleartext wrapper in `publish.data`. `from` only lets receivers skip their own echo and report a wrong secret once. */
export interface PublishEnvelope { from: string; sealed: string }

/** An announce: "I am here" (no `to`), or the directed reply to someone's announce. */
export interface AnnouncePayload { kind: 'announce'; from: string; info: unknown; to?: string }
/** A peer signal for peer `to` (its `data` is validated by the peer-signal codec when applied). */
export interface SignalPayload { kind: 'signal'; from: string; to: string; data: unknown }
/** What goes, sealed, inside `publish.data.sealed`. */
export type SealedSignalingPayload = AnnouncePayload | SignalPayload;

/** A sealed box split into its parts. */
export interface SealedBox { iv: Uint8Array<ArrayBuffer>; ciphertext: Uint8Array<ArrayBuffer> }

/** Why an envelope, box or payload was refused. */
export type SealedSignalingRejectCode =
  | 'not-object'   // envelope or payload is not a JSON object
  | 'bad-from'     // `from` missing, empty or too long
  | 'bad-to'       // `to` present but not a peer id (or missing on a signal)
  | 'bad-sealed'   // `sealed` not a string, not canonical base64, or too large
  | 'truncated'    // the box is shorter than IV + tag
  | 'not-json'     // the opened payload is not UTF-8 JSON
  | 'unknown-kind' // payload kind other than announce / signal
  | 'missing-data'; // a signal without `data`

/** Result of the decoders in this module. */
export type SealedDecodeResult<T> = CodecResult<T, SealedSignalingRejectCode>;

/** Checks `publish.data` as received from the relay. */
export function decodePublishEnvelope(data: unknown): SealedDecodeResult<PublishEnvelope> {
  if (!isRecord(data)) return rejectWith('not-object', 'publish data is not an object');
  const { from, sealed } = data;
  if (!isPeerId(from)) return rejectWith('bad-from', 'envelope from is not a peer id');
  if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_CHARS) return rejectWith('bad-sealed', 'envelope sealed is not a string of bounded size');
  return { ok: true, value: { from, sealed } };
}

/** Base64 of `iv ‖ ciphertext` (the ciphertext includes its tag, as WebCrypto returns it). */
export function encodeSealedBox(box: SealedBox): string {
  const bytes = new Uint8Array(box.iv.length + box.ciphertext.length);
  bytes.set(box.iv, 0);
  bytes.set(box.ciphertext, box.iv.length);
  return toBase64(bytes);
}

/** Splits a `sealed` string into IV and ciphertext (with tag); refuses non-canonical base64 and short boxes. */
export function decodeSealedBox(sealed: string): SealedDecodeResult<SealedBox> {
  if (sealed.length > MAX_SEALED_CHARS) return rejectWith('bad-sealed', 'sealed box too large');
  if (sealed.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(sealed)) return rejectWith('bad-sealed', 'sealed box is not base64');
  const bytes = fromBase64(sealed);
  if (bytes.length < SEALED_IV_BYTES + SEALED_TAG_BYTES) return rejectWith('truncated', 'sealed box shorter than IV and tag');
  return { ok: true, value: { iv: bytes.slice(0, SEALED_IV_BYTES), ciphertext: bytes.slice(SEALED_IV_BYTES) } };
}

/** The UTF-8 JSON plaintext of a payload, holding only its known fields. */
export function encodeSealedPayload(payload: SealedSignalingPayload): Uint8Array<ArrayBuffer> {
  const canonical = payload.kind === 'announce'
    ? { kind: payload.kind, from: payload.from, info: payload.info ?? null, ...(payload.to === undefined ? {} : { to: payload.to }) }
    : { kind: payload.kind, from: payload.from, to: payload.to, data: payload.data };
  return new TextEncoder().encode(JSON.stringify(canonical));
}

/**
 * Reads an opened plaintext. Unknown fields are dropped (a newer peer may add some); a missing announce `info`
 * reads as null.
 */
export function decodeSealedPayload(plaintext: Uint8Array): SealedDecodeResult<SealedSignalingPayload> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    return rejectWith('not-json', 'payload is not UTF-8 JSON');
  }
  if (!isRecord(value)) return rejectWith('not-object', 'payload is not an object');
  const { kind, from, to } = value;
  if (!isPeerId(from)) return rejectWith('bad-from', 'payload from is not a peer id');
  if (kind === 'announce') {
    if (to !== undefined && !isPeerId(to)) return rejectWith('bad-to', 'announce to is not a peer id');
    const announce: AnnouncePayload = { kind, from, info: value.info ?? null };
    if (to !== undefined) announce.to = to;
    return { ok: true, value: announce };
  }
  if (kind === 'signal') {
    if (!isPeerId(to)) return rejectWith('bad-to', 'signal to is not a peer id');
    if (!Object.hasOwn(value, 'data')) return rejectWith('missing-data', 'signal without data');
    return { ok: true, value: { kind, from, to, data: value.data } };
  }
  return rejectWith('unknown-kind', `payload kind ${String(kind)} not known`);
}

function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SIGNALING_PEER_ID_CHARS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked: String.fromCharCode with hundreds of thousands of arguments overflows the stack.
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
