export { PeerclassProvider, randomPeerId, type PeerclassProviderOptions, type PeerclassProviderEvents, type ProviderError, type SelfInfo } from './peerclassProvider.js';
export type {
  ChannelHandler, ChannelMessageMeta, ChannelVerdict, ClassNetwork, ClassNetworkEvents, MediaConnection, NetworkChannel,
  NetworkError, NetworkStatus, PeersChange,
} from './network.js';
