import { describe, expect, it } from 'vitest';
import {
  MAX_SEALED_CHARS, MAX_SIGNALING_PEER_ID_CHARS, SEALED_IV_BYTES, SEALED_TAG_BYTES,
  decodePublishEnvelope, decodeSealedBox, decodeSealedPayload, encodeSealedBox, encodeSealedPayload, type SealedSignalingPayload,
} from '../../src/protocol/sealedSignaling.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
function payloadCode(json: string): string | null {
  const result = decodeSealedPayload(utf8(json));
  return result.ok ? null : result.code;
}

describe('sealed signaling: envelope', () => {
  it('accepts {from, sealed} and keeps only those fields', () => {
    expect(decodePublishEnvelope({ from: 'alice', sealed: 'AAAA', extra: 1 })).toEqual({ ok: true, value: { from: 'alice', sealed: 'AAAA' } });
  });

  it('refuses wrong types, oversize and missing fields', () => {
    const code = (data: unknown): string | null => { const r = decodePublishEnvelope(data); return r.ok ? null : r.code; };
    expect(code(null)).toBe('not-object');
    expect(code('x')).toBe('not-object');
    expect(code([])).toBe('not-object');
    expect(code({ sealed: 'AAAA' })).toBe('bad-from');
    expect(code({ from: '', sealed: 'AAAA' })).toBe('bad-from');
    expect(code({ from: 7, sealed: 'AAAA' })).toBe('bad-from');
    expect(code({ from: 'a'.repeat(MAX_SIGNALING_PEER_ID_CHARS + 1), sealed: 'AAAA' })).toBe('bad-from');
    expect(code({ from: 'alice' })).toBe('bad-sealed');
    expect(code({ from: 'alice', sealed: 5 })).toBe('bad-sealed');
    expect(code({ from: 'alice', sealed: 'A'.repeat(MAX_SEALED_CHARS + 4) })).toBe('bad-sealed');
  });
});

describe('sealed signaling: box', () => {
  it('round-trips iv and ciphertext through base64', () => {
    const iv = new Uint8Array(SEALED_IV_BYTES).map((_, i) => i);
    const ciphertext = new Uint8Array(SEALED_TAG_BYTES + 100).map((_, i) => 255 - (i % 256));
    const sealed = encodeSealedBox({ iv, ciphertext });
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodeSealedBox(sealed)).toEqual({ ok: true, value: { iv, ciphertext } });
  });

  it('refuses non-base64, truncated and oversize boxes', () => {
    const code = (sealed: string): string | null => { const r = decodeSealedBox(sealed); return r.ok ? null : r.code; };
    expect(code('not base64!')).toBe('bad-sealed');
    expect(code('AAA')).toBe('bad-sealed'); // length not a multiple of 4
    expect(code('AA\nA')).toBe('bad-sealed'); // atob would accept the whitespace
    expect(code('A'.repeat(MAX_SEALED_CHARS + 4))).toBe('bad-sealed');
    expect(code('')).toBe('truncated');
    expect(code(encodeSealedBox({ iv: new Uint8Array(SEALED_IV_BYTES), ciphertext: new Uint8Array(SEALED_TAG_BYTES - 1) }))).toBe('truncated');
    expect(code(encodeSealedBox({ iv: new Uint8Array(SEALED_IV_BYTES), ciphertext: new Uint8Array(SEALED_TAG_BYTES) }))).toBeNull();
  });
});

describe('sealed signaling: payload', () => {
  it('round-trips announces and signals', () => {
    const payloads: SealedSignalingPayload[] = [
      { kind: 'announce', from: 'alice', info: { name: 'Alice', role: 'teacher' } },
      { kind: 'announce', from: 'alice', info: null, to: 'bob' },
      { kind: 'signal', from: 'alice', to: 'bob', data: { candidate: null, session: 'abc' } },
      { kind: 'signal', from: 'alice', to: 'bob', data: null },
    ];
    for (const payload of payloads) expect(decodeSealedPayload(encodeSealedPayload(payload))).toEqual({ ok: true, value: payload });
  });

  it('encodes only the known fields and reads a missing announce info as null', () => {
    const withExtra = { kind: 'signal', from: 'a', to: 'b', data: 1, secret: 'leak' } as SealedSignalingPayload;
    expect(new TextDecoder().decode(encodeSealedPayload(withExtra))).toBe('{"kind":"signal","from":"a","to":"b","data":1}');
    expect(decodeSealedPayload(utf8('{"kind":"announce","from":"a","extra":[1,2]}'))).toEqual({ ok: true, value: { kind: 'announce', from: 'a', info: null } });
  });

  it('refuses wrong types, truncated JSON and bad UTF-8', () => {
    expect(payloadCode('{"kind":"announce","from":"a"')).toBe('not-json');
    expect(payloadCode('')).toBe('not-json');
    expect(decodeSealedPayload(new Uint8Array([0x7b, 0xff, 0x7d])).ok).toBe(false);
    expect(payloadCode('[1]')).toBe('not-object');
    expect(payloadCode('"announce"')).toBe('not-object');
    expect(payloadCode('{"kind":"announce"}')).toBe('bad-from');
    expect(payloadCode('{"kind":"announce","from":7}')).toBe('bad-from');
    expect(payloadCode(`{"kind":"announce","from":"${'a'.repeat(MAX_SIGNALING_PEER_ID_CHARS + 1)}"}`)).toBe('bad-from');
    expect(payloadCode('{"kind":"announce","from":"a","to":""}')).toBe('bad-to');
    expect(payloadCode('{"kind":"signal","from":"a","data":1}')).toBe('bad-to');
    expect(payloadCode('{"kind":"signal","from":"a","to":"b"}')).toBe('missing-data');
    expect(payloadCode('{"kind":"leave","from":"a"}')).toBe('unknown-kind');
    expect(payloadCode('{"from":"a"}')).toBe('unknown-kind');
  });
});
