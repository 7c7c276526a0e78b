/**
 * Signed mode's envelopes: SIGNED_ROUTED (20), SIGNED_TOPOLOGY (21), LINK_HELLO (22), and the exact byte strings
 * their signatures cover. Byte layouts are in PROTOCOL.md, "Signed mode". Decoders never throw and reject anything
 * not in canonical form (wrong lengths, trailing bytes, a key that is not an uncompressed point).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MESSAGE_LINK_HELLO, MESSAGE_SIGNED_ROUTED, MESSAGE_SIGNED_TOPOLOGY } from './messageTypes.js';
import { MAX_TOPOLOGY_NEIGHBOURS, validPeerId, type DecodeResult, type RoutedEnvelope, type TopologyMessage } from './syncMessages.js';

/** Bytes of a raw uncompressed P-256 public key (0x04 ‖ x ‖ y). */
export const PUBLIC_KEY_BYTES = 65;
/** Bytes of an ECDSA P-256 signature in IEEE P1363 form (r ‖ s). */
export const SIGNATURE_BYTES = 64;
/** Bytes of a link-hello challenge nonce. */
export const HELLO_NONCE_BYTES = 16;

/** Domain tags: one signature can never be taken for another kind of statement. */
export const ROUTED_DOMAIN = 'peerclass/routed/v1';
export const TOPOLOGY_DOMAIN = 'peerclass/topology/v1';
export const HELLO_DOMAIN = 'peerclass/hello/v1';

/** The origin's key and its signature, carried by every signed message. */
export interface Signature {
  /** Raw uncompressed P-256 public key of the signer (65 bytes); its hash must be the signer's peer id. */
  publicKey: Uint8Array;
  /** ECDSA P-256 / SHA-256 signature, P1363 (64 bytes). */
  signature: Uint8Array;
}

/** A ROUTED envelope with its origin's signature. */
export type SignedRoutedEnvelope = RoutedEnvelope & Signature;
/** A TOPOLOGY message with its origin's signature. */
export type SignedTopologyMessage = TopologyMessage & Signature;

/** The two link-hello messages: a challenge, and the answer to the other side's challenge. */
export type LinkHello =
  | { kind: 'challenge'; nonce: Uint8Array }
  | ({ kind: 'response'; peerId: string } & Signature);

const HELLO_CHALLENGE = 0;
const HELLO_RESPONSE = 1;

/**
 * Bytes a routed signature covers: `varString domain | varString context | varString origin | varUint seq |
 * varUint8Array inner`. Every field is length-prefixed, so two different tuples never give the same bytes.
 */
export function routedSigningBytes(context: string, envelope: RoutedEnvelope): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, ROUTED_DOMAIN);
  encoding.writeVarString(e, context);
  encoding.writeVarString(e, envelope.origin);
  encoding.writeVarUint(e, envelope.seq);
  encoding.writeVarUint8Array(e, envelope.inner);
  return encoding.toUint8Array(e);
}

/** Bytes a topology signature covers: domain, context, origin, version, count, neighbours (as on the wire). */
export function topologySigningBytes(context: string, message: TopologyMessage): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, TOPOLOGY_DOMAIN);
  encoding.writeVarString(e, context);
  writeTopologyBody(e, message);
  return encoding.toUint8Array(e);
}

/** Bytes a hello signature covers: domain, context, signer, receiver, the receiver's nonce (16 bytes). */
export function helloSigningBytes(context: string, signer: string, receiver: string, nonce: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, HELLO_DOMAIN);
  encoding.writeVarString(e, context);
  encoding.writeVarString(e, signer);
  encoding.writeVarString(e, receiver);
  encoding.writeVarUint8Array(e, nonce);
  return encoding.toUint8Array(e);
}

/** Encodes a SIGNED_ROUTED message. Throws on a key or signature of the wrong length (a local bug). */
export function encodeSignedRouted(envelope: SignedRoutedEnvelope): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SIGNED_ROUTED);
  encoding.writeVarString(e, envelope.origin);
  encoding.writeVarUint(e, envelope.seq);
  encoding.writeVarUint8Array(e, envelope.inner);
  writeSignature(e, envelope);
  return encoding.toUint8Array(e);
}

/** Encodes a SIGNED_TOPOLOGY message. */
export function encodeSignedTopology(message: SignedTopologyMessage): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SIGNED_TOPOLOGY);
  writeTopologyBody(e, message);
  writeSignature(e, message);
  return encoding.toUint8Array(e);
}

/** Encodes a LINK_HELLO message. */
export function encodeLinkHello(hello: LinkHello): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_LINK_HELLO);
  if (hello.kind === 'challenge') {
    if (hello.nonce.length !== HELLO_NONCE_BYTES) throw new RangeError('link hello: nonce must be 16 bytes');
    encoding.writeVarUint(e, HELLO_CHALLENGE);
    encoding.writeUint8Array(e, hello.nonce);
  } else {
    encoding.writeVarUint(e, HELLO_RESPONSE);
    encoding.writeVarString(e, hello.peerId);
    writeSignature(e, hello);
  }
  return encoding.toUint8Array(e);
}

/** Decodes and validates a SIGNED_ROUTED message (type included). */
export function decodeSignedRouted(message: Uint8Array): DecodeResult<SignedRoutedEnvelope> {
  return guarded('signed routed', message, MESSAGE_SIGNED_ROUTED, (d) => {
    const origin = decoding.readVarString(d);
    if (!validPeerId(origin)) return { ok: false, reason: 'signed routed: invalid origin' };
    const seq = decoding.readVarUint(d);
    if (!Number.isSafeInteger(seq)) return { ok: false, reason: 'signed routed: invalid seq' };
    const inner = decoding.readVarUint8Array(d);
    if (inner.length === 0) return { ok: false, reason: 'signed routed: empty inner message' };
    const sig = readSignature(d, 'signed routed');
    if (!sig.ok) return sig;
    // Copies so the envelope does not pin (or alias) the transport's receive buffer.
    return { ok: true, value: { origin, seq, inner: inner.slice(), ...sig.value } };
  });
}

/** Decodes and validates a SIGNED_TOPOLOGY message (type included). */
export function decodeSignedTopology(message: Uint8Array): DecodeResult<SignedTopologyMessage> {
  return guarded('signed topology', message, MESSAGE_SIGNED_TOPOLOGY, (d) => {
    const origin = decoding.readVarString(d);
    if (!validPeerId(origin)) return { ok: false, reason: 'signed topology: invalid origin' };
    const version = decoding.readVarUint(d);
    if (!Number.isSafeInteger(version)) return { ok: false, reason: 'signed topology: invalid version' };
    const count = decoding.readVarUint(d);
    if (count > MAX_TOPOLOGY_NEIGHBOURS) return { ok: false, reason: 'signed topology: too many neighbours' };
    const neighbours: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = decoding.readVarString(d);
      if (!validPeerId(n)) return { ok: false, reason: 'signed topology: invalid neighbour id' };
      neighbours.push(n);
    }
    const sig = readSignature(d, 'signed topology');
    if (!sig.ok) return sig;
    return { ok: true, value: { origin, version, neighbours, ...sig.value } };
  });
}

/** Decodes and validates a LINK_HELLO message (type included). */
export function decodeLinkHello(message: Uint8Array): DecodeResult<LinkHello> {
  return guarded<LinkHello>('link hello', message, MESSAGE_LINK_HELLO, (d) => {
    const kind = decoding.readVarUint(d);
    if (kind === HELLO_CHALLENGE) {
      if (d.arr.length - d.pos < HELLO_NONCE_BYTES) return { ok: false, reason: 'link hello: truncated nonce' };
      return { ok: true, value: { kind: 'challenge', nonce: decoding.readUint8Array(d, HELLO_NONCE_BYTES).slice() } };
    }
    if (kind !== HELLO_RESPONSE) return { ok: false, reason: `link hello: unknown kind ${kind}` };
    const peerId = decoding.readVarString(d);
    if (!validPeerId(peerId)) return { ok: false, reason: 'link hello: invalid peer id' };
    const sig = readSignature(d, 'link hello');
    if (!sig.ok) return sig;
    return { ok: true, value: { kind: 'response', peerId, ...sig.value } };
  });
}

function writeTopologyBody(e: encoding.Encoder, message: TopologyMessage): void {
  encoding.writeVarString(e, message.origin);
  encoding.writeVarUint(e, message.version);
  encoding.writeVarUint(e, message.neighbours.length);
  for (const n of message.neighbours) encoding.writeVarString(e, n);
}

function writeSignature(e: encoding.Encoder, sig: Signature): void {
  if (sig.publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('signed message: public key must be 65 bytes');
  if (sig.signature.length !== SIGNATURE_BYTES) throw new RangeError('signed message: signature must be 64 bytes');
  encoding.writeUint8Array(e, sig.publicKey);
  encoding.writeUint8Array(e, sig.signature);
}

/** Reads the fixed-size key and signature that end every signed message; nothing may follow them. */
function readSignature(d: decoding.Decoder, what: string): DecodeResult<Signature> {
  if (d.arr.length - d.pos !== PUBLIC_KEY_BYTES + SIGNATURE_BYTES) {
    return { ok: false, reason: `${what}: key and signature must be exactly ${PUBLIC_KEY_BYTES} + ${SIGNATURE_BYTES} bytes` };
  }
  const publicKey = decoding.readUint8Array(d, PUBLIC_KEY_BYTES).slice();
  if (publicKey[0] !== 0x04) return { ok: false, reason: `${what}: public key is not an uncompressed point` };
  return { ok: true, value: { publicKey, signature: decoding.readUint8Array(d, SIGNATURE_BYTES).slice() } };
}

function guarded<T>(what: string, message: Uint8Array, type: number, read: (d: decoding.Decoder) => DecodeResult<T>): DecodeResult<T> {
  try {
    const d = decoding.createDecoder(message);
    if (decoding.readVarUint(d) !== type) return { ok: false, reason: `not a ${what} message` };
    const result = read(d);
    if (result.ok && decoding.hasContent(d)) return { ok: false, reason: `${what}: trailing bytes` };
    return result;
  } catch (err) {
    return { ok: false, reason: `${what}: truncated or malformed (${err instanceof Error ? err.message : String(err)})` };
  }
}
