export * from './dataChannelLink.js';
export * from './peerConnection.js';
export * from './signalingClient.js';
export * from './signalingCrypto.js';
