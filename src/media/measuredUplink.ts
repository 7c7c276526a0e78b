import type { MediaConnection } from '../provider/network.js';
import { DEFAULT_UPLINK_BUDGET, MIN_VIDEO_BITRATE, checkBitrate, type UplinkEstimator } from './bitrate.js';
import { MediaError } from './errors.js';

/** What one connection's stats report says about the uplink it sends video on. */
export interface UplinkSample {
  /** `availableOutgoingBitrate` of the selected candidate pair (the congestion controller's estimate), bits/s; null when absent. */
  availableBitrate: number | null;
  /** Highest `fractionLost` (0…1) the receivers reported for this connection's video (remote-inbound-rtp); null when absent. */
  lossFraction: number | null;
  /** Round-trip time (s) from remote-inbound-rtp, else from the selected pair; null when absent. */
  rttSeconds: number | null;
  /** True when the connection sends video (an `outbound-rtp` of kind video). */
  sendsVideo: boolean;
}

type Stat = Record<string, unknown>;

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/**
 * Reads an {@link UplinkSample} from a `getStats` report.
 *
 * The pair is the transport's `selectedCandidatePairId`; only without one is a `nominated`, `succeeded` pair used:
 * Chromium was seen reporting two nominated pairs on one transport (one no longer writable), and only the selected
 * one carries `availableOutgoingBitrate`.
 */
export function readUplinkSample(report: RTCStatsReport): UplinkSample {
  const stats: Stat[] = [];
  const byId = new Map<string, Stat>();
  report.forEach((s: Stat) => {
    stats.push(s);
    if (typeof s.id === 'string') byId.set(s.id, s);
  });
  const pairs: Stat[] = [];
  for (const s of stats) {
    if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') continue;
    const pair = byId.get(s.selectedCandidatePairId);
    if (pair !== undefined) pairs.push(pair);
  }
  if (pairs.length === 0) pairs.push(...stats.filter((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded'));

  const sample: UplinkSample = { availableBitrate: null, lossFraction: null, rttSeconds: null, sendsVideo: false };
  let pairRtt: number | null = null;
  for (const pair of pairs) {
    const available = num(pair.availableOutgoingBitrate);
    if (available !== null) sample.availableBitrate = Math.max(sample.availableBitrate ?? 0, available);
    const rtt = num(pair.currentRoundTripTime);
    if (rtt !== null) pairRtt = Math.max(pairRtt ?? 0, rtt);
  }
  for (const s of stats) {
    const video = s.kind === 'video' || s.mediaType === 'video';
    if (s.type === 'outbound-rtp' && video) sample.sendsVideo = true;
    if (s.type !== 'remote-inbound-rtp' || !video) continue;
    const loss = num(s.fractionLost);
    if (loss !== null) sample.lossFraction = Math.max(sample.lossFraction ?? 0, Math.min(1, Math.max(0, loss)));
    const rtt = num(s.roundTripTime);
    if (rtt !== null) sample.rttSeconds = Math.max(sample.rttSeconds ?? 0, rtt);
  }
  sample.rttSeconds ??= pairRtt;
  return sample;
}

/** Options of {@link MeasuredUplink}. All rates in bits per second. */
export interface MeasuredUplinkOptions {
  /** The estimate until the first measurement arrives (and when no connection sends video). Default {@link DEFAULT_UPLINK_BUDGET}. */
  initial?: number;
  /** Never estimates below this. Default {@link MIN_VIDEO_BITRATE} (the controller's per-receiver floor still applies on top). */
  minimum?: number;
  /** Share of the measured uplink given to video, in (0, 1]. Default 0.85: the rest keeps room for data, audio and RTP/RTCP overhead. */
  headroom?: number;
  /** How fast a connection's share may grow, as a fraction of itself per second. Default 0.3. Drops are followed at once. */
  maxIncreasePerSecond?: number;
  /**
   * How fast a connection's share may grow near the level where it last fell sharply (from 90 % of that level up to
   * 110 %), per second. Default 0.05: the congestion controllers probe past the link and then fall back; growing
   * slowly where that happened last keeps video from filling the bottleneck queue that data waits in.
   */
  probeIncreasePerSecond?: number;
  /** Receiver loss (0…1) above which a connection's share is braked (by the loss ratio, at most halved). Default 0.02. */
  lossThreshold?: number;
  /** Round-trip time (s) above which a connection's share is braked by 15 % (a standing queue at the bottleneck). Default 0.3. */
  rttThresholdSeconds?: number;
  /** A connection not observed for this long no longer counts (its stats stopped: it closed or stopped sending video). Default 10 000 ms. */
  staleMs?: number;
  /** Clock in ms; tests pass a fake one. */
  now?: () => number;
}

interface ConnectionShare {
  /** Smoothed `availableOutgoingBitrate`. */
  available: number;
  /** Multiplier from the loss and RTT brakes (1 = no brake). */
  brake: number;
  at: number;
  /** The share just before its last sharp drop (where the link congested), or null. */
  ceiling: number | null;
}

/** A fall below this ratio of the previous share counts as congestion and remembers a ceiling. */
const SHARP_DROP = 0.85;

/**
 * An {@link UplinkEstimator} that follows the measured uplink.
 *
 * Every connection that sends video runs its own congestion controller, and its `availableOutgoingBitrate` is what
 * that controller thinks this connection can send; on a shared thin uplink those controllers split the bottleneck,
 * so their sum is the uplink video can use. Receiver loss and a high round-trip time (remote-inbound-rtp) brake a
 * connection's share, because they say the bottleneck queue is already full. A {@link MeasuredUplinkOptions.headroom}
 * share stays free so data (board edits, chat: SCTP, outside the congestion controller) does not queue behind video.
 *
 * Smoothing, per connection: a drop is followed at once (the network is congested now), a rise at most
 * {@link MeasuredUplinkOptions.maxIncreasePerSecond} (one optimistic sample must not overshoot the uplink), and only
 * {@link MeasuredUplinkOptions.probeIncreasePerSecond} around the level of its last sharp drop. In the lab (3 Mbit/s
 * uplink, 8 receivers) the controllers' sum swung from 3.7 Mbit/s down to 2.2 Mbit/s as they probed past the link and
 * fell back; the slow zone keeps the budget under the level that congested. It is per
 * connection rather than on the total so that a poll that has observed only some connections so far, or a connection
 * that just joined, does not read as a drop or a jump of the whole uplink. Until a measurement arrives (e.g. under
 * @roamhq/wrtc, which reports no `availableOutgoingBitrate`) the estimate is {@link MeasuredUplinkOptions.initial},
 * so such peers behave as with a fixed budget.
 */
export class MeasuredUplink implements UplinkEstimator {
  private readonly shares = new Map<MediaConnection, ConnectionShare>();
  private readonly initial: number;
  private readonly minimum: number;
  private readonly headroom: number;
  private readonly maxIncreasePerSecond: number;
  private readonly probeIncreasePerSecond: number;
  private readonly lossThreshold: number;
  private readonly rttThreshold: number;
  private readonly staleMs: number;
  private readonly now: () => number;

  /** Throws a {@link MediaError} (`invalid-argument`) for an option out of range. */
  constructor(options: MeasuredUplinkOptions = {}) {
    this.initial = checkBitrate(options.initial ?? DEFAULT_UPLINK_BUDGET, 'MeasuredUplink initial');
    this.minimum = checkBitrate(options.minimum ?? MIN_VIDEO_BITRATE, 'MeasuredUplink minimum');
    this.headroom = fraction(options.headroom ?? 0.85, 'headroom', false);
    this.maxIncreasePerSecond = fraction(options.maxIncreasePerSecond ?? 0.3, 'maxIncreasePerSecond', true);
    this.probeIncreasePerSecond = fraction(options.probeIncreasePerSecond ?? 0.05, 'probeIncreasePerSecond', true);
    this.lossThreshold = fraction(options.lossThreshold ?? 0.02, 'lossThreshold', true);
    this.rttThreshold = positive(options.rttThresholdSeconds ?? 0.3, 'rttThresholdSeconds');
    this.staleMs = positive(options.staleMs ?? 10_000, 'staleMs');
    this.now = options.now ?? (() => Date.now());
  }

  /** Bits per second video may use in total: the sum of the connections' smoothed shares, or the initial value before any. */
  estimate(): number {
    const at = this.now();
    let total = 0;
    let counted = 0;
    for (const [connection, share] of this.shares) {
      if (connection.closed || at - share.at > this.staleMs) { this.shares.delete(connection); continue; }
      total += share.available * share.brake;
      counted++;
    }
    if (counted === 0) return this.initial;
    return Math.max(this.minimum, total * this.headroom);
  }

  /** How many connections currently count towards the estimate (those sending video with a measurement). */
  get measuredConnections(): number {
    this.estimate(); // drops closed and stale connections first
    return this.shares.size;
  }

  /** Takes one connection's stats report from the periodic poll. */
  observe(connection: MediaConnection, report: RTCStatsReport): void {
    const sample = readUplinkSample(report);
    // A connection without video does not share the video budget (a student's data-only link, say).
    if (!sample.sendsVideo || connection.closed) { this.shares.delete(connection); return; }
    if (sample.availableBitrate === null || !(sample.availableBitrate > 0)) return;
    const at = this.now();
    const before = this.shares.get(connection);
    let available = sample.availableBitrate;
    let ceiling = before?.ceiling ?? null;
    if (before !== undefined && available > before.available) {
      // Cap the elapsed time so one long pause (a suspended tab) does not allow an unbounded jump.
      const seconds = Math.min(5, Math.max(0, at - before.at) / 1000);
      let limit = before.available * (1 + this.maxIncreasePerSecond * seconds);
      if (ceiling !== null && before.available < 1.1 * ceiling) {
        // Fast up to 90 % of the ceiling, slowly from there.
        const slow = before.available * (1 + this.probeIncreasePerSecond * seconds);
        limit = before.available >= 0.9 * ceiling ? slow : Math.max(slow, Math.min(limit, 0.9 * ceiling));
      }
      available = Math.min(available, limit);
      // Well past the old ceiling without falling: the link got wider, forget it.
      if (ceiling !== null && available >= 1.1 * ceiling) ceiling = null;
    } else if (before !== undefined && available < SHARP_DROP * before.available) {
      ceiling = before.available;
    }
    this.shares.set(connection, { available, brake: this.brake(sample), at, ceiling });
  }

  /** Forgets every measurement: the estimate is the initial value again until the next one. */
  reset(): void {
    this.shares.clear();
  }

  private brake(sample: UplinkSample): number {
    let factor = 1;
    const loss = sample.lossFraction ?? 0;
    if (loss > this.lossThreshold) factor *= Math.max(0.5, 1 - loss);
    if (sample.rttSeconds !== null && sample.rttSeconds > this.rttThreshold) factor *= 0.85;
    return factor;
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new MediaError('invalid-argument', `MeasuredUplink ${name}: expected a positive number, got ${value}`);
  return value;
}

function fraction(value: number, name: string, zeroAllowed: boolean): number {
  const ok = Number.isFinite(value) && value <= 1 && (zeroAllowed ? value >= 0 : value > 0);
  if (!ok) throw new MediaError('invalid-argument', `MeasuredUplink ${name}: expected a number in ${zeroAllowed ? '[0, 1]' : '(0, 1]'}, got ${value}`);
  return value;
}
