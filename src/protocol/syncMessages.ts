/**
 * Encode / decode / validate the sync engine's own envelopes: ROUTED (16) and TOPOLOGY (18).
 * Byte layouts are documented in PROTOCOL.md, section 2 "Routing".
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { MESSAGE_ROUTED, MESSAGE_TOPOLOGY } from './messageTypes.js';

/** Longest accepted peer id (UTF-8 characters as read by lib0). Longer ids are rejected as malformed. */
export const MAX_PEER_ID_LENGTH = 256;
/** Most neighbours a TOPOLOGY message may list; protects receivers from memory blow-ups. */
export const MAX_TOPOLOGY_NEIGHBOURS = 4096;

/** A message forwarded hop by hop along the origin-rooted tree. */
export interface RoutedEnvelope {
  /** Peer id of the peer that created the message. */
  origin: string;
  /** Per-origin sequence number; (origin, seq) identifies the message for deduplication. */
  seq: number;
  /** The carried message, itself starting with a varUint message type (0 sync, 1 awareness, or an application channel). */
  inner: Uint8Array;
}

/** A peer's current neighbour set, flooded (with deduplication by version) whenever its links change. */
export interface TopologyMessage {
  /** Peer id whose neighbours are listed. */
  origin: string;
  /** Increases with every change of the origin's neighbour set; receivers keep only the highest. */
  version: number;
  /** Peer ids the origin currently has a link to. */
  neighbours: string[];
}

/** Result of a validating decode: never throws, a reason string on failure. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Reads the leading varUint message type, or `undefined` if the message is empty/truncated. */
export function readMessageType(message: Uint8Array): number | undefined {
  try {
    return decoding.readVarUint(decoding.createDecoder(message));
  } catch {
    return undefined;
  }
}

/** Encodes a ROUTED envelope, message type included. */
export function encodeRouted(envelope: RoutedEnvelope): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_ROUTED);
  encoding.writeVarString(encoder, envelope.origin);
  encoding.writeVarUint(encoder, envelope.seq);
  encoding.writeVarUint8Array(encoder, envelope.inner);
  return encoding.toUint8Array(encoder);
}

/** Encodes a TOPOLOGY message, message type included. */
export function encodeTopology(message: TopologyMessage): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_TOPOLOGY);
  encoding.writeVarString(encoder, message.origin);
  encoding.writeVarUint(encoder, message.version);
  encoding.writeVarUint(encoder, message.neighbours.length);
  for (const n of message.neighbours) encoding.writeVarString(encoder, n);
  return encoding.toUint8Array(encoder);
}

/** Whether `id` is an acceptable peer id on the wire (1–256 characters). */
export function validPeerId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_PEER_ID_LENGTH;
}

/** Decodes and validates a ROUTED envelope (the whole message, type included). Trailing bytes are an error. */
export function decodeRouted(message: Uint8Array): DecodeResult<RoutedEnvelope> {
  try {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_ROUTED) return { ok: false, reason: 'not a routed message' };
    const origin = decoding.readVarString(decoder);
    if (!validPeerId(origin)) return { ok: false, reason: 'routed: invalid origin' };
    const seq = decoding.readVarUint(decoder);
    if (!Number.isSafeInteger(seq)) return { ok: false, reason: 'routed: invalid seq' };
    const inner = decoding.readVarUint8Array(decoder);
    if (inner.length === 0) return { ok: false, reason: 'routed: empty inner message' };
    if (decoding.hasContent(decoder)) return { ok: false, reason: 'routed: trailing bytes' };
    // Copy so the envelope does not pin (or alias) the transport's receive buffer.
    return { ok: true, value: { origin, seq, inner: inner.slice() } };
  } catch (err) {
    return { ok: false, reason: `routed: truncated or malformed (${errorText(err)})` };
  }
}

/** Decodes and validates a TOPOLOGY message (the whole message, type included). Trailing bytes are an error. */
export function decodeTopology(message: Uint8Array): DecodeResult<TopologyMessage> {
  try {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_TOPOLOGY) return { ok: false, reason: 'not a topology message' };
    const origin = decoding.readVarString(decoder);
    if (!validPeerId(origin)) return { ok: false, reason: 'topology: invalid origin' };
    const version = decoding.readVarUint(decoder);
    if (!Number.isSafeInteger(version)) return { ok: false, reason: 'topology: invalid version' };
    const count = decoding.readVarUint(decoder);
    if (count > MAX_TOPOLOGY_NEIGHBOURS) return { ok: false, reason: 'topology: too many neighbours' };
    const neighbours: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = decoding.readVarString(decoder);
      if (!validPeerId(n)) return { ok: false, reason: 'topology: invalid neighbour id' };
      neighbours.push(n);
    }
    if (decoding.hasContent(decoder)) return { ok: false, reason: 'topology: trailing bytes' };
    return { ok: true, value: { origin, version, neighbours } };
  } catch (err) {
    return { ok: false, reason: `topology: truncated or malformed (${errorText(err)})` };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
