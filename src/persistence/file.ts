/**
 * File persistence for headless Node peers (recorders, bots, a teacher's server). Node-only:
 * import it from `peerclass/persistence/file`, never from the browser entry.
 */
import { appendFile, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** Handle returned by {@link persistToFile}. */
export interface FilePersistence {
  /** Resolves once the file's content has been applied to the doc and the file compacted. */
  readonly whenLoaded: Promise<void>;
  /** Resolves when every update so far has been written. */
  flush(): Promise<void>;
  /** Rewrite the file as one merged update (done on load; call it e.g. at the end of a lesson). */
  compact(): Promise<void>;
  /** Stop persisting (pending writes are flushed first). */
  destroy(): Promise<void>;
}

/** Origin of updates applied from the file, so they are not written back. */
export const FILE_ORIGIN = Symbol('peerclass:file');

function frame(update: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint8Array(enc, update);
  return encoding.toUint8Array(enc);
}

/** Parse length-prefixed updates; a torn record at the end (crash mid-append) is dropped. */
export function readUpdateLog(data: Uint8Array): Uint8Array[] {
  const dec = decoding.createDecoder(data);
  const out: Uint8Array[] = [];
  while (decoding.hasContent(dec)) {
    const start = dec.pos;
    try {
      const len = decoding.readVarUint(dec);
      if (dec.pos + len > data.length) break;
      out.push(decoding.readUint8Array(dec, len));
    } catch {
      dec.pos = start;
      break;
    }
  }
  return out;
}

/**
 * Persist a Y.Doc to an append-only file of length-prefixed updates. On load the file's updates
 * are merged and applied, then the file is rewritten as one merged update (compaction), so it
 * stays proportional to the doc, not to the number of edits.
 */
export function persistToFile(doc: Y.Doc, path: string): FilePersistence {
  let queue: Promise<void> = Promise.resolve();
  let destroyed = false;
  const enqueue = (job: () => Promise<void>): Promise<void> => {
    queue = queue.then(job, job);
    return queue;
  };
  const writeCompacted = async (): Promise<void> => {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, frame(Y.encodeStateAsUpdate(doc)));
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Atomic replace: a crash leaves either the old log or the new compacted file, never half of one.
    await rename(tmp, path);
  };
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === FILE_ORIGIN || destroyed) return;
    void enqueue(() => appendFile(path, frame(update)));
  };

  const whenLoaded = enqueue(async () => {
    await mkdir(dirname(path), { recursive: true });
    let data: Uint8Array | null = null;
    try {
      data = new Uint8Array(await readFile(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (data !== null) {
      const updates = readUpdateLog(data);
      if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates), FILE_ORIGIN);
    }
    await writeCompacted();
  });
  // Listen right away: edits made while loading are queued behind the load and appended after compaction.
  doc.on('update', onUpdate);

  return {
    whenLoaded,
    flush: () => enqueue(async () => {}),
    compact: () => enqueue(writeCompacted),
    destroy: async () => {
      doc.off('update', onUpdate);
      await enqueue(async () => {});
      destroyed = true;
    },
  };
}
