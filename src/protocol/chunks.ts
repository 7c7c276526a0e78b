/**
 * Chunk frames: how a message larger than one data-channel send crosses the wire (PROTOCOL.md §2).
 *
 * Frame layout: `[MESSAGE_CHUNK varUint, messageId varUint, index varUint, count varUint, bytes…]`,
 * each frame at most {@link MAX_DATA_CHANNEL_MESSAGE_BYTES}. Pure encode/decode; no transport here.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MAX_DATA_CHANNEL_MESSAGE_BYTES, MESSAGE_CHUNK } from './messageTypes.js';

/**
 * Room kept in each frame for the four varUint header fields. 1 + 8 + 8 + 8 bytes covers ids
 * up to 2^53 and any count a sane size limit allows, so every frame stays within the limit.
 */
const CHUNK_HEADER_RESERVE = 32;

/** Payload bytes per chunk frame: the frame limit minus the header reserve. */
export const CHUNK_PAYLOAD_BYTES = MAX_DATA_CHANNEL_MESSAGE_BYTES - CHUNK_HEADER_RESERVE;

/** Default cap on a reassembled message (64 MiB): bounds memory a peer can make us hold. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** One decoded chunk frame. */
export interface ChunkFrame {
  /** Identifies the message this chunk belongs to; consecutive chunked messages on a link count up from 0. */
  readonly messageId: number;
  /** Position of this chunk, 0 ≤ index < count. */
  readonly index: number;
  /** Number of chunks in the message. */
  readonly count: number;
  /** This chunk's slice of the message. */
  readonly bytes: Uint8Array;
}

/**
 * True when `message` must travel as chunk frames: it is larger than one send, or it would be
 * mistaken for a chunk frame because its own first byte is MESSAGE_CHUNK.
 */
export function needsChunking(message: Uint8Array): boolean {
  return message.length > MAX_DATA_CHANNEL_MESSAGE_BYTES || message[0] === MESSAGE_CHUNK;
}

/** True when `frame` starts with the MESSAGE_CHUNK type (a varUint below 128 is one byte). */
export function isChunkFrame(frame: Uint8Array): boolean {
  return frame[0] === MESSAGE_CHUNK;
}

/**
 * Splits `message` into chunk frames of at most {@link MAX_DATA_CHANNEL_MESSAGE_BYTES} each.
 * An empty message still yields one (empty) chunk so it can be delivered.
 */
export function encodeChunks(message: Uint8Array, messageId: number, payloadBytes = CHUNK_PAYLOAD_BYTES): Uint8Array[] {
  if (!Number.isSafeInteger(messageId) || messageId < 0) throw new RangeError(`bad chunk message id ${messageId}`);
  if (payloadBytes < 1 || payloadBytes > CHUNK_PAYLOAD_BYTES) throw new RangeError(`bad chunk payload size ${payloadBytes}`);
  const count = Math.max(1, Math.ceil(message.length / payloadBytes));
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    frames.push(encodeChunkFrame(messageId, index, count, message.subarray(index * payloadBytes, (index + 1) * payloadBytes)));
  }
  return frames;
}

/**
 * Encodes one chunk frame exactly as given, without checking the header against a message (tests use it to
 * build hostile frames; senders use {@link encodeChunks}).
 */
export function encodeChunkFrame(messageId: number, index: number, count: number, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_CHUNK);
  encoding.writeVarUint(encoder, messageId);
  encoding.writeVarUint(encoder, index);
  encoding.writeVarUint(encoder, count);
  encoding.writeUint8Array(encoder, bytes);
  return encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>;
}

/** Result of decoding a frame: the frame, or why it was refused. */
export type ChunkDecodeResult = { ok: true; frame: ChunkFrame } | { ok: false; reason: string };

/**
 * Decodes one chunk frame, checking only what a single frame can show (type, header, sizes, index < count,
 * count within `maxMessageBytes`). Never throws.
 */
export function decodeChunkFrame(data: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): ChunkDecodeResult {
  if (data.length > MAX_DATA_CHANNEL_MESSAGE_BYTES) return { ok: false, reason: `chunk frame of ${data.length} bytes exceeds ${MAX_DATA_CHANNEL_MESSAGE_BYTES}` };
  let messageId: number; let index: number; let count: number; let offset: number;
  try {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type !== MESSAGE_CHUNK) return { ok: false, reason: `not a chunk frame (type ${type})` };
    messageId = decoding.readVarUint(decoder);
    index = decoding.readVarUint(decoder);
    count = decoding.readVarUint(decoder);
    offset = decoder.pos;
  } catch {
    return { ok: false, reason: 'truncated chunk header' };
  }
  if (offset > data.length) return { ok: false, reason: 'truncated chunk header' };
  if (!Number.isSafeInteger(messageId) || !Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    return { ok: false, reason: 'chunk header field out of range' };
  }
  if (count < 1) return { ok: false, reason: 'chunk count is 0' };
  if (index >= count) return { ok: false, reason: `chunk index ${index} ≥ count ${count}` };
  // The smallest message that needs `count` chunks is (count - 1) full chunks plus one byte.
  const minimumBytes = (count - 1) * CHUNK_PAYLOAD_BYTES + 1;
  if (count > 1 && minimumBytes > maxMessageBytes) {
    return { ok: false, reason: `chunk count ${count} implies a message over the ${maxMessageBytes}-byte limit` };
  }
  return { ok: true, frame: { messageId, index, count, bytes: data.subarray(offset) } };
}

/** What one pushed frame produced. */
export type ReassemblyResult =
  | { kind: 'pending' }
  | { kind: 'message'; message: Uint8Array }
  | { kind: 'dropped'; reason: string };

/**
 * Reassembles chunk frames arriving over one ordered link.
 *
 * The sender sends the frames of one message back to back with ids 0, 1, 2 …, so anything else (an
 * unexpected id, a skipped or repeated index, a changed count) is refused frame by frame; the message in
 * progress is kept, because a stray frame from a faulty peer must not destroy a good message. A message is
 * returned only when all its chunks arrived; {@link reset} discards a half-received one.
 */
export class ChunkReassembler {
  private nextMessageId = 0;
  private current: { messageId: number; count: number; nextIndex: number; parts: Uint8Array[]; size: number } | null = null;

  /** @param maxMessageBytes largest message accepted; larger ones are dropped. */
  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** True while a message is partly received. */
  get pending(): boolean { return this.current !== null; }

  /** Feeds one frame (starting with MESSAGE_CHUNK). Never throws. */
  push(data: Uint8Array): ReassemblyResult {
    const decoded = decodeChunkFrame(data, this.maxMessageBytes);
    if (!decoded.ok) return { kind: 'dropped', reason: decoded.reason };
    const { messageId, index, count, bytes } = decoded.frame;
    let current = this.current;
    if (current === null) {
      if (messageId !== this.nextMessageId) return { kind: 'dropped', reason: `chunk for message ${messageId}, expected a start of message ${this.nextMessageId}` };
      if (index !== 0) return { kind: 'dropped', reason: `message ${messageId} starts at chunk ${index}, expected 0` };
      current = { messageId, count, nextIndex: 0, parts: [], size: 0 };
    } else if (messageId !== current.messageId || index !== current.nextIndex || count !== current.count) {
      return { kind: 'dropped', reason: `chunk ${messageId}:${index}/${count} does not continue message ${current.messageId} at ${current.nextIndex}/${current.count}` };
    }
    if (current.size + bytes.length > this.maxMessageBytes) {
      this.current = null;
      this.nextMessageId = messageId + 1;
      return { kind: 'dropped', reason: `message ${messageId} exceeds the ${this.maxMessageBytes}-byte limit` };
    }
    // Copy: the frame's buffer may be reused by the channel implementation.
    current.parts.push(bytes.slice());
    current.size += bytes.length;
    current.nextIndex++;
    if (current.nextIndex < current.count) {
      this.current = current;
      return { kind: 'pending' };
    }
    this.current = null;
    this.nextMessageId = messageId + 1;
    const message = new Uint8Array(current.size);
    let offset = 0;
    for (const part of current.parts) { message.set(part, offset); offset += part.length; }
    return { kind: 'message', message };
  }

  /** Discards a half-received message (the link closed): it is never delivered. */
  reset(): void {
    this.current = null;
  }
}
