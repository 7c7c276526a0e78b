/**
 * The keeper's folder: one update log per class (the file persistence's format) and a lock so that two keepers
 * never write the same class file (the compaction on load renames over it, which would lose the other's appends).
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The folder cannot hold the class: not creatable, not writable, or already kept by a live keeper. */
export class KeeperDirError extends Error {
  override readonly name = 'KeeperDirError';
}

/** Paths of one class in a keeper folder, with the lock held. */
export interface KeeperStore {
  /** The class's update log. */
  readonly file: string;
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

/** File name of a class: the class id is limited to `[A-Za-z0-9._~-]`, so it is a safe name as it is. */
export function classFileName(classId: string): string {
  return `class-${classId}.ylog`;
}

const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException;
  // Node's messages already start with the code ("ENOTDIR: not a directory, mkdir …").
  return e.message ?? String(error);
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates the folder if needed, proves it is writable by writing a probe file (permission bits alone say nothing
 * when running as root), and takes the class's lock.
 * @throws {KeeperDirError} with a message saying which path failed and why.
 */
export async function openKeeperStore(dir: string, classId: string): Promise<KeeperStore> {
  const root = resolve(dir);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw new KeeperDirError(`cannot create the data directory ${root} (${describe(error)})`);
  }
  const probe = join(root, `.peerclass-keeper-probe-${process.pid}`);
  try {
    await writeFile(probe, 'probe');
    await unlink(probe);
  } catch (error) {
    throw new KeeperDirError(`the data directory ${root} is not writable (${describe(error)})`);
  }
  const file = join(root, classFileName(classId));
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new KeeperDirError(`cannot lock ${lock} (${describe(error)})`);
      }
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new KeeperDirError(`another keeper (pid ${pid}) already keeps this class in ${root}`);
      }
      // Left behind by a keeper that was killed: take it over.
      await rm(lock, { force: true });
    }
  }
  let released = false;
  return {
    file,
    release: async () => {
      if (released) return;
      released = true;
      await rm(lock, { force: true });
    },
  };
}
