import { SfuError, VIDEOROOM_ROOM_EXISTS, type VideoRoomData, type VideoRoomHandle } from './janusClient.js';

/** The room a class uses on the SFU (see {@link ensureRoom}). */
export interface EnsureRoomOptions {
  room: number;
  /** Needed to join (derive it with `sfuRoomFor`): without it Janus answers 433/429. */
  pin: string;
  /** Needed to destroy, edit and kick (derive it with `sfuAdminSecret`). */
  secret: string;
  description?: string;
  /** Maximum concurrent publishers (default 100). */
  publishers?: number;
  /** Default 'vp8': every browser decodes it and Janus relays its simulcast layers. */
  videocodec?: string;
  /** Default 'opus'. */
  audiocodec?: string;
  /** Janus's per-publisher bitrate cap in bit/s (0 = none, the default). */
  bitrate?: number;
}

/**
 * Creates the VideoRoom room, or accepts it if it already exists (427 from `create`, then checked with `exists`).
 * The room is never permanent (nothing is written to Janus's config). Resolves with whether this call created it.
 * A room that exists was made with some pin and secret; whether they are ours shows on the first join/kick.
 */
export async function ensureRoom(handle: VideoRoomHandle, options: EnsureRoomOptions): Promise<{ created: boolean }> {
  try {
    await handle.request({
      request: 'create', room: options.room, pin: options.pin, secret: options.secret, permanent: false, is_private: true,
      description: options.description ?? `peerclass ${options.room}`, publishers: options.publishers ?? 100,
      videocodec: options.videocodec ?? 'vp8', audiocodec: options.audiocodec ?? 'opus', bitrate: options.bitrate ?? 0,
      // Room-level notifications: subscribers learn of new publishers and their streams (which one is the screen).
      notify_joining: true,
    });
    return { created: true };
  } catch (err) {
    if (!(err instanceof SfuError) || err.code !== VIDEOROOM_ROOM_EXISTS) throw err;
  }
  const exists = await handle.request({ request: 'exists', room: options.room });
  if (exists.exists !== true) throw new SfuError(VIDEOROOM_ROOM_EXISTS, `room ${options.room} reported as existing, then not`);
  return { created: false };
}

/** A publisher as VideoRoom lists it in `joined`/`event` messages. */
export interface SfuFeed {
  feedId: number;
  display: string | undefined;
  /** The streams it publishes: `mid`, `type` (audio/video/data) and the `description` its publisher gave. */
  streams: Array<{ mid: string; type: string; description: string | undefined; disabled: boolean }>;
}

/** Reads the `publishers` array of a VideoRoom event defensively (the shape is Janus's, but the input is untrusted). */
export function feedsOf(data: VideoRoomData): SfuFeed[] {
  const list = Array.isArray(data.publishers) ? data.publishers : [];
  const out: SfuFeed[] = [];
  for (const p of list as unknown[]) {
    if (typeof p !== 'object' || p === null) continue;
    const { id, display, streams } = p as { id?: unknown; display?: unknown; streams?: unknown };
    if (typeof id !== 'number') continue;
    out.push({
      feedId: id,
      display: typeof display === 'string' ? display : undefined,
      streams: (Array.isArray(streams) ? streams as unknown[] : []).flatMap((s) => {
        if (typeof s !== 'object' || s === null) return [];
        const { mid, type, description, disabled } = s as { mid?: unknown; type?: unknown; description?: unknown; disabled?: unknown };
        if (typeof mid !== 'string' || typeof type !== 'string') return [];
        return [{ mid, type, description: typeof description === 'string' ? description : undefined, disabled: disabled === true }];
      }),
    });
  }
  return out;
}

/**
 * Removes a participant (by its feed id) from the room. Needs the room secret.
 *
 * What it tears down (measured on Janus 1.1.2, see test/media/janusKick.test.ts): the kicked participant's
 * publisher handle gets a `kicked`/`leaving` event and its PeerConnection is hung up. Subscriber handles on the same
 * session are NOT torn down by `kick` (Janus ties subscriptions to the feed they watch, not to the watcher), so a
 * watcher keeps receiving media. {@link kickWatcher} does what works: kick plus rotating the pin does not help either
 * (joined handles are never re-checked), so the lasting way is to watch with `private_id` in a room created with
 * `require_pvtid` — see {@link kickWatcher}.
 */
export async function kickParticipant(handle: VideoRoomHandle, room: number, secret: string, feedId: number): Promise<void> {
  await handle.request({ request: 'kick', room, secret, id: feedId });
}
