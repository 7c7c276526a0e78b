import { describe, expect, it } from 'vitest';
import { MAX_RELAY_ERROR_MESSAGE_CHARS, decodeRelayMessage, isSignalingErrorCode } from '../../src/protocol/relayMessages.js';

function code(text: string): string | null {
  const result = decodeRelayMessage(text);
  return result.ok ? null : result.code;
}

describe('relay messages', () => {
  it('reads publish, pong, error and ice-servers', () => {
    expect(decodeRelayMessage('{"type":"publish","topic":"t","data":{"x":1},"clients":2}')).toEqual({ ok: true, value: { type: 'publish', topic: 't', data: { x: 1 } } });
    expect(decodeRelayMessage('{"type":"pong"}')).toEqual({ ok: true, value: { type: 'pong' } });
    expect(decodeRelayMessage('{"type":"error","code":"unauthorized","message":"no token"}'))
      .toEqual({ ok: true, value: { type: 'error', code: 'unauthorized', knownCode: 'unauthorized', message: 'no token' } });
    expect(decodeRelayMessage('{"type":"error","code":"from-the-future","message":"?"}'))
      .toEqual({ ok: true, value: { type: 'error', code: 'from-the-future', knownCode: null, message: '?' } });
    const servers = decodeRelayMessage(JSON.stringify({ type: 'ice-servers', iceServers: [
      { urls: 'stun:h:3478' }, { urls: ['turn:h:3478'], username: 'u', credential: 'c', extra: true }, { urls: 5 }, null, { urls: [] }, { urls: 'x', username: 1 },
    ] }));
    expect(servers).toEqual({ ok: true, value: { type: 'ice-servers', iceServers: [{ urls: 'stun:h:3478' }, { urls: ['turn:h:3478'], username: 'u', credential: 'c' }] } });
  });

  it('refuses what is not a relay message, and bounds error text', () => {
    expect(code('not json')).toBe('not-json');
    expect(code('{"type":"publish"')).toBe('not-json');
    expect(code('[1]')).toBe('not-object');
    expect(code('null')).toBe('not-object');
    expect(code('{"type":"publish","data":1}')).toBe('malformed');
    expect(code('{"type":"ice-servers","iceServers":"stun:x"}')).toBe('malformed');
    expect(code('{"type":"announce"}')).toBe('unknown-type');
    expect(code('{}')).toBe('unknown-type');
    const long = decodeRelayMessage(JSON.stringify({ type: 'error', code: 7, message: 'm'.repeat(5000) }));
    expect(long.ok && long.value.type === 'error' && long.value.message.length).toBe(MAX_RELAY_ERROR_MESSAGE_CHARS);
    expect(long.ok && long.value.type === 'error' && long.value.knownCode).toBeNull();
    expect(isSignalingErrorCode('rate-limited')).toBe(true);
    expect(isSignalingErrorCode('toString')).toBe(false);
  });
});
