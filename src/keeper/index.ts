/** The keeper (Node-only): a headless participant that holds a class for late joiners. Run it with `peerclass-keeper`. */
export { EXIT as KEEPER_EXIT, HELP as KEEPER_HELP, KeeperUsageError, parseKeeperArgs, type KeeperOptions } from './args.js';
export { RelayUnreachableError, startKeeper, type Keeper, type KeeperStopReason } from './keeper.js';
export { loadKeeperRtc } from './rtc.js';
export { KeeperDirError, classFileName, openKeeperStore, type KeeperStore } from './store.js';
export { exitCodeFor, main } from './cli.js';
