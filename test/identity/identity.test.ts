import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  createPeerIdentity, createPeerKeys, exportPeerKeys, exportRawPublicKey, importPeerKeys, importRawPublicKey, IndexedDbKeyStore,
  isKeyDerivedPeerId, loadOrCreatePeerIdentity, MemoryKeyStore, PeerKeyError, peerIdFromPublicKey, peerIdFromPublicKeySync, peerIdentityFromKeys,
  signBytes, verifyBytes,
} from '../../src/identity/index.js';
import { signBytes as authoritySign, verifyBytes as authorityVerify } from '../../src/authority/identity.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('peer keys', () => {
  it('derive the peer id from the public key: 24 hex chars of SHA-256(raw point)', async () => {
    const keys = await createPeerKeys();
    const raw = await exportRawPublicKey(keys.publicKey);
    expect(raw.length).toBe(65);
    const id = await peerIdFromPublicKey(raw);
    expect(isKeyDerivedPeerId(id)).toBe(true);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw as Uint8Array<ArrayBuffer>));
    expect(id).toBe([...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join(''));
    const other = await peerIdFromPublicKey(await exportRawPublicKey((await createPeerKeys()).publicKey));
    expect(other).not.toBe(id);
  });

  it('sign and verify; a changed byte or another key fails', async () => {
    const keys = await createPeerKeys();
    const sig = await signBytes(keys.privateKey, bytes('hello'));
    expect(sig.length).toBe(64);
    expect(await verifyBytes(keys.publicKey, sig, bytes('hello'))).toBe(true);
    expect(await verifyBytes(keys.publicKey, sig, bytes('hellp'))).toBe(false);
    expect(await verifyBytes((await createPeerKeys()).publicKey, sig, bytes('hello'))).toBe(false);
    expect(await verifyBytes(keys.publicKey, sig.slice(0, 10), bytes('hello'))).toBe(false);
  });

  it('authority re-uses the same primitives', () => {
    expect(authoritySign).toBe(signBytes);
    expect(authorityVerify).toBe(verifyBytes);
  });

  it('round-trips extractable keys as JWK and refuses mismatched or foreign JWKs', async () => {
    const keys = await createPeerKeys({ extractable: true });
    const exported = await exportPeerKeys(keys);
    const back = await importPeerKeys(JSON.parse(JSON.stringify(exported)));
    expect(await verifyBytes(keys.publicKey, await signBytes(back.privateKey, bytes('x')), bytes('x'))).toBe(true);
    const other = await exportPeerKeys(await createPeerKeys({ extractable: true }));
    await expect(importPeerKeys({ ...exported, publicKeyJwk: other.publicKeyJwk })).rejects.toThrow(PeerKeyError);
    await expect(importPeerKeys({ ...exported, privateKeyJwk: { kty: 'RSA' } })).rejects.toThrow(PeerKeyError);
  });

  it('rejects raw keys that are not uncompressed P-256 points', async () => {
    await expect(importRawPublicKey(new Uint8Array(65))).rejects.toThrow(PeerKeyError);
    const offCurve = new Uint8Array(65); offCurve[0] = 4; offCurve[1] = 1;
    await expect(importRawPublicKey(offCurve)).rejects.toThrow(PeerKeyError);
    await expect(peerIdFromPublicKey(new Uint8Array(33))).rejects.toThrow(PeerKeyError);
  });
});

describe('peer identity and key stores', () => {
  it('an identity signs for its own key-derived id', async () => {
    const identity = await createPeerIdentity();
    expect(await peerIdFromPublicKey(identity.publicKey)).toBe(identity.peerId);
    const sig = await identity.sign(bytes('m'));
    expect(await verifyBytes(await importRawPublicKey(identity.publicKey), sig, bytes('m'))).toBe(true);
  });

  it('MemoryKeyStore: same class → same identity, other class → another', async () => {
    const store = new MemoryKeyStore();
    const a = await loadOrCreatePeerIdentity(store, 'class-a');
    expect((await loadOrCreatePeerIdentity(store, 'class-a')).peerId).toBe(a.peerId);
    expect((await loadOrCreatePeerIdentity(store, 'class-b')).peerId).not.toBe(a.peerId);
    await store.delete('class-a');
    expect((await loadOrCreatePeerIdentity(store, 'class-a')).peerId).not.toBe(a.peerId);
  });

  it('IndexedDbKeyStore keeps a non-extractable pair across store instances (a reload)', async () => {
    const first = new IndexedDbKeyStore({ databaseName: 'test-keys' });
    const a = await loadOrCreatePeerIdentity(first, 'class-a');
    first.close();
    const second = new IndexedDbKeyStore({ databaseName: 'test-keys' });
    const stored = await second.load('class-a');
    expect(stored?.privateKey.extractable).toBe(false);
    const again = await loadOrCreatePeerIdentity(second, 'class-a');
    expect(again.peerId).toBe(a.peerId);
    const sig = await again.sign(bytes('reload'));
    expect(await verifyBytes(await importRawPublicKey(a.publicKey), sig, bytes('reload'))).toBe(true);
    expect(await second.load('class-z')).toBeNull();
    await second.delete('class-a');
    expect(await second.load('class-a')).toBeNull();
    expect((await peerIdentityFromKeys(stored!)).peerId).toBe(a.peerId);
    second.close();
  });
});

describe('peerIdFromPublicKeySync', () => {
  it('equals the WebCrypto derivation', async () => {
    const identity = await createPeerIdentity();
    expect(peerIdFromPublicKeySync(identity.publicKey)).toBe(identity.peerId);
    expect(() => peerIdFromPublicKeySync(new Uint8Array(65))).toThrow(PeerKeyError);
  });
});
