export * from './dataChannelLink.js';
export * from './peerConnection.js';
