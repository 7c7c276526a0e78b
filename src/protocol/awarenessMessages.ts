import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MESSAGE_AWARENESS } from './messageTypes.js';
import type { DecodeResult } from './syncMessages.js';

/**
 * Awareness messages (peer message type 1) as carried inside ROUTED envelopes: `varUint 1 · varUint8Array update`,
 * where `update` is y-protocols' awareness update. PROTOCOL.md §2; implemented by sync/awarenessSync.ts.
 */

/** Most awareness clients one message may carry. */
export const MAX_AWARENESS_CLIENTS = 10_000;

/** A decoded awareness message. */
export interface AwarenessMessage {
  /** The y-protocols awareness update, checked to parse completely. */
  update: Uint8Array;
  /** The awareness client ids it carries. */
  clients: number[];
}

/** Wraps a y-protocols awareness update. */
export function encodeAwarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/**
 * Decodes an awareness message and parses its update completely (y-protocols' own reader would throw half-way
 * through and leave some states applied); every state must be null or a JSON object.
 */
export function decodeAwarenessMessage(message: Uint8Array): DecodeResult<AwarenessMessage> {
  try {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_AWARENESS) return { ok: false, reason: 'not an awareness message' };
    const update = decoding.readVarUint8Array(decoder);
    if (decoding.hasContent(decoder)) return { ok: false, reason: 'awareness: trailing bytes' };
    const clients = readAwarenessClients(update);
    return typeof clients === 'string' ? { ok: false, reason: `awareness: ${clients}` } : { ok: true, value: { update, clients } };
  } catch {
    return { ok: false, reason: 'awareness: truncated or malformed' };
  }
}

function readAwarenessClients(update: Uint8Array): number[] | string {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  if (count > MAX_AWARENESS_CLIENTS) return 'too many clients';
  const clients: number[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    decoding.readVarUint(decoder); // clock
    let state: unknown;
    try { state = JSON.parse(decoding.readVarString(decoder)); } catch { return 'state is not JSON'; }
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) return 'state is not an object';
    clients.push(clientId);
  }
  return decoding.hasContent(decoder) ? 'trailing bytes' : clients;
}
