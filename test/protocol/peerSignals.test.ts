import { describe, expect, it } from 'vitest';
import {
  MAX_CANDIDATE_CHARS, MAX_SDP_CHARS, MAX_SESSION_CHARS, decodePeerSignal, opensSession, signalSession, validatePeerSignal, type PeerSignal,
} from '../../src/protocol/peerSignals.js';

const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n';
const valid: PeerSignal[] = [
  { description: { type: 'offer', sdp }, session: '0123456789abcdef' },
  { description: { type: 'answer', sdp } },
  { candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' }, session: 's' },
  { candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } },
  { candidate: null, session: 'x'.repeat(MAX_SESSION_CHARS) },
  { hello: true, session: 'abc' },
];

function code(data: unknown): string | null {
  const result = decodePeerSignal(data);
  return result.ok ? null : result.code;
}

describe('peer signals', () => {
  it('round-trips every kind through JSON unchanged', () => {
    for (const signal of valid) {
      const result = decodePeerSignal(JSON.parse(JSON.stringify(signal)));
      expect(result).toEqual({ ok: true, value: signal });
      expect(validatePeerSignal(signal)).toBeNull();
    }
  });

  it('refuses wrong types with a typed code', () => {
    expect(code(null)).toBe('not-object');
    expect(code(42)).toBe('not-object');
    expect(code('hello')).toBe('not-object');
    expect(code([{ hello: true }])).toBe('not-object');
    expect(code({})).toBe('unknown-kind');
    expect(code({ session: 'a' })).toBe('unknown-kind');
    expect(code({ description: 'offer' })).toBe('bad-description');
    expect(code({ description: { type: 'rollback', sdp } })).toBe('bad-description');
    expect(code({ description: { type: 'pranswer', sdp } })).toBe('bad-description');
    expect(code({ description: { type: 'offer' } })).toBe('bad-sdp');
    expect(code({ description: { type: 'offer', sdp: 7 } })).toBe('bad-sdp');
    expect(code({ candidate: 7 })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: 5 } })).toBe('bad-candidate');
    expect(code({ candidate: { sdpMid: '0' } })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: '', sdpMid: 0 } })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: '', sdpMLineIndex: 1.5 } })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: '', sdpMLineIndex: -1 } })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: '', usernameFragment: {} } })).toBe('bad-candidate');
    expect(code({ hello: 'yes' })).toBe('bad-hello');
    expect(code({ hello: true, session: 5 })).toBe('bad-session');
    expect(code({ hello: true, session: '' })).toBe('bad-session');
    expect(validatePeerSignal({ hello: 1 })).toEqual({ code: 'bad-hello', reason: expect.any(String) as string });
  });

  it('refuses oversize fields', () => {
    expect(code({ description: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_CHARS) } })).toBeNull();
    expect(code({ description: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_CHARS + 1) } })).toBe('bad-sdp');
    expect(code({ candidate: { candidate: 'c'.repeat(MAX_CANDIDATE_CHARS + 1) } })).toBe('bad-candidate');
    expect(code({ candidate: { candidate: '', sdpMid: 'm'.repeat(257) } })).toBe('bad-candidate');
    expect(code({ hello: true, session: 's'.repeat(MAX_SESSION_CHARS + 1) })).toBe('bad-session');
  });

  it('refuses truncated and ambiguous signals', () => {
    expect(code({ description: {} })).toBe('bad-description');
    expect(code({ description: null })).toBe('bad-description');
    expect(code({ description: { type: 'offer', sdp: '' } })).toBe('bad-sdp');
    expect(code(JSON.parse('{"candidate":{}}'))).toBe('bad-candidate');
    expect(code({ description: { type: 'offer', sdp }, candidate: null })).toBe('ambiguous');
    expect(code({ hello: true, candidate: null })).toBe('ambiguous');
  });

  it('drops extra fields, so nothing a peer adds reaches the RTCPeerConnection', () => {
    const result = decodePeerSignal({
      description: { type: 'offer', sdp, extra: 'x'.repeat(1000) }, session: 'abc', __proto__: { hello: true }, toString: 'nope', more: [1, 2],
    });
    expect(result).toEqual({ ok: true, value: { description: { type: 'offer', sdp }, session: 'abc' } });
    const candidate = decodePeerSignal({ candidate: { candidate: 'c', sdpMid: '0', foo: 1 } });
    expect(candidate).toEqual({ ok: true, value: { candidate: { candidate: 'c', sdpMid: '0' } } });
  });

  it('reads the session and tells signals that open a session', () => {
    expect(signalSession({ hello: true, session: 'abc' })).toBe('abc');
    expect(signalSession({ hello: true, session: 7 })).toBeNull();
    expect(signalSession(null)).toBeNull();
    expect(opensSession({ hello: true })).toBe(true);
    expect(opensSession({ description: { type: 'offer', sdp } })).toBe(true);
    expect(opensSession({ description: { type: 'answer', sdp } })).toBe(false);
    expect(opensSession({ candidate: null })).toBe(false);
  });
});
