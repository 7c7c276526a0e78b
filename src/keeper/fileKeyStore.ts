/**
 * The keeper's key pair, kept in its folder: a restarted keeper is the same participant (same key, same peer id), so
 * the teacher admits (or removes) it once, not on every start.
 */
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPeerKeys, exportPeerKeys, importPeerKeys, type ExportedPeerKeys } from '../identity/keys.js';
import type { PeerKeyStore } from '../identity/keyStore.js';
import { peerIdentityFromKeys, type PeerIdentity } from '../identity/peerIdentity.js';

/** File name of a class's key pair in the keeper folder (class ids are limited to `[A-Za-z0-9._~-]`). */
export function keyFileName(classId: string): string {
  return `identity-${classId}.json`;
}

/** A {@link PeerKeyStore} in a folder: one JWK pair per class, readable by the owner only. */
export class FileKeyStore implements PeerKeyStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async load(classId: string): Promise<CryptoKeyPair | null> {
    let text: string;
    try {
      text = await readFile(join(this.#dir, keyFileName(classId)), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return importPeerKeys(JSON.parse(text) as ExportedPeerKeys, { extractable: true });
  }

  async save(classId: string, keys: CryptoKeyPair): Promise<void> {
    const path = join(this.#dir, keyFileName(classId));
    const temporary = `${path}.${process.pid}.tmp`;
    // Written whole and renamed: a crash mid-write must not leave a key file that no longer parses.
    await writeFile(temporary, JSON.stringify(await exportPeerKeys(keys)), { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  }

  async delete(classId: string): Promise<void> {
    await rm(join(this.#dir, keyFileName(classId)), { force: true });
  }
}

/** The keeper's identity in class `classId`: the pair stored in `dir`, or a new one stored first. */
export async function loadOrCreateKeeperIdentity(dir: string, classId: string): Promise<PeerIdentity> {
  const store = new FileKeyStore(dir);
  const stored = await store.load(classId);
  if (stored !== null) return peerIdentityFromKeys(stored);
  // Extractable: the file store keeps the pair as JWK (a browser store keeps non-extractable CryptoKeys instead).
  const keys = await createPeerKeys({ extractable: true });
  await store.save(classId, keys);
  return peerIdentityFromKeys(keys);
}
