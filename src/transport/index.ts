export * from './dataChannelLink.js';
export * from './errors.js';
export * from './peerConnection.js';
export * from './relaySocket.js';
export * from './signalingClient.js';
export * from './signalingCrypto.js';
