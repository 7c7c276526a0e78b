export * from './messageTypes.js';
export * from './signaling.js';
export * from './syncMessages.js';
export * from './chunks.js';
export * from './signedMessages.js';
