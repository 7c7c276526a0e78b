import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** Handle returned by {@link persistToIndexedDb}. */
export interface IndexedDbPersistence {
  /** Resolves once stored content has been loaded into the doc. */
  readonly whenSynced: Promise<void>;
  /** Delete the stored copy of this doc (e.g. when leaving a class for good). */
  clearData(): Promise<void>;
  /** Stop persisting. */
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
  return {
    provider,
    whenSynced: provider.whenSynced.then(() => undefined),
    clearData: () => provider.clearData(),
    destroy: () => provider.destroy(),
  };
}
