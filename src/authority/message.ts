import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MESSAGE_SIGNED_CONTROL } from '../protocol/messageTypes.js';

/**
 * Wraps signed control bytes (from `encodeSignedControl` or `ControlState.issue`) as a peer message:
 * `varUint MESSAGE_SIGNED_CONTROL · varUint8Array signed`. Forwarders pass it on unchanged.
 */
export function encodeControlMessage(signed: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, MESSAGE_SIGNED_CONTROL);
  encoding.writeVarUint8Array(enc, signed);
  return encoding.toUint8Array(enc);
}

/** The signed bytes inside a peer message of type MESSAGE_SIGNED_CONTROL, or null for any other or broken message. */
export function decodeControlMessage(message: Uint8Array): Uint8Array | null {
  try {
    const dec = decoding.createDecoder(message);
    if (decoding.readVarUint(dec) !== MESSAGE_SIGNED_CONTROL) return null;
    const signed = decoding.readVarUint8Array(dec);
    return decoding.hasContent(dec) ? null : signed;
  } catch {
    return null;
  }
}
