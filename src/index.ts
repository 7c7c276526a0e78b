/** peerclass: a peer-to-peer online classroom framework. */
export * from './protocol/index.js';
export * from './transport/index.js';
export * from './sync/index.js';
export * from './provider/index.js';
export * from './topology/index.js';
// topology and doctypes both name the role type; they are the same union.
export type { Role } from './topology/index.js';
export * from './authority/index.js';
export * from './media/index.js';
export * from './doctypes/index.js';
// Browser-safe persistence (IndexedDB); Node's file persistence is imported from 'src/persistence/file.js'.
export * from './persistence/index.js';
export * from './classroom/index.js';
