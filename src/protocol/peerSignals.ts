/**
 * Peer signals: what one peer sends another, sealed inside signaling, to set up and renegotiate their WebRTC
 * connection (PROTOCOL.md §1, "Peer signals"). JSON objects; this module validates what arrives and returns a
 * clean copy holding only known fields, so nothing a peer adds reaches the RTCPeerConnection.
 */
import { rejectWith, type CodecResult } from './codecResult.js';

/** Longest accepted SDP (characters). Real ones are a few KiB; the bound stops a peer from making us parse megabytes. */
export const MAX_SDP_CHARS = 256 * 1024;
/** Longest accepted ICE candidate line (characters). */
export const MAX_CANDIDATE_CHARS = 4096;
/** Longest accepted `sdpMid` / `usernameFragment` (RFC 8839 bounds a ufrag to 256 characters). */
export const MAX_CANDIDATE_FIELD_CHARS = 256;
/** Longest accepted connection session id (ours are 16 hex characters). */
export const MAX_SESSION_CHARS = 64;

/** The description types a peer may send; rollback and pranswer are local-only operations here. */
export type SignalSdpType = 'offer' | 'answer';
/** A session description as carried in a signal (the shape `RTCSessionDescription.toJSON()` gives). */
export interface SignalDescription { type: SignalSdpType; sdp: string }
/** An ICE candidate as carried in a signal (a subset of `RTCIceCandidateInit` with `candidate` required). */
export interface SignalCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}
/** A session description in a signal. */
export interface DescriptionSignal { description: SignalDescription }
/** An ICE candidate in a signal; `null` marks the end of candidates. */
export interface CandidateSignal { candidate: SignalCandidate | null }
/** Sent by the polite side instead of a first offer: "I am ready, please offer". */
export interface HelloSignal { hello: true }
/**
 * One peer signal. `session` is the sending connection's random id: it tells a fresh connection from the remote
 * apart from an old one.
 */
export type PeerSignal = (DescriptionSignal | CandidateSignal | HelloSignal) & { session?: string };

/** Why a peer signal was refused. */
export type PeerSignalRejectCode =
  | 'not-object'      // not a JSON object
  | 'unknown-kind'    // none of description / candidate / hello
  | 'ambiguous'       // more than one of them
  | 'bad-description' // description not an object, or a type other than offer/answer
  | 'bad-sdp'         // sdp missing, empty or longer than MAX_SDP_CHARS
  | 'bad-candidate'   // candidate fields of the wrong type or too long
  | 'bad-hello'       // hello other than `true`
  | 'bad-session';    // session not a string of 1…MAX_SESSION_CHARS characters

/** A refused signal: a typed code and a reason for logs. */
export interface PeerSignalRejection { code: PeerSignalRejectCode; reason: string }

/** Result of {@link decodePeerSignal}. */
export type PeerSignalDecodeResult = CodecResult<PeerSignal, PeerSignalRejectCode>;

/**
 * Validates a signal from the network and returns a copy with only the known fields (unknown ones are dropped,
 * so a newer peer may add fields). Never throws.
 */
export function decodePeerSignal(data: unknown): PeerSignalDecodeResult {
  if (!isRecord(data)) return rejectWith('not-object', 'signal is not an object');
  const kinds = ['description', 'candidate', 'hello'].filter((k) => Object.hasOwn(data, k));
  if (kinds.length === 0) return rejectWith('unknown-kind', 'signal has neither description, candidate nor hello');
  if (kinds.length > 1) return rejectWith('ambiguous', `signal carries ${kinds.join(' and ')}`);
  const session = data.session;
  if (session !== undefined && !isSession(session)) return rejectWith('bad-session', 'session is not a short string');
  const withSession = <S extends DescriptionSignal | CandidateSignal | HelloSignal>(signal: S): PeerSignalDecodeResult =>
    ({ ok: true, value: session === undefined ? signal : { ...signal, session } });

  if (kinds[0] === 'description') {
    const description = data.description;
    if (!isRecord(description)) return rejectWith('bad-description', 'description is not an object');
    const { type, sdp } = description;
    if (type !== 'offer' && type !== 'answer') return rejectWith('bad-description', `description type ${String(type)} not accepted`);
    if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_CHARS) return rejectWith('bad-sdp', 'description sdp missing or too large');
    return withSession({ description: { type, sdp } });
  }
  if (kinds[0] === 'candidate') {
    const candidate = data.candidate;
    if (candidate === null) return withSession({ candidate: null });
    const decoded = decodeCandidate(candidate);
    return typeof decoded === 'string' ? rejectWith('bad-candidate', decoded) : withSession({ candidate: decoded });
  }
  return data.hello === true ? withSession({ hello: true }) : rejectWith('bad-hello', 'hello is not true');
}

/** Validates a signal; returns why it is refused, or null when it is well formed. */
export function validatePeerSignal(data: unknown): PeerSignalRejection | null {
  const result = decodePeerSignal(data);
  return result.ok ? null : { code: result.code, reason: result.reason };
}

/** The sending connection's session id carried by a signal, or null when it has none or is malformed. */
export function signalSession(data: unknown): string | null {
  if (!isRecord(data)) return null;
  return isSession(data.session) ? data.session : null;
}

/** True for the signals that open a connection (an offer, or the polite side's hello): a new session starts with one. */
export function opensSession(signal: PeerSignal): boolean {
  if ('hello' in signal) return true;
  return 'description' in signal && signal.description.type === 'offer';
}

function decodeCandidate(value: unknown): SignalCandidate | string {
  if (!isRecord(value)) return 'candidate is not an object';
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = value;
  if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_CHARS) return 'candidate string missing or too large';
  const out: SignalCandidate = { candidate };
  if (sdpMid !== undefined) {
    if (sdpMid !== null && !isShortString(sdpMid)) return 'candidate sdpMid not a short string';
    out.sdpMid = sdpMid;
  }
  if (sdpMLineIndex !== undefined) {
    if (sdpMLineIndex !== null && (typeof sdpMLineIndex !== 'number' || !Number.isInteger(sdpMLineIndex) || sdpMLineIndex < 0 || sdpMLineIndex > 0xffff)) {
      return 'candidate sdpMLineIndex not an integer in 0…65535';
    }
    out.sdpMLineIndex = sdpMLineIndex;
  }
  if (usernameFragment !== undefined) {
    if (usernameFragment !== null && !isShortString(usernameFragment)) return 'candidate usernameFragment not a short string';
    out.usernameFragment = usernameFragment;
  }
  return out;
}

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CANDIDATE_FIELD_CHARS;
}

function isSession(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SESSION_CHARS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
