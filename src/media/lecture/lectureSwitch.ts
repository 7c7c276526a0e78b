/** Options of {@link LectureSwitch}. */
export interface LectureSwitchOptions {
  /** Lecture mode once the class has more students than this. Default 25. */
  threshold?: number;
  /** Lecture mode also when the teacher's measured uplink divided among the students falls below this, bits/s. Default 100 kbit/s. */
  floorBitrate?: number;
  /** How long the reason for lecture mode must hold before switching to it, ms. Default 3000. */
  enterAfterMs?: number;
  /** How long the class must stay small (and the uplink sufficient) before switching back to peer-to-peer, ms. Default 15000. */
  exitAfterMs?: number;
  /**
   * After coming back from lecture mode, how long the uplink estimate is not trusted, ms: the student connections
   * carried no video and their bandwidth estimate restarts low. Default 15000.
   */
  uplinkSettleMs?: number;
}

/** What the teacher's side knows when deciding. */
export interface LectureSample {
  /** Students present (admitted, not removed). */
  students: number;
  /** The teacher's uplink estimate for video, bits/s. */
  uplinkBps: number;
}

/** Where the teacher's media goes. */
export type MediaRoute = 'p2p' | 'sfu';

export const DEFAULT_LECTURE_THRESHOLD = 25;

/**
 * Decides between the classroom star (peer to peer) and lecture mode (the teacher's media through the SFU), with
 * hysteresis both ways: a reason must hold for a while before the route changes, so a student whose WiFi flaps
 * at the threshold does not move the whole class back and forth.
 *
 * The uplink criterion uses the estimate measured while peer to peer: in lecture mode the teacher's connections to
 * students carry no video, so their estimate says little about feeding every student directly again, and for
 * `uplinkSettleMs` after coming back the estimate from before lecture mode still counts (the new one starts low).
 */
export class LectureSwitch {
  readonly threshold: number;
  readonly floorBitrate: number;
  readonly enterAfterMs: number;
  readonly exitAfterMs: number;
  #route: MediaRoute = 'p2p';
  /** Since when the other route has been wanted continuously, or null. */
  #wantedSince: number | null = null;
  #p2pUplink: number | null = null;
  readonly uplinkSettleMs: number;
  /** When the route last became peer to peer after lecture mode (the estimate is settling), or null. */
  #backAt: number | null = null;

  constructor(options: LectureSwitchOptions = {}) {
    this.threshold = nonNegative(options.threshold ?? DEFAULT_LECTURE_THRESHOLD, 'threshold');
    this.floorBitrate = nonNegative(options.floorBitrate ?? 100_000, 'floorBitrate');
    this.enterAfterMs = nonNegative(options.enterAfterMs ?? 3000, 'enterAfterMs');
    this.exitAfterMs = nonNegative(options.exitAfterMs ?? 15_000, 'exitAfterMs');
    this.uplinkSettleMs = nonNegative(options.uplinkSettleMs ?? 15_000, 'uplinkSettleMs');
  }

  /** The current route. */
  get route(): MediaRoute { return this.#route; }

  /** Feeds one observation; returns the route (changed only once the other one was wanted long enough). */
  update(sample: LectureSample, now: number = Date.now()): MediaRoute {
    if (this.#backAt !== null && now - this.#backAt >= this.uplinkSettleMs) this.#backAt = null;
    if (this.#route === 'p2p' && this.#backAt === null) this.#p2pUplink = sample.uplinkBps;
    const uplink = this.#p2pUplink ?? sample.uplinkBps;
    const crowded = sample.students > this.threshold;
    const thin = sample.students > 0 && uplink / sample.students < this.floorBitrate;
    const wanted: MediaRoute = crowded || thin ? 'sfu' : 'p2p';
    if (wanted === this.#route) { this.#wantedSince = null; return this.#route; }
    this.#wantedSince ??= now;
    const dwell = wanted === 'sfu' ? this.enterAfterMs : this.exitAfterMs;
    if (now - this.#wantedSince >= dwell) {
      this.#route = wanted;
      this.#wantedSince = null;
      if (wanted === 'p2p') this.#backAt = now;
    }
    return this.#route;
  }

  /** When the pending change would happen if nothing changes (ms timestamp), or null when none is pending. */
  pendingUntil(): number | null {
    if (this.#wantedSince === null) return null;
    return this.#wantedSince + (this.#route === 'p2p' ? this.enterAfterMs : this.exitAfterMs);
  }
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`LectureSwitch: ${name} must be a non-negative number, got ${String(value)}`);
  return value;
}
