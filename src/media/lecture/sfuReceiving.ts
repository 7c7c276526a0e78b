import type { TrackSubscribedEvent, MediaKind } from '../subscriptions.js';
import { SfuSubscriber, type JanusSession, type SfuTrackEvent } from '../sfu/index.js';

/** How often a new SFU track is checked for its first decoded frame, ms. */
const DECODE_POLL_MS = 150;

/** What {@link SfuReceiving} needs around it. */
export interface SfuReceivingHost {
  /** Reports a track as `peerId`'s (ClassroomMedia.addRemoteTrack); the returned function reports it gone. */
  addRemoteTrack(event: TrackSubscribedEvent): () => void;
  /** Something arrived (a feed's first media) or stopped: the owner re-announces what it watches. */
  onWatchingChange(): void;
  log(reason: string): void;
}

/** Where to subscribe: the session, the room and its pin, and this participant's private id (so a kick ends it). */
export interface SfuReceivingTarget {
  url: string;
  session: JanusSession;
  room: number;
  pin: string;
  privateId: number | undefined;
  rtc: typeof RTCPeerConnection | undefined;
  iceServers: RTCIceServer[];
}

/**
 * Receives the feeds lecture mode wants over one SFU subscription, and reports each track as its owner's, with a
 * camera + microphone stream and a screen stream built per owner (Janus's stream ids say nothing about owners).
 */
export class SfuReceiving {
  readonly url: string;
  readonly subscriber: SfuSubscriber;
  /** Owner peer id of each subscribed feed. */
  readonly owners: Map<number, string>;
  readonly #host: SfuReceivingHost;
  readonly #reported = new Map<string, () => void>();
  readonly #streams = new Map<string, MediaStream>();
  /** Feeds whose media is flowing (a track of theirs unmuted: packets arrive). */
  readonly #flowing = new Set<number>();
  #closed = false;

  private constructor(url: string, subscriber: SfuSubscriber, owners: Map<number, string>, host: SfuReceivingHost) {
    this.url = url;
    this.subscriber = subscriber;
    this.owners = owners;
    this.#host = host;
    subscriber.on('track', (e) => this.#report(e));
    subscriber.on('track-ended', (e) => this.#unreport(e.mid));
    for (const e of subscriber.tracks()) this.#report(e);
  }

  /** Subscribes to `wanted` (feed → owner). Rejects with the SFU's error. */
  static async open(target: SfuReceivingTarget, wanted: Map<number, string>, host: SfuReceivingHost): Promise<SfuReceiving> {
    const subscriber = await SfuSubscriber.subscribe({
      session: target.session, room: target.room, pin: target.pin, feeds: [...wanted.keys()], iceServers: target.iceServers,
      ...(target.privateId !== undefined ? { privateId: target.privateId } : {}),
      ...(target.rtc !== undefined ? { rtc: target.rtc } : {}),
    });
    return new SfuReceiving(target.url, subscriber, new Map(wanted), host);
  }

  /** Whether this subscription receives exactly `wanted`. */
  receives(wanted: ReadonlyMap<number, string>): boolean {
    return this.owners.size === wanted.size && [...wanted].every(([f, o]) => this.owners.get(f) === o);
  }

  /** Feeds whose media arrives now (announced so a publisher knows it may stop its peer-to-peer copy). */
  flowing(): number[] {
    return [...this.#flowing];
  }

  /** Changes the subscribed feeds on the same connection. */
  async update(wanted: ReadonlyMap<number, string>): Promise<void> {
    for (const [f, owner] of wanted) if (this.owners.has(f)) this.owners.set(f, owner);
    const subscribe = [...wanted.keys()].filter((f) => !this.owners.has(f));
    const unsubscribe = [...this.owners.keys()].filter((f) => !wanted.has(f));
    if (subscribe.length === 0 && unsubscribe.length === 0) return;
    for (const f of unsubscribe) { this.owners.delete(f); this.#flowing.delete(f); }
    for (const f of subscribe) this.owners.set(f, wanted.get(f)!);
    for (const e of this.subscriber.tracks()) if (unsubscribe.includes(e.feedId)) this.#unreport(e.mid);
    await this.subscriber.update({ subscribe, unsubscribe });
  }

  /** The owner of each received track by its mid on the subscriber connection (for stats). */
  mids(): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.subscriber.tracks()) {
      const owner = this.owners.get(e.feedId);
      if (owner !== undefined) out.set(e.mid, owner);
    }
    return out;
  }

  /** Reports every track gone and closes the subscription. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const drop of this.#reported.values()) drop();
    this.#reported.clear();
    this.#flowing.clear();
    void this.subscriber.close();
  }

  #report(e: SfuTrackEvent): void {
    const peerId = this.owners.get(e.feedId);
    if (this.#closed || peerId === undefined || this.#reported.has(e.mid)) return;
    const kind: MediaKind = e.track.kind === 'audio' ? 'microphone' : e.description === 'screen' ? 'screen' : 'camera';
    const key = kind === 'screen' ? `${peerId}:screen` : peerId;
    let stream = this.#streams.get(key);
    if (stream === undefined) { stream = new MediaStream(); this.#streams.set(key, stream); }
    stream.addTrack(e.track);
    const drop = this.#host.addRemoteTrack({ peerId, track: e.track, stream, kind });
    const s = stream;
    let stopped = false;
    const flowing = (): void => {
      if (stopped || this.#closed || this.owners.get(e.feedId) !== peerId || this.#flowing.has(e.feedId)) return;
      this.#flowing.add(e.feedId);
      this.#host.onWatchingChange();
    };
    // The feed counts as arriving once its video decodes (packets alone may wait for a key frame): only then may its
    // publisher stop the peer-to-peer copy. Audio does not count (a feed without video hands over at handoverMs).
    if (e.track.kind === 'video') void this.#whenDecoding(e.track, () => stopped).then((ok) => { if (ok) flowing(); });
    this.#reported.set(e.mid, () => { stopped = true; s.removeTrack(e.track); drop(); });
  }

  /** Resolves true once `track` has decoded a frame (polled from stats), false if it stopped or 20 s passed. */
  async #whenDecoding(track: MediaStreamTrack, stopped: () => boolean): Promise<boolean> {
    const deadline = Date.now() + 20_000;
    while (!stopped() && !this.#closed && Date.now() < deadline) {
      let decoded = 0;
      try {
        (await this.subscriber.pc.getStats(track)).forEach((st: { type?: string; framesDecoded?: number }) => {
          if (st.type === 'inbound-rtp') decoded += st.framesDecoded ?? 0;
        });
      } catch { return false; }
      if (decoded > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, DECODE_POLL_MS));
    }
    return false;
  }

  #unreport(mid: string): void {
    const drop = this.#reported.get(mid);
    this.#reported.delete(mid);
    drop?.();
  }
}
