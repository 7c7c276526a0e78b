export * from './messageTypes.js';
export * from './signaling.js';
