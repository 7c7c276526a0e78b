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
  /**
   * Subscribers must present the private id of a publisher participant in the room (Janus `require_pvtid`). Needed
   * for kicks to reach watchers: see {@link kickParticipant}.
   */
  requirePrivateId?: boolean;
  /** Join tokens (Janus `allowed`): when set, joins need one of them; remove a token to keep its holder out. */
  allowed?: string[];
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
      notify_joining: true, require_pvtid: options.requirePrivateId ?? false,
      ...(options.allowed !== undefined ? { allowed: options.allowed } : {}),
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
 * Removes a participant (by its feed id) from the room; needs the room secret. With `token`, that join token is
 * first taken off the room's allowed list, so the participant cannot simply join again (the pin alone no longer
 * opens the room to it).
 *
 * What `kick` tears down, measured on Janus 1.1.2 (test/media/janusBrowser.test.ts):
 * - the participant's publisher handle gets `leaving: "ok", reason: "kicked"`, its PeerConnection is hung up and
 *   the handle cannot join again;
 * - its subscriber handles are torn down only in a room created with `require_pvtid` (`requirePrivateId`), where
 *   every subscription carries the private id of its owner's publisher handle: Janus then stops forwarding to them
 *   (no `hangup` reaches the subscriber handle; its media just stops). In a room without `require_pvtid`, kick leaves
 *   subscriptions running, even ones that passed a `private_id`.
 * - Destroying the room stops every subscription as well (also without any event to the subscriber handles).
 * So a class that must be able to remove watchers creates its room with `requirePrivateId` (and `allowed` tokens),
 * makes each watcher join as a publisher participant (no media) and subscribe with that handle's private id.
 */
export async function kickParticipant(handle: VideoRoomHandle, room: number, secret: string, feedId: number, token?: string): Promise<void> {
  if (token !== undefined) await handle.request({ request: 'allowed', room, secret, action: 'remove', allowed: [token] });
  await handle.request({ request: 'kick', room, secret, id: feedId });
}
