/** Errors the transport layer throws or rejects with: a typed `code` for programs, a message for people. */

/** What went wrong, by kind. */
export type TransportErrorCode =
  | 'self-connection'    // a PeerConnection from a peer to itself
  | 'no-websocket'       // no WebSocket implementation given and none global
  | 'no-webcrypto'       // crypto.subtle missing (insecure context)
  | 'destroyed'          // the object was destroyed and cannot be used again
  | 'sealed-malformed'   // a sealed signaling payload is not a well-formed box
  | 'sealed-unreadable' // a sealed box does not decrypt: another key (class secret) or tampering
  | 'wrong-signaling-state'; // a description was due in a signaling state the connection is not (or no longer) in

/** An error from the transport layer. */
export class TransportError extends Error {
  /** What went wrong. */
  readonly code: TransportErrorCode;

  /** Creates an error with a code and a human-readable message. */
  constructor(code: TransportErrorCode, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}
