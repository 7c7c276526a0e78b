/**
 * Where a peer keeps its key pair between sessions, per class: a reload is the same person (same key, same peer id),
 * another class is another identity (nobody can link a student across classes by key).
 */

/** Keeps one key pair per class id. */
export interface PeerKeyStore {
  /** The stored pair for `classId`, or null. */
  load(classId: string): Promise<CryptoKeyPair | null>;
  /** Stores (or replaces) the pair for `classId`. */
  save(classId: string, keys: CryptoKeyPair): Promise<void>;
  /** Forgets the pair for `classId` (the next load creates a new identity). */
  delete(classId: string): Promise<void>;
}

/** A store that lives as long as the object: tests, and peers that want a fresh identity per session. */
export class MemoryKeyStore implements PeerKeyStore {
  readonly #pairs = new Map<string, CryptoKeyPair>();

  async load(classId: string): Promise<CryptoKeyPair | null> { return this.#pairs.get(classId) ?? null; }

  async save(classId: string, keys: CryptoKeyPair): Promise<void> { this.#pairs.set(classId, keys); }

  async delete(classId: string): Promise<void> { this.#pairs.delete(classId); }
}

/** Options of {@link IndexedDbKeyStore}. */
export interface IndexedDbKeyStoreOptions {
  /** Database name. Default `peerclass-keys`. */
  databaseName?: string;
  /** The IndexedDB factory; default `globalThis.indexedDB` (tests pass fake-indexeddb). */
  indexedDB?: IDBFactory;
}

const STORE = 'keys';

/**
 * Keeps key pairs in IndexedDB as CryptoKey objects (structured clone keeps them non-extractable: the private key's
 * bytes never reach page scripts, yet it survives reloads). Plain IndexedDB API: one object store, key = class id.
 */
export class IndexedDbKeyStore implements PeerKeyStore {
  readonly #name: string;
  readonly #factory: IDBFactory;
  #db: Promise<IDBDatabase> | null = null;

  constructor(options: IndexedDbKeyStoreOptions = {}) {
    this.#name = options.databaseName ?? 'peerclass-keys';
    const factory = options.indexedDB ?? globalThis.indexedDB;
    if (factory === undefined) throw new Error('IndexedDbKeyStore: no IndexedDB here; pass options.indexedDB or use MemoryKeyStore');
    this.#factory = factory;
  }

  async load(classId: string): Promise<CryptoKeyPair | null> {
    const value = await this.#request('readonly', (store) => store.get(classId));
    return isKeyPair(value) ? value : null;
  }

  async save(classId: string, keys: CryptoKeyPair): Promise<void> {
    await this.#request('readwrite', (store) => store.put({ privateKey: keys.privateKey, publicKey: keys.publicKey }, classId));
  }

  async delete(classId: string): Promise<void> {
    await this.#request('readwrite', (store) => store.delete(classId));
  }

  /** Closes the database connection (a later call reopens it). */
  close(): void {
    const db = this.#db;
    this.#db = null;
    void db?.then((d) => d.close(), () => undefined);
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = this.#factory.open(this.#name, 1);
      request.onupgradeneeded = () => { request.result.createObjectStore(STORE); };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDbKeyStore: open failed'));
      request.onblocked = () => reject(new Error('IndexedDbKeyStore: open blocked by another connection'));
    });
    // A failed open is not cached: the next call tries again.
    this.#db.catch(() => { this.#db = null; });
    return this.#db;
  }

  async #request(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = run(tx.objectStore(STORE));
      let result: unknown;
      request.onsuccess = () => { result = request.result; };
      // Resolve on commit, not on request success: a write is durable only then.
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDbKeyStore: transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDbKeyStore: transaction aborted'));
    });
  }
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  if (typeof value !== 'object' || value === null) return false;
  const { privateKey, publicKey } = value as Record<string, unknown>;
  return typeof CryptoKey !== 'undefined' && privateKey instanceof CryptoKey && publicKey instanceof CryptoKey;
}
