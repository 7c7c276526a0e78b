import type { MediaConnection } from '../provider/network.js';
import type { LocalTrack } from './capture.js';

/**
 * Which local track is sent on which connection, through which `RTCRtpSender`.
 *
 * Keeps `addTrack`/`removeTrack` idempotent: a track is added once per connection and removed only when it is
 * no longer wanted there, so a re-evaluation that changes nothing costs no renegotiation.
 */
export class SenderTable {
  private readonly byConnection = new Map<MediaConnection, Map<MediaStreamTrack, RTCRtpSender>>();

  /** Makes `connection` send exactly `wanted` (nothing for an empty list). */
  reconcile(connection: MediaConnection, wanted: readonly LocalTrack[]): void {
    const senders = this.byConnection.get(connection) ?? new Map<MediaStreamTrack, RTCRtpSender>();
    const keep = new Set(wanted.map((w) => w.track));
    for (const [track, sender] of senders) {
      if (!keep.has(track)) { connection.removeTrack(sender); senders.delete(track); }
    }
    for (const { track, stream } of wanted) {
      if (!senders.has(track)) senders.set(track, connection.addTrack(track, stream));
    }
    if (senders.size > 0) this.byConnection.set(connection, senders);
    else this.byConnection.delete(connection);
  }

  /** A device switch: swaps `previous` for `next` on every sender in place (`replaceTrack` needs no renegotiation). */
  replace(previous: MediaStreamTrack, next: MediaStreamTrack): void {
    for (const senders of this.byConnection.values()) {
      const sender = senders.get(previous);
      if (sender === undefined) continue;
      senders.delete(previous);
      senders.set(next, sender);
      // A sender whose connection closed meanwhile refuses; the connection's close drops it from the table.
      void sender.replaceTrack(next).catch(() => {});
    }
  }

  /** Drops a connection's entries (it closed; its senders went with it). */
  forget(connection: MediaConnection): void {
    this.byConnection.delete(connection);
  }

  /** Drops the entries of every closed connection. */
  prune(): void {
    for (const connection of [...this.byConnection.keys()]) if (connection.closed) this.byConnection.delete(connection);
  }

  /** The video senders of every connection. */
  videoSenders(): Array<{ connection: MediaConnection; sender: RTCRtpSender }> {
    const out: Array<{ connection: MediaConnection; sender: RTCRtpSender }> = [];
    for (const [connection, senders] of this.byConnection) {
      for (const [track, sender] of senders) if (track.kind === 'video') out.push({ connection, sender });
    }
    return out;
  }

  /** How many connections receive video from this peer (the uplink is shared among them). */
  videoReceivers(): number {
    let n = 0;
    for (const senders of this.byConnection.values()) if ([...senders.keys()].some((t) => t.kind === 'video')) n++;
    return n;
  }

  /** Forgets everything (the owner stopped its tracks). */
  clear(): void {
    this.byConnection.clear();
  }
}
