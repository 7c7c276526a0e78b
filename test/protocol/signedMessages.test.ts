import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { MESSAGE_LINK_HELLO, MESSAGE_SIGNED_ROUTED, MESSAGE_SIGNED_TOPOLOGY } from '../../src/protocol/messageTypes.js';
import {
  decodeLinkHello, decodeSignedRouted, decodeSignedTopology, encodeLinkHello, encodeSignedRouted, encodeSignedTopology,
  helloSigningBytes, routedSigningBytes, topologySigningBytes,
} from '../../src/protocol/signedMessages.js';

const key = (): Uint8Array => { const k = new Uint8Array(65).fill(7); k[0] = 4; return k; };
const sig = (): Uint8Array => new Uint8Array(64).fill(9);
const routed = { origin: 'a1b2', seq: 1_700_000_000_000_123, inner: Uint8Array.of(0, 2, 1, 0), publicKey: key(), signature: sig() };
const topology = { origin: 'a1b2', version: 3, neighbours: ['x', 'y'], publicKey: key(), signature: sig() };

function reasonOf(result: { ok: boolean; reason?: string }): string {
  expect(result.ok).toBe(false);
  return result.reason ?? '';
}

describe('signed envelopes', () => {
  it('round-trip', () => {
    expect(decodeSignedRouted(encodeSignedRouted(routed))).toEqual({ ok: true, value: routed });
    expect(decodeSignedTopology(encodeSignedTopology(topology))).toEqual({ ok: true, value: topology });
    const challenge = { kind: 'challenge' as const, nonce: new Uint8Array(16).fill(1) };
    expect(decodeLinkHello(encodeLinkHello(challenge))).toEqual({ ok: true, value: challenge });
    const response = { kind: 'response' as const, peerId: 'p1', publicKey: key(), signature: sig() };
    expect(decodeLinkHello(encodeLinkHello(response))).toEqual({ ok: true, value: response });
  });

  it('rejects hostile input with a reason, never throwing', () => {
    const valid = encodeSignedRouted(routed);
    const offPoint = encodeSignedRouted({ ...routed, publicKey: new Uint8Array(65).fill(3) });
    const cases: Array<[Uint8Array, (m: Uint8Array) => { ok: boolean; reason?: string }, RegExp]> = [
      [Uint8Array.of(), decodeSignedRouted, /truncated/],
      [Uint8Array.of(MESSAGE_SIGNED_TOPOLOGY), decodeSignedRouted, /not a signed routed/],
      [valid.slice(0, valid.length - 1), decodeSignedRouted, /exactly 65 \+ 64/],
      [Uint8Array.of(...valid, 0), decodeSignedRouted, /exactly 65 \+ 64/],
      [valid.slice(0, 8), decodeSignedRouted, /truncated|exactly/],
      [offPoint, decodeSignedRouted, /uncompressed point/],
      [encodeSignedRouted({ ...routed, inner: new Uint8Array(0) }), decodeSignedRouted, /empty inner/],
      [encodeSignedRouted({ ...routed, origin: '' }), decodeSignedRouted, /invalid origin/],
      [encodeSignedRouted({ ...routed, origin: 'o'.repeat(257) }), decodeSignedRouted, /invalid origin/],
      [Uint8Array.of(...encodeSignedTopology(topology), 1), decodeSignedTopology, /exactly/],
      [(() => { const e = encoding.createEncoder(); encoding.writeVarUint(e, MESSAGE_SIGNED_TOPOLOGY); encoding.writeVarString(e, 'o'); encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 1e9); return encoding.toUint8Array(e); })(), decodeSignedTopology, /too many/],
      [encodeSignedTopology({ ...topology, neighbours: [''] }), decodeSignedTopology, /invalid neighbour/],
      [Uint8Array.of(MESSAGE_LINK_HELLO, 0, 1, 2), decodeLinkHello, /truncated nonce/],
      [Uint8Array.of(MESSAGE_LINK_HELLO, 0, ...new Uint8Array(17)), decodeLinkHello, /trailing/],
      [Uint8Array.of(MESSAGE_LINK_HELLO, 5), decodeLinkHello, /unknown kind/],
      [Uint8Array.of(MESSAGE_LINK_HELLO, 1, 0, ...key(), ...sig()), decodeLinkHello, /invalid peer id/],
    ];
    for (const [bytes, decode, reason] of cases) expect(reasonOf(decode(bytes))).toMatch(reason);
    expect(() => encodeSignedRouted({ ...routed, signature: new Uint8Array(63) })).toThrow(RangeError);
  });

  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(MESSAGE_SIGNED_ROUTED, MESSAGE_SIGNED_TOPOLOGY, MESSAGE_LINK_HELLO), (tail, type) => {
      const bytes = Uint8Array.of(type, ...tail);
      for (const decode of [decodeSignedRouted, decodeSignedTopology, decodeLinkHello]) expect(() => decode(bytes)).not.toThrow();
    }));
  });

  it('signing strings separate domains, contexts and fields', () => {
    const base = routedSigningBytes('class-1', routed);
    const distinct = [
      base,
      routedSigningBytes('class-2', routed),
      routedSigningBytes('class-1', { ...routed, seq: routed.seq + 1 }),
      routedSigningBytes('class-1', { ...routed, origin: 'a1b' }),
      routedSigningBytes('class-1', { ...routed, inner: Uint8Array.of(0, 2, 1, 1) }),
      topologySigningBytes('class-1', topology),
      topologySigningBytes('class-1', { ...topology, neighbours: ['xy'] }),
      helloSigningBytes('class-1', 'a', 'b', new Uint8Array(16)),
      helloSigningBytes('class-1', 'b', 'a', new Uint8Array(16)),
    ].map((b) => Buffer.from(b).toString('hex'));
    expect(new Set(distinct).size).toBe(distinct.length);
  });
});
