export type { Link } from './link.js';
export { SyncEngine } from './syncEngine.js';
export type { SyncEngineOptions, SyncEngineEvents, ChannelHandler } from './syncEngine.js';
export { MemoryNetwork } from './memoryNetwork.js';
export type { MemoryNetworkStats } from './memoryNetwork.js';
export { TopologyView, SeenWindow } from './routing.js';
