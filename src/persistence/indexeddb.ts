import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** y-indexeddb's object store of updates. */
const UPDATES_STORE = 'updates';

/** Handle returned by {@link persistToIndexedDb}. */
export interface IndexedDbPersistence {
  /** Resolves once stored content has been loaded into the doc. */
  readonly whenSynced: Promise<void>;
  /** Delete the stored copy of this doc (e.g. when leaving a class for good). */
  clearData(): Promise<void>;
  /** Resolves once every update made so far is committed to IndexedDB (e.g. before a planned reload). */
  flush(): Promise<void>;
  /** Stop persisting, after pending writes are committed. */
  destroy(): Promise<void>;
  /** The underlying y-indexeddb provider. */
  readonly provider: IndexeddbPersistence;
}

/**
 * Persist a Y.Doc in the browser with y-indexeddb, so a student who goes offline keeps working,
 * survives a page reload offline, and merges everything on reconnect. `name` should identify the
 * class (e.g. `peerclass:<classId>`).
 */
export function persistToIndexedDb(doc: Y.Doc, name: string): IndexedDbPersistence {
  const provider = new IndexeddbPersistence(name, doc);
  // y-indexeddb writes each update in its own transaction and does not say when it is committed. IndexedDB runs
  // transactions over the same store in order, so one more transaction completing means all earlier ones have.
  const flush = async (): Promise<void> => {
    const db = await provider._db;
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction([UPDATES_STORE], 'readonly');
      transaction.objectStore(UPDATES_STORE).count();
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB flush failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB flush aborted'));
    });
  };
  return {
    provider,
    whenSynced: provider.whenSynced.then(() => undefined),
    clearData: () => provider.clearData(),
    flush,
    destroy: async () => { await flush(); await provider.destroy(); },
  };
}
