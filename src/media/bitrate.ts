import type { MediaConnection } from '../provider/network.js';
import { MediaError } from './errors.js';
import type { SenderTable } from './senders.js';

/** Default uplink the teacher shares among its video receivers, bits per second. */
export const DEFAULT_UPLINK_BUDGET = 2_500_000;

/**
 * `priority` / `networkPriority` of video encodings: below the data channel's `high`, so a thin uplink delays the
 * picture rather than board edits and chat.
 */
export const VIDEO_PRIORITY: RTCPriorityType = 'low';

/** Default floor per receiver: below it the picture freezes instead of getting blurrier. */
export const MIN_VIDEO_BITRATE = 100_000;

/**
 * Where the uplink budget comes from: a fixed number ({@link FixedUplink}) or an estimate that follows the network
 * through {@link observe} (`MeasuredUplink`, from `availableOutgoingBitrate` and remote-inbound-rtp stats).
 */
export interface UplinkEstimator {
  /** Bits per second this peer may send as video in total, right now. */
  estimate(): number;
  /** Sees each connection's stats report from the periodic poll (optional; a fixed budget ignores them). */
  observe?(connection: MediaConnection, report: RTCStatsReport): void;
}

/** A fixed uplink budget. */
export class FixedUplink implements UplinkEstimator {
  private bitsPerSecond: number;

  /** @param bitsPerSecond - the budget; a positive finite number. */
  constructor(bitsPerSecond: number = DEFAULT_UPLINK_BUDGET) {
    this.bitsPerSecond = checkBitrate(bitsPerSecond, 'FixedUplink');
  }

  /** Changes the budget. */
  set(bitsPerSecond: number): void {
    this.bitsPerSecond = checkBitrate(bitsPerSecond, 'FixedUplink.set');
  }

  /** The budget last set. */
  estimate(): number { return this.bitsPerSecond; }
}

/** Throws a {@link MediaError} (`invalid-argument`) unless `value` is a positive finite number of bits per second. */
export function checkBitrate(value: number, caller: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new MediaError('invalid-argument', `${caller}: expected a positive number of bits per second, got ${value}`);
  return value;
}

/** Options of {@link BitrateController}. */
export interface BitrateOptions {
  /** Source of the total budget; default a {@link FixedUplink} of {@link DEFAULT_UPLINK_BUDGET} (ClassroomMedia passes a measured one). */
  estimator?: UplinkEstimator;
  /** No receiver is capped below this; default {@link MIN_VIDEO_BITRATE}. */
  floor?: number;
}

/**
 * Splits the uplink budget evenly among the connections that receive video and caps each video sender with
 * `RTCRtpSender.setParameters` (`maxBitrate`), marking its encoding low priority (`priority`, `networkPriority`)
 * where the implementation supports that.
 *
 * Caps are set only on connections that are `connected` and `stable`: Chromium was seen to stop encoding for
 * a sender whose parameters were set while its connection was still negotiating (10 frames, then none). The
 * owner calls {@link apply} again periodically, which picks up connections once they have settled.
 */
export class BitrateController {
  /** Source of the total budget; replace it to switch between a fixed budget and an estimate. */
  estimator: UplinkEstimator;
  private readonly floor: number;
  private running: Promise<void> | null = null;
  private again = false;

  /** Throws a {@link MediaError} (`invalid-argument`) for a floor that is not a positive number. */
  constructor(options: BitrateOptions = {}) {
    this.estimator = options.estimator ?? new FixedUplink();
    this.floor = checkBitrate(options.floor ?? MIN_VIDEO_BITRATE, 'BitrateController floor');
  }

  /** The cap each of `receivers` video receivers gets (at least the floor). */
  perReceiver(receivers: number): number {
    const estimate = this.estimator.estimate();
    // An estimator without data yet (NaN, 0) must not freeze the picture: the floor still applies.
    const budget = Number.isFinite(estimate) && estimate > 0 ? estimate : 0;
    return Math.max(this.floor, Math.floor(budget / Math.max(1, receivers)));
  }

  /**
   * Applies the current cap to every video sender on a settled connection. Calls while one is running
   * coalesce into one more run after it, so two `setParameters` never race on a sender.
   */
  apply(senders: SenderTable): Promise<void> {
    if (this.running !== null) { this.again = true; return this.running; }
    this.running = (async () => {
      do {
        this.again = false;
        await this.applyOnce(senders);
      } while (this.again);
    })().finally(() => { this.running = null; });
    return this.running;
  }

  private async applyOnce(senders: SenderTable): Promise<void> {
    const cap = this.perReceiver(senders.videoReceivers());
    for (const { connection, sender } of senders.videoSenders()) {
      if (connection.connectionState !== 'connected' || connection.signalingState !== 'stable') continue;
      try {
        const params = sender.getParameters();
        // Encodings appear once the sender is negotiated; the next run retries until then.
        const encoding = params.encodings?.[0];
        if (encoding === undefined) continue;
        let changed = false;
        if (encoding.maxBitrate !== cap) { encoding.maxBitrate = cap; changed = true; }
        if (this.prioritize(encoding)) changed = true;
        if (changed) await sender.setParameters(params);
      } catch {
        // A sender being renegotiated or already removed refuses parameters; the next run tries again.
      }
    }
  }

  /**
   * Marks an encoding {@link VIDEO_PRIORITY} (`priority` and `networkPriority`) so board edits and chat on the data
   * channel go first where the implementation arbitrates. Only fields the implementation reports in
   * `getParameters()` are touched (Chromium reports both; @roamhq/wrtc neither): setting one it does not know could
   * make `setParameters` reject, and with it the bitrate cap. Returns true when it changed something.
   */
  private prioritize(encoding: RTCRtpEncodingParameters): boolean {
    let changed = false;
    if ('priority' in encoding && encoding.priority !== VIDEO_PRIORITY) { encoding.priority = VIDEO_PRIORITY; changed = true; }
    if ('networkPriority' in encoding && encoding.networkPriority !== VIDEO_PRIORITY) { encoding.networkPriority = VIDEO_PRIORITY; changed = true; }
    return changed;
  }
}
