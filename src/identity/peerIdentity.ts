import { createPeerKeys, exportRawPublicKey, peerIdFromPublicKey, signBytes } from './keys.js';
import type { PeerKeyStore } from './keyStore.js';

/**
 * Who this peer is: a key pair and the peer id derived from its public key. What the provider and the sync engine
 * need to sign (the private key itself stays inside `sign`).
 */
export interface PeerIdentity {
  /** The key-derived peer id ({@link peerIdFromPublicKey}). */
  readonly peerId: string;
  /** The raw uncompressed public key (65 bytes). */
  readonly publicKey: Uint8Array;
  /** Signs bytes with the private key (ECDSA P-256 / SHA-256, 64-byte P1363 signature). */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

/** Builds the {@link PeerIdentity} of a key pair. */
export async function peerIdentityFromKeys(keys: CryptoKeyPair): Promise<PeerIdentity> {
  const publicKey = await exportRawPublicKey(keys.publicKey);
  const peerId = await peerIdFromPublicKey(publicKey);
  const privateKey = keys.privateKey;
  return { peerId, publicKey, sign: (bytes) => signBytes(privateKey, bytes) };
}

/** A fresh identity that lives only as long as the object (tests, throwaway peers). */
export async function createPeerIdentity(): Promise<PeerIdentity> {
  return peerIdentityFromKeys(await createPeerKeys());
}

/**
 * The identity this peer has in class `classId`: the stored key pair, or a new one (non-extractable) that is stored
 * first, so a reload comes back as the same peer id.
 */
export async function loadOrCreatePeerIdentity(store: PeerKeyStore, classId: string): Promise<PeerIdentity> {
  const stored = await store.load(classId);
  if (stored !== null) return peerIdentityFromKeys(stored);
  const keys = await createPeerKeys();
  await store.save(classId, keys);
  // Another tab of the same class may have raced us: whatever the store holds now is who we are.
  return peerIdentityFromKeys((await store.load(classId)) ?? keys);
}
