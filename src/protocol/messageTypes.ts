/**
 * Peer message types: the first varUint of every binary message between peers.
 * 0, 1 and 3 keep y-webrtc's numbers; the rest are peerclass additions (see PROTOCOL.md).
 */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;
/** An envelope carrying another message for forwarding: origin peer id, sequence, inner message. */
export const MESSAGE_ROUTED = 16;
/** One chunk of a message too large for one data-channel send. */
export const MESSAGE_CHUNK = 17;
/** A peer's current neighbour set, so others can route around it without floods. */
export const MESSAGE_TOPOLOGY = 18;
/** A control message signed by the teacher (stage, slide, lock, removal …). */
export const MESSAGE_SIGNED_CONTROL = 19;

/** A ROUTED envelope signed by its origin: origin, seq, inner, the origin's public key and signature (signed mode). */
export const MESSAGE_SIGNED_ROUTED = 20;
/** A TOPOLOGY message signed by its origin (signed mode). */
export const MESSAGE_SIGNED_TOPOLOGY = 21;
/** Link authentication: a challenge nonce, or the answer signed by the peer the link claims to reach. */
export const MESSAGE_LINK_HELLO = 22;

/** The largest single data-channel send that every browser accepts. */
export const MAX_DATA_CHANNEL_MESSAGE_BYTES = 16 * 1024;
