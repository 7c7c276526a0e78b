import { IndexedDbKeyStore, type PeerKeyStore } from '../identity/keyStore.js';
import { createPeerIdentity, loadOrCreatePeerIdentity, type PeerIdentity } from '../identity/peerIdentity.js';
import type { ClassroomOptions } from './types.js';

let browserStore: PeerKeyStore | undefined;

/** IndexedDB where there is one (a browser profile is one person); elsewhere no store: a fresh key per join. */
function defaultKeyStore(): PeerKeyStore | undefined {
  if (typeof indexedDB === 'undefined') return undefined;
  browserStore ??= new IndexedDbKeyStore();
  return browserStore;
}

/**
 * The key this participant signs with: the one given, none when a fixed `peerId` asks for an unsigned peer, otherwise
 * the class's stored key (created on first join).
 */
export async function resolvePeerIdentity(options: ClassroomOptions): Promise<PeerIdentity | undefined> {
  if (options.peerIdentity !== undefined) {
    if (options.peerId !== undefined && options.peerId !== options.peerIdentity.peerId) {
      throw new Error(`Classroom: peerId ${options.peerId} is not the key-derived id ${options.peerIdentity.peerId}`);
    }
    return options.peerIdentity;
  }
  if (options.peerId !== undefined) return undefined;
  const store = options.keyStore ?? defaultKeyStore();
  return store !== undefined ? loadOrCreatePeerIdentity(store, options.classId) : createPeerIdentity();
}
