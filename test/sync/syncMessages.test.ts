import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeRouted, decodeTopology, encodeRouted, encodeTopology, readMessageType, MAX_PEER_ID_LENGTH,
} from '../../src/protocol/syncMessages.js';
import { MESSAGE_ROUTED, MESSAGE_TOPOLOGY } from '../../src/protocol/messageTypes.js';

const peer = fc.string({ minLength: 1, maxLength: 40 });

describe('ROUTED / TOPOLOGY codecs', () => {
  it('round-trip any valid envelope', () => {
    fc.assert(fc.property(peer, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 200 }), (origin, seq, inner) => {
      const bytes = encodeRouted({ origin, seq, inner });
      expect(readMessageType(bytes)).toBe(MESSAGE_ROUTED);
      expect(decodeRouted(bytes)).toEqual({ ok: true, value: { origin, seq, inner } });
    }), { seed: 1 });
    fc.assert(fc.property(peer, fc.nat(), fc.array(peer, { maxLength: 20 }), (origin, version, neighbours) => {
      const bytes = encodeTopology({ origin, version, neighbours });
      expect(readMessageType(bytes)).toBe(MESSAGE_TOPOLOGY);
      expect(decodeTopology(bytes)).toEqual({ ok: true, value: { origin, version, neighbours } });
    }), { seed: 1 });
  });

  it('rejects every strict prefix and any trailing byte', () => {
    const routed = encodeRouted({ origin: 'teacher', seq: 300, inner: Uint8Array.of(0, 2, 3, 1, 2, 3) });
    const topo = encodeTopology({ origin: 'teacher', version: 9, neighbours: ['a', 'bb', 'ccc'] });
    for (let i = 0; i < routed.length; i++) expect(decodeRouted(routed.slice(0, i)).ok).toBe(false);
    for (let i = 0; i < topo.length; i++) expect(decodeTopology(topo.slice(0, i)).ok).toBe(false);
    expect(decodeRouted(Uint8Array.from([...routed, 0])).ok).toBe(false);
    expect(decodeTopology(Uint8Array.from([...topo, 0])).ok).toBe(false);
  });

  it('rejects wrong types, empty/over-long ids, empty inner messages, and never throws on random bytes', () => {
    expect(decodeRouted(encodeTopology({ origin: 'a', version: 1, neighbours: [] })).ok).toBe(false);
    expect(decodeTopology(encodeRouted({ origin: 'a', seq: 1, inner: Uint8Array.of(0) })).ok).toBe(false);
    expect(decodeRouted(encodeRouted({ origin: '', seq: 1, inner: Uint8Array.of(0) })).ok).toBe(false);
    expect(decodeRouted(encodeRouted({ origin: 'x'.repeat(MAX_PEER_ID_LENGTH + 1), seq: 1, inner: Uint8Array.of(0) })).ok).toBe(false);
    expect(decodeRouted(encodeRouted({ origin: 'a', seq: 1, inner: new Uint8Array(0) })).ok).toBe(false);
    expect(decodeTopology(encodeTopology({ origin: 'a', version: 1, neighbours: [''] })).ok).toBe(false);
    expect(readMessageType(new Uint8Array(0))).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const r = decodeRouted(bytes);
      const t = decodeTopology(bytes);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
      if (!t.ok) expect(t.reason.length).toBeGreaterThan(0);
    }), { seed: 2, numRuns: 500 });
  });
});
