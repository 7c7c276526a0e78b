/**
 * The provider's side of signed mode: which peer id we are, what our announce carries, which announces to believe.
 */
import { isRawPublicKey, peerIdFromPublicKeySync } from '../identity/keys.js';
import type { PeerIdentity } from '../identity/peerIdentity.js';
import { fromBase64Url, toBase64Url } from '../protocol/base64url.js';
import type { EnvelopeAuth } from '../sync/envelopeAuth.js';

/** The peer id a provider runs as: the identity's, an explicit one, or a random one. Throws if the two disagree. */
export function resolvePeerId(identity: PeerIdentity | undefined, explicit: string | undefined, random: () => string): string {
  if (identity === undefined) return explicit ?? random();
  if (explicit !== undefined && explicit !== identity.peerId) {
    throw new Error(`PeerclassProvider: peerId ${explicit} is not the identity's key-derived id ${identity.peerId}`);
  }
  return identity.peerId;
}

/** The sync engine's signer for `identity` in class `context`. */
export function engineAuth(identity: PeerIdentity, context: string, admits?: (peerId: string) => boolean): EnvelopeAuth {
  return {
    peerId: identity.peerId, publicKey: identity.publicKey, sign: (bytes) => identity.sign(bytes), context,
    ...(admits !== undefined ? { admits } : {}),
  };
}

/** What the announce carries in signed mode: the raw public key, base64url. */
export function announcedKey(identity: PeerIdentity): string {
  return toBase64Url(identity.publicKey);
}

/**
 * Whether an announced key is `peerId`'s: it decodes to a P-256 point whose hash is the id. Synchronous on purpose:
 * a peer's offer follows its announce at once and must find the peer already known.
 */
export function announcedKeyMatches(peerId: string, peerKey: string | undefined): boolean {
  if (peerKey === undefined) return false;
  const raw = fromBase64Url(peerKey);
  return raw !== null && isRawPublicKey(raw) && peerIdFromPublicKeySync(raw) === peerId;
}
