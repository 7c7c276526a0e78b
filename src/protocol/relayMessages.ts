/**
 * Reading what a signaling relay sends a client (PROTOCOL.md §1.1): one JSON object per text frame. The relay
 * may be any y-webrtc-compatible server, so everything is validated and unknown message types are passed over.
 */
import { rejectWith, type CodecResult } from './codecResult.js';
import type { IceServerConfig, SignalingErrorCode } from './signaling.js';

/** The `error` codes a peerclass relay sends (`SignalingErrorCode`), as a runtime list. */
export const SIGNALING_ERROR_CODES = [
  'malformed', 'binary-unsupported', 'unknown-type', 'too-large', 'rate-limited', 'too-many-topics', 'topic-full', 'unauthorized', 'internal',
] as const satisfies readonly SignalingErrorCode[];

/** Longest accepted relay error message (characters); longer ones are cut. */
export const MAX_RELAY_ERROR_MESSAGE_CHARS = 1024;

/** A relay message as a client reads it. An `error` keeps the relay's raw code, which a newer relay may extend. */
export type RelayMessage =
  | { type: 'publish'; topic: string; data: unknown }
  | { type: 'pong' }
  | { type: 'error'; code: string; knownCode: SignalingErrorCode | null; message: string }
  | { type: 'ice-servers'; iceServers: IceServerConfig[] };

/** Why a relay frame was not understood. */
export type RelayMessageRejectCode = 'not-json' | 'not-object' | 'unknown-type' | 'malformed';

/**
 * Parses one text frame from a relay. Malformed ICE server entries are dropped (the rest are kept); unknown
 * message types are refused with `unknown-type`, which clients should ignore (a future relay may send them).
 */
export function decodeRelayMessage(text: string): CodecResult<RelayMessage, RelayMessageRejectCode> {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return rejectWith('not-json', 'relay frame is not JSON'); }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return rejectWith('not-object', 'relay frame is not an object');
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'publish':
      if (typeof m.topic !== 'string') return rejectWith('malformed', 'publish without a topic');
      return { ok: true, value: { type: 'publish', topic: m.topic, data: m.data } };
    case 'pong':
      return { ok: true, value: { type: 'pong' } };
    case 'error': {
      const code = typeof m.code === 'string' ? m.code.slice(0, 64) : 'unknown';
      const message = typeof m.message === 'string' ? m.message.slice(0, MAX_RELAY_ERROR_MESSAGE_CHARS) : '';
      return { ok: true, value: { type: 'error', code, knownCode: isSignalingErrorCode(code) ? code : null, message } };
    }
    case 'ice-servers':
      if (!Array.isArray(m.iceServers)) return rejectWith('malformed', 'ice-servers without a list');
      return { ok: true, value: { type: 'ice-servers', iceServers: m.iceServers.flatMap(readIceServer) } };
    default:
      return rejectWith('unknown-type', `relay message type ${String(m.type)} not known`);
  }
}

/** True for the error codes of {@link SIGNALING_ERROR_CODES}. */
export function isSignalingErrorCode(value: unknown): value is SignalingErrorCode {
  return typeof value === 'string' && (SIGNALING_ERROR_CODES as readonly string[]).includes(value);
}

/** A clean copy of one well-formed ICE server entry (so unknown fields never reach RTCPeerConnection), or none. */
function readIceServer(value: unknown): IceServerConfig[] {
  if (typeof value !== 'object' || value === null) return [];
  const { urls, username, credential } = value as Record<string, unknown>;
  const urlsOk = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
  if (!urlsOk || (username !== undefined && typeof username !== 'string') || (credential !== undefined && typeof credential !== 'string')) return [];
  const server: IceServerConfig = { urls: Array.isArray(urls) ? [...(urls as string[])] : urls as string };
  if (username !== undefined) server.username = username as string;
  if (credential !== undefined) server.credential = credential as string;
  return [server];
}
