import type { Role } from './announce.js';

/**
 * Classroom presence: what each peer keeps in its awareness state under {@link PRESENCE_FIELD} (PROTOCOL.md §4).
 * Awareness is written by each peer for itself only, so a presence speaks for its own sender; roles in it are
 * claims, believed only with the teacher's proof from the announce.
 */

/** Name of the awareness field holding a peer's presence. */
export const PRESENCE_FIELD = 'classroom';

/** A peer's presence. */
export interface Presence {
  peerId: string;
  name: string;
  role: Role;
  /** When the hand was raised (the raiser's clock, ms), or null. */
  hand: number | null;
  /** Stream id of the screen share, so receivers tell it from the camera. */
  screen: string | null;
  /** What this peer publishes at the class's SFU (lecture mode), or null: receivers subscribe to these feeds. */
  sfu: SfuPresence | null;
}

/** A peer's media at the SFU (PROTOCOL.md §4 "Lecture mode"). The teacher's presence having one is what makes a lecture. */
export interface SfuPresence {
  /** The SFU's WebSocket URL (ws:// or wss://). */
  url: string;
  /** The VideoRoom room id (derived from the class id, so receivers check it). */
  room: number;
  /** Feed id of the camera + microphone. */
  feed: number;
  /** Feed id of the screen share, or null. */
  screenFeed: number | null;
  /** Feeds whose media reaches this peer through the SFU now: a publisher stops its peer-to-peer copy once its audience says so. */
  watching: number[];
  /** Whether the feed carries media now (a silent participant's does not; receivers subscribe only to live feeds). */
  publishing: boolean;
}

const MAX_ID = 200;
const MAX_NAME = 200;

/** Reads the presence out of an awareness state; null when absent or malformed. Fields are bounded. */
export function decodePresence(state: unknown): Presence | null {
  if (typeof state !== 'object' || state === null) return null;
  const p = (state as Record<string, unknown>)[PRESENCE_FIELD];
  if (typeof p !== 'object' || p === null) return null;
  const r = p as Record<string, unknown>;
  if (typeof r.peerId !== 'string' || r.peerId.length === 0 || r.peerId.length > MAX_ID) return null;
  return {
    peerId: r.peerId,
    name: typeof r.name === 'string' ? r.name.slice(0, MAX_NAME) : '',
    role: r.role === 'teacher' ? 'teacher' : 'student',
    hand: typeof r.hand === 'number' && Number.isFinite(r.hand) ? r.hand : null,
    screen: typeof r.screen === 'string' && r.screen.length <= MAX_ID ? r.screen : null,
    sfu: decodeSfuPresence(r.sfu),
  };
}

const MAX_URL = 500;
const MAX_WATCHING = 8;
const isFeedId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Reads an {@link SfuPresence}; null when absent or malformed (bad URL scheme, ids that are not positive safe integers). */
export function decodeSfuPresence(value: unknown): SfuPresence | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (typeof r.url !== 'string' || r.url.length > MAX_URL || !/^wss?:\/\//.test(r.url)) return null;
  if (!isFeedId(r.room) || !isFeedId(r.feed)) return null;
  const screenFeed = r.screenFeed === null || r.screenFeed === undefined ? null : r.screenFeed;
  if (screenFeed !== null && !isFeedId(screenFeed)) return null;
  const watching = Array.isArray(r.watching) ? r.watching.filter(isFeedId).slice(0, MAX_WATCHING) : [];
  return { url: r.url, room: r.room, feed: r.feed, screenFeed, watching, publishing: r.publishing === true };
}
