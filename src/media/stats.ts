/** Connection quality derived from `getStats` (round-trip time and packet loss). */
export type ConnectionQuality = 'good' | 'fair' | 'poor';

/** A peer's connection quality changed. */
export interface QualityEvent {
  peerId: string;
  quality: ConnectionQuality;
}

/** What one stats report says about a connection: RTT of the nominated pair and cumulative inbound RTP counters. */
export interface QualitySample {
  rttSeconds: number | null;
  packetsLost: number;
  packetsReceived: number;
}

/** Rates a connection from its round-trip time (s) and loss ratio. */
export function rateQuality(rttSeconds: number | null, lossRatio: number): ConnectionQuality {
  const rtt = rttSeconds ?? 0;
  if (rtt < 0.15 && lossRatio < 0.02) return 'good';
  if (rtt < 0.4 && lossRatio < 0.08) return 'fair';
  return 'poor';
}

/** Reads a {@link QualitySample} from a `getStats` report. */
export function readQualitySample(report: RTCStatsReport): QualitySample {
  const sample: QualitySample = { rttSeconds: null, packetsLost: 0, packetsReceived: 0 };
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'candidate-pair' && s.nominated === true && typeof s.currentRoundTripTime === 'number') sample.rttSeconds = s.currentRoundTripTime;
    if (s.type === 'inbound-rtp') {
      if (typeof s.packetsLost === 'number') sample.packetsLost += s.packetsLost;
      if (typeof s.packetsReceived === 'number') sample.packetsReceived += s.packetsReceived;
    }
  });
  return sample;
}

/**
 * Per-peer quality from successive stats reports. Loss is rated over the interval between two reports,
 * not since the connection started, so a connection that recovers is rated good again.
 */
export class QualityMonitor {
  private readonly counters = new Map<string, { lost: number; received: number }>();
  private readonly qualities = new Map<string, ConnectionQuality>();

  /** Last quality measured for `peerId`. */
  qualityOf(peerId: string): ConnectionQuality | undefined {
    return this.qualities.get(peerId);
  }

  /** Feeds `peerId`'s latest report; returns its quality when that changed, else null. */
  update(peerId: string, report: RTCStatsReport): ConnectionQuality | null {
    const { rttSeconds, packetsLost, packetsReceived } = readQualitySample(report);
    const before = this.counters.get(peerId) ?? { lost: 0, received: 0 };
    this.counters.set(peerId, { lost: packetsLost, received: packetsReceived });
    const lost = Math.max(0, packetsLost - before.lost);
    const received = Math.max(0, packetsReceived - before.received);
    const quality = rateQuality(rttSeconds, lost + received > 0 ? lost / (lost + received) : 0);
    if (this.qualities.get(peerId) === quality) return null;
    this.qualities.set(peerId, quality);
    return quality;
  }

  /** A connection closed: its counters restart from zero on the next one. The last quality stays readable. */
  resetCounters(peerId: string): void {
    this.counters.delete(peerId);
  }
}
