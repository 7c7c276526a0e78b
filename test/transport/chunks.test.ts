import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import {
  CHUNK_PAYLOAD_BYTES, ChunkReassembler, decodeChunkFrame, encodeChunkFrame, encodeChunks, isChunkFrame, needsChunking,
} from '../../src/protocol/chunks.js';
import { MAX_DATA_CHANNEL_MESSAGE_BYTES, MESSAGE_CHUNK, MESSAGE_SYNC } from '../../src/protocol/messageTypes.js';

const frame = (messageId: number, index: number, count: number, bytes: Uint8Array = new Uint8Array([1, 2, 3])) => encodeChunkFrame(messageId, index, count, bytes);

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}

describe('chunk frames', () => {
  it('round-trips messages of many sizes through encode and reassembly', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 * CHUNK_PAYLOAD_BYTES + 7 }), fc.integer(), (size, seed) => {
      const message = randomBytes(size, seed);
      const reassembler = new ChunkReassembler();
      for (let id = 0; id < 2; id++) {
        const frames = encodeChunks(message, id);
        expect(frames.length).toBe(Math.max(1, Math.ceil(size / CHUNK_PAYLOAD_BYTES)));
        for (const f of frames) {
          expect(f.length).toBeLessThanOrEqual(MAX_DATA_CHANNEL_MESSAGE_BYTES);
          expect(isChunkFrame(f)).toBe(true);
        }
        const results = frames.map((f) => reassembler.push(f));
        for (const r of results.slice(0, -1)) expect(r.kind).toBe('pending');
        const last = results.at(-1);
        expect(last?.kind).toBe('message');
        if (last?.kind === 'message') expect(Buffer.from(last.message).equals(Buffer.from(message))).toBe(true);
      }
    }), { numRuns: 60 });
  });

  it('keeps frames within the limit even with a huge message id', () => {
    const frames = encodeChunks(new Uint8Array(3 * CHUNK_PAYLOAD_BYTES), Number.MAX_SAFE_INTEGER);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_DATA_CHANNEL_MESSAGE_BYTES);
    const decoded = decodeChunkFrame(frames[2]!);
    expect(decoded.ok && decoded.frame.messageId).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('says which messages need chunking', () => {
    expect(needsChunking(new Uint8Array(MAX_DATA_CHANNEL_MESSAGE_BYTES))).toBe(false);
    expect(needsChunking(new Uint8Array(MAX_DATA_CHANNEL_MESSAGE_BYTES + 1))).toBe(true);
    expect(needsChunking(new Uint8Array([MESSAGE_SYNC, 1]))).toBe(false);
    // A small message that looks like a chunk frame must be wrapped, or the receiver would misread it.
    expect(needsChunking(new Uint8Array([MESSAGE_CHUNK, 0, 0, 1]))).toBe(true);
  });

  it('refuses hostile single frames with a reason', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array([MESSAGE_CHUNK]), /truncated/],
      [new Uint8Array([MESSAGE_CHUNK, 0, 0]), /truncated/],
      [new Uint8Array([MESSAGE_CHUNK, 0xff, 0xff]), /truncated/],
      [new Uint8Array([MESSAGE_SYNC, 0, 0, 1]), /not a chunk/],
      [frame(0, 3, 3), /index 3 ≥ count 3/],
      [frame(0, 0, 0), /count is 0/],
      [frame(0, 0, 1_000_000), /over the 1048576-byte limit/],
      [new Uint8Array(MAX_DATA_CHANNEL_MESSAGE_BYTES + 1).fill(MESSAGE_CHUNK), /exceeds/],
    ];
    for (const [data, reason] of cases) {
      const decoded = decodeChunkFrame(data, 1024 * 1024);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).toMatch(reason);
    }
  });

  it('drops out-of-sequence frames without losing the message in progress', () => {
    const message = randomBytes(3 * CHUNK_PAYLOAD_BYTES, 7);
    const frames = encodeChunks(message, 0);
    const r = new ChunkReassembler();
    expect(r.push(frame(1, 0, 2)).kind).toBe('dropped');                   // wrong id for a start
    expect(r.push(frame(0, 1, 2)).kind).toBe('dropped');                   // does not start at 0
    expect(r.push(frames[0]!).kind).toBe('pending');
    expect(r.push(frames[0]!).kind).toBe('dropped');                       // repeated index
    expect(r.push(frames[2]!).kind).toBe('dropped');                       // skipped index
    expect(r.push(frame(0, 1, 4)).kind).toBe('dropped');                   // count changed mid-message
    expect(r.push(frame(5, 1, 3)).kind).toBe('dropped');                   // other message id
    expect(r.push(frames[1]!).kind).toBe('pending');
    const done = r.push(frames[2]!);
    expect(done.kind).toBe('message');
    if (done.kind === 'message') expect(Buffer.from(done.message).equals(Buffer.from(message))).toBe(true);
    // Ids must keep counting: replaying message 0 is refused.
    expect(r.push(frames[0]!).kind).toBe('dropped');
  });

  it('never delivers a half-received message after reset', () => {
    const r = new ChunkReassembler();
    const frames = encodeChunks(new Uint8Array(2 * CHUNK_PAYLOAD_BYTES + 1), 0);
    r.push(frames[0]!); r.push(frames[1]!);
    expect(r.pending).toBe(true);
    r.reset();
    expect(r.pending).toBe(false);
    expect(r.push(frames[2]!).kind).toBe('dropped');
  });

  it('drops a message that grows past the size limit', () => {
    const r = new ChunkReassembler(CHUNK_PAYLOAD_BYTES + 10);
    const frames = encodeChunks(new Uint8Array(CHUNK_PAYLOAD_BYTES + 10), 0);
    expect(frames.length).toBe(2);
    expect(r.push(frames[0]!).kind).toBe('pending');
    expect(r.push(frames[1]!).kind).toBe('message');
    const tooBig = encodeChunks(new Uint8Array(2 * CHUNK_PAYLOAD_BYTES), 1);
    // The count alone fits (two chunks), but the bytes do not.
    expect(r.push(tooBig[0]!).kind).toBe('pending');
    const result = r.push(tooBig[1]!);
    expect(result.kind).toBe('dropped');
    // The next message (id 2) is still accepted.
    const next = encodeChunks(new Uint8Array([MESSAGE_CHUNK, 9]), 2);
    const ok = r.push(next[0]!);
    expect(ok.kind === 'message' && Array.from(ok.message)).toEqual([MESSAGE_CHUNK, 9]);
  });
});
