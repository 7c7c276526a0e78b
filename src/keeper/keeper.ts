/**
 * The keeper: a headless Node participant that holds a class for late joiners. It joins like a student without
 * camera or microphone (so the classroom topology treats it as one: it dials the teacher when there is one, and
 * meshes with the students when there is none), writes every update of the class document to a file, and loads
 * that file on start, so whoever comes next gets the board and chat even when nobody else is online.
 */
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { Classroom } from '../classroom/classroom.js';
import { loadOrCreateKeeperIdentity } from './fileKeyStore.js';
import { createClassDoc } from '../doctypes/replay.js';
import { persistToFile, type FilePersistence } from '../persistence/file.js';
import type { WebSocketConstructorLike } from '../transport/signalingClient.js';
import type { KeeperOptions } from './args.js';
import { loadKeeperRtc } from './rtc.js';
import { KeeperDirError, openKeeperStore, type KeeperStore } from './store.js';

/** The relay was not reached within the start timeout. */
export class RelayUnreachableError extends Error {
  override readonly name = 'RelayUnreachableError';
}

/** Why a running keeper stopped by itself. */
export type KeeperStopReason = 'removed';

/** A running keeper. */
export interface Keeper {
  /** The class as the keeper sees it (read-only use: the keeper never edits content). */
  readonly classroom: Classroom;
  /** The class's update log. */
  readonly file: string;
  /** Resolves if the keeper stops by itself (the teacher removed it); it has left and flushed by then. */
  readonly stoppedBySelf: Promise<KeeperStopReason>;
  /** Flushes every update to disk, leaves the class, releases the folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * How long after leaving the keeper waits before returning from {@link Keeper.stop}: the provider closes its
 * peer connections 750 ms after leaving (so peers get the goodbye first), and the process should not exit while
 * native WebRTC threads are still tearing them down.
 */
const LEAVE_GRACE_MS = 1000;
/** Compaction interval: the log is compacted on load anyway; this keeps a keeper that runs for weeks small. */
const COMPACT_EVERY_MS = 10 * 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opens the folder, loads the class file, joins the class and waits for the relay (bounded). */
export async function startKeeper(options: KeeperOptions, log: Logger): Promise<Keeper> {
  const { classId } = options.link;
  const store: KeeperStore = await openKeeperStore(options.dir, classId);
  const doc = createClassDoc();
  let persistence: FilePersistence;
  try {
    persistence = persistToFile(doc, store.file);
    await persistence.whenLoaded;
  } catch (error) {
    await store.release();
    throw new KeeperDirError(`cannot read or write ${store.file} (${(error as Error).message})`);
  }
  log.info({ classId, file: store.file, stateBytes: Y.encodeStateAsUpdate(doc).byteLength }, 'class file loaded');

  let updates = 0;
  let dirty = false;
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    updates++;
    dirty = true;
    log.debug({ bytes: update.byteLength, fromPeer: origin !== null && origin !== undefined }, 'update persisted');
  });
  const compactTimer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    persistence.compact().catch((error: unknown) => log.error({ err: error }, 'compaction failed'));
  }, COMPACT_EVERY_MS);
  compactTimer.unref();

  let classroom: Classroom;
  try {
    classroom = await Classroom.create({
      signaling: options.signaling, ...options.link, name: options.name, doc,
      // Its key lives in the folder: a restarted keeper is the same participant (admitted or removed once).
      peerIdentity: await loadOrCreateKeeperIdentity(options.dir, classId),
      rtc: await loadKeeperRtc(), WebSocket: WebSocket as unknown as WebSocketConstructorLike,
      // No media: nothing to measure, and getStats polling would only cost CPU on a long-running process.
      statsIntervalMs: 0,
      // Data only: a keeper neither sends nor watches media, so it stays out of the lecture's SFU room.
      lecture: { enabled: false },
      log: (reason) => log.debug({ reason }, 'peer input ignored'),
    });
  } catch (error) {
    clearInterval(compactTimer);
    await persistence.destroy();
    await store.release();
    throw error;
  }
  log.info({ classId, peerId: classroom.peerId, signaling: options.signaling }, 'joining the class');
  wireLogs(classroom, log);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(compactTimer);
      await persistence.flush();
      classroom.leave();
      await sleep(LEAVE_GRACE_MS);
      // Anything that arrived while leaving is written too.
      await persistence.destroy();
      await store.release();
      log.info({ updates }, 'left the class; all updates are on disk');
    })();
    return stopping;
  };
  const stoppedBySelf = new Promise<KeeperStopReason>((resolveStop) => {
    classroom.on('removed', () => {
      log.error('the teacher removed this keeper from the class');
      void stop().then(() => resolveStop('removed'));
    });
  });

  try {
    await waitForRelay(classroom, options.connectTimeoutMs, options.signaling, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { classroom, file: store.file, stoppedBySelf, stop };
}

/** Resolves once signaling is connected; rejects with {@link RelayUnreachableError} after `timeoutMs`. */
async function waitForRelay(classroom: Classroom, timeoutMs: number, urls: readonly string[], log: Logger): Promise<void> {
  if (classroom.network.status === 'connected') return;
  await new Promise<void>((resolveWait, reject) => {
    const onStatus = ({ status }: { status: string }): void => {
      if (status !== 'connected') return;
      done();
      resolveWait();
    };
    const timer = setTimeout(() => {
      done();
      reject(new RelayUnreachableError(`cannot reach the relay at ${urls.join(', ')} within ${Math.round(timeoutMs / 1000)} s (is it running, and is the URL right?)`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      classroom.network.off('status', onStatus);
    };
    log.debug({ timeoutMs }, 'waiting for the relay');
    classroom.network.on('status', onStatus);
  });
}

/** What the operator wants to see in the logs: relay state, who comes and goes, sync, problems. */
function wireLogs(classroom: Classroom, log: Logger): void {
  // Status flips between connecting and disconnected on every retry: log the edges of an outage only.
  let connected = classroom.network.status === 'connected';
  classroom.network.on('status', ({ status }) => {
    if (status === 'connected' && !connected) log.info('relay connected');
    else if (status !== 'connected' && connected) log.warn('relay connection lost; retrying with backoff (connected peers keep syncing)');
    connected = status === 'connected';
  });
  classroom.network.on('error', (error) => {
    const level = error.code === 'unreachable' || error.code === 'peer-connection' ? 'warn' : 'error';
    log[level]({ code: error.code, peerId: error.peerId }, error.message);
  });
  classroom.network.on('peers', ({ added, removed, connected }) => {
    if (added.length > 0 || removed.length > 0) log.info({ added, removed, connected }, 'peers changed');
  });
  classroom.network.on('synced', ({ synced }) => { if (synced) log.info('synced with every neighbour'); });
  classroom.on('participant-joined', (p) => log.info({ peerId: p.peerId, name: p.name, role: p.role }, 'participant joined'));
  classroom.on('participant-left', (peerId) => log.info({ peerId }, 'participant left'));
  classroom.on('rejected', (r) => log.warn({ reason: r.reason, writer: r.writer }, r.detail));
  classroom.on('ended', () => log.info('the teacher ended the class; still keeping it for late joiners'));
}
