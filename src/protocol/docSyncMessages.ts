import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MESSAGE_SYNC } from './messageTypes.js';
import type { DecodeResult } from './syncMessages.js';

/**
 * Document sync messages (peer message type 0), y-protocols' sync framing: `varUint 0 · varUint kind ·
 * varUint8Array payload`. Sent directly between neighbours (step 1 / step 2 anti-entropy) and, as an `update`,
 * inside ROUTED envelopes. PROTOCOL.md §2; implemented by sync/docSync.ts.
 */

/** Sync step 1: the sender's state vector. */
export const SYNC_STEP1 = 0;
/** Sync step 2: what the receiver of a step 1 lacks. */
export const SYNC_STEP2 = 1;
/** An update (routed). */
export const SYNC_UPDATE = 2;

/** The kind of a sync message. */
export type SyncKind = 'step1' | 'step2' | 'update';

/** A decoded sync message. */
export interface SyncMessage {
  kind: SyncKind;
  /** A state vector (step 1) or a Yjs update (step 2, update). */
  payload: Uint8Array;
}

const KIND_NUMBERS: Record<SyncKind, number> = { step1: SYNC_STEP1, step2: SYNC_STEP2, update: SYNC_UPDATE };
const KINDS: readonly SyncKind[] = ['step1', 'step2', 'update'];

/** Encodes a sync message. */
export function encodeSyncMessage(kind: SyncKind, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, KIND_NUMBERS[kind]);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/**
 * Decodes a sync message and checks its payload fully (a state vector must parse; an update must decode), so
 * nothing malformed ever reaches `Y.applyUpdate`, which could half-apply it.
 */
export function decodeSyncMessage(message: Uint8Array): DecodeResult<SyncMessage> {
  let kind: SyncKind | undefined;
  let payload: Uint8Array;
  try {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return { ok: false, reason: 'not a sync message' };
    const number = decoding.readVarUint(decoder);
    kind = KINDS[number];
    if (kind === undefined) return { ok: false, reason: `sync: unknown sync message type ${number}` };
    payload = decoding.readVarUint8Array(decoder);
    if (decoding.hasContent(decoder)) return { ok: false, reason: 'sync: trailing bytes' };
  } catch {
    return { ok: false, reason: 'sync: truncated or malformed' };
  }
  try {
    if (kind === 'step1') Y.decodeStateVector(payload);
    else Y.decodeUpdate(payload);
  } catch {
    return { ok: false, reason: kind === 'step1' ? 'sync step 1: malformed state vector' : 'sync: malformed update' };
  }
  return { ok: true, value: { kind, payload } };
}
