export type { Link } from './link.js';
export { SyncEngine } from './syncEngine.js';
export type { SyncEngineOptions, SyncEngineEvents } from './syncEngine.js';
export { Router, DropError, type RouterFamily, type RoutedHandler, type DirectHandler, type RoutedMeta } from './router.js';
export { DocSync } from './docSync.js';
export { AwarenessSync } from './awarenessSync.js';
export { MemoryNetwork } from './memoryNetwork.js';
export type { MemoryNetworkStats } from './memoryNetwork.js';
export { TopologyView, SeenWindow } from './routing.js';
