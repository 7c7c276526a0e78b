export { PeerclassProvider, type PeerclassProviderOptions, type PeerclassProviderEvents, type ProviderError, type SelfInfo } from './peerclassProvider.js';
