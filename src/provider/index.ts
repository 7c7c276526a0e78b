export { PeerclassProvider, type PeerclassProviderOptions, type PeerclassProviderEvents, type ProviderError } from './peerclassProvider.js';
