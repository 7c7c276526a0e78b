export * from './keys.js';
export * from './keyStore.js';
export * from './peerIdentity.js';
