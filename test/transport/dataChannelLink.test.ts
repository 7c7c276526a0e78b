import { afterEach, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import { CHUNK_PAYLOAD_BYTES, encodeChunkFrame, encodeChunks } from '../../src/protocol/chunks.js';
import { MESSAGE_CHUNK } from '../../src/protocol/messageTypes.js';
import { BUFFERED_HIGH_WATER_BYTES, DataChannelLink } from '../../src/transport/dataChannelLink.js';
import { waitUntil } from '../helpers/processes.js';
import { closeAllPairs, collect, connectPair } from './wrtcPair.js';

afterEach(() => { closeAllPairs(); });

const chunkFrame = (messageId: number, index: number, count: number, bytes: Uint8Array = new Uint8Array(10)) => encodeChunkFrame(messageId, index, count, bytes);

async function openLinks() {
  const pair = connectPair();
  const [la, lb] = await Promise.all([pair.linkA, pair.linkB]);
  if (!(la instanceof DataChannelLink) || !(lb instanceof DataChannelLink)) throw new Error('expected DataChannelLinks');
  return { ...pair, la, lb };
}

describe('DataChannelLink over a real @roamhq/wrtc channel', () => {
  it('queues instead of overfilling the channel buffer, and delivers everything in order', async () => {
    const { la, lb } = await openLinks();
    const got = collect(lb);
    const burst = 600; // 600 × 16 KiB ≈ 9.4 MiB, far more than the 1 MiB high-water mark
    let maxBuffered = 0;
    let maxQueued = 0;
    let count = 0;
    // @roamhq/wrtc updates bufferedAmount from its network thread: on a loaded machine one burst can drain as fast as
    // it is sent. Up to three bursts: the queue must engage in one of them.
    for (let round = 0; round < 3 && maxQueued === 0; round++) {
      for (let i = 0; i < burst; i++, count++) {
        const m = new Uint8Array(16 * 1024);
        m[0] = 0; m[1] = count & 0xff; m[2] = count >> 8;
        la.send(m);
        maxBuffered = Math.max(maxBuffered, la.channel.bufferedAmount);
        maxQueued = Math.max(maxQueued, la.queuedFrames);
      }
    }
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(BUFFERED_HIGH_WATER_BYTES + 16 * 1024);
    await waitUntil(() => got.length === count, `${count} queued messages delivered`, 30_000);
    expect(got.every((m, i) => m.length === 16 * 1024 && m[1] === (i & 0xff) && m[2] === i >> 8)).toBe(true);
    expect(la.queuedFrames).toBe(0);
  });

  it('sends a small message that starts with the chunk type intact', async () => {
    const { la, lb } = await openLinks();
    const got = collect(lb);
    la.send(new Uint8Array([MESSAGE_CHUNK, 1, 2]));
    la.send(new Uint8Array([]));
    la.send(new Uint8Array([0, 9]));
    await waitUntil(() => got.length === 2, 'messages');
    expect(got.map((m) => Array.from(m))).toEqual([[MESSAGE_CHUNK, 1, 2], [0, 9]]);
  });

  it('drops hostile frames with a reason and keeps the link working', async () => {
    const { la, lb, logs } = await openLinks();
    const got = collect(lb);
    const raw = la.channel;
    raw.send(chunkFrame(0, 0, 1_000_000_000));        // count implies a message over 64 MiB
    raw.send(chunkFrame(0, 5, 3));                    // index ≥ count
    raw.send(chunkFrame(7, 0, 2));                    // wrong message id
    raw.send(new Uint8Array([MESSAGE_CHUNK, 0x80]));   // truncated header
    raw.send('text is not a peer message');
    // A legitimate chunked message and a plain one afterwards still arrive.
    const big = new Uint8Array(3 * CHUNK_PAYLOAD_BYTES).map((_, i) => i & 0xff);
    la.send(big);
    la.send(new Uint8Array([1, 2, 3]));
    await waitUntil(() => got.length === 2, 'messages after hostile frames');
    expect(Buffer.from(got[0]!).equals(Buffer.from(big))).toBe(true);
    expect(Array.from(got[1]!)).toEqual([1, 2, 3]);
    const dropped = logs.filter((l) => l.startsWith('b: from peer-a:'));
    expect(dropped).toHaveLength(5);
    expect(dropped.join('\n')).toMatch(/over the 67108864-byte limit/);
    expect(dropped.join('\n')).toMatch(/index 5 ≥ count 3/);
    expect(dropped.join('\n')).toMatch(/non-binary/);
  });

  it('never delivers a message whose chunks were incomplete when the link closed', async () => {
    const { a, la, lb } = await openLinks();
    const got = collect(lb);
    let closed = false;
    lb.onClose(() => { closed = true; });
    const frames = encodeChunks(new Uint8Array(3 * CHUNK_PAYLOAD_BYTES), 0);
    la.channel.send(frames[0] as Uint8Array<ArrayBuffer>);
    la.channel.send(frames[1] as Uint8Array<ArrayBuffer>);
    // A plain message is delivered even mid-sequence (our own sender never interleaves): proves the link still reads.
    la.channel.send(new Uint8Array([0, 1]));
    await waitUntil(() => got.length === 1, 'plain message');
    a.close();
    await waitUntil(() => closed, 'link closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((m) => Array.from(m))).toEqual([[0, 1]]);
  });
});
