/**
 * A reliable, ordered, bidirectional message pipe to one remote peer.
 *
 * `sync/` knows only links: a WebRTC data channel (transport/), an in-memory pipe (simulations, tests)
 * or anything else that can carry bytes. A link delivers whole messages: chunking of large messages is
 * the link's job, not the sync engine's.
 */
export interface Link {
  /** The remote peer's id. */
  readonly remoteId: string;
  /** Sends one whole message. Never throws on a closed link (the message is dropped). */
  send(message: Uint8Array): void;
  /** Registers the handler for whole incoming messages; returns an unsubscribe function. */
  onMessage(handler: (message: Uint8Array) => void): () => void;
  /** Registers a handler called once when the link closes (either side); returns an unsubscribe function. */
  onClose(handler: () => void): () => void;
  /** Closes the link; `onClose` handlers run. */
  close(): void;
}
