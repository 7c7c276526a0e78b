import { TypedEmitter } from './emitter.js';
import { SfuError, SFU_BAD_REPLY, type JanusSession, type Jsep, type VideoRoomData, type VideoRoomHandle } from './janusClient.js';

/** Options of {@link SfuSubscriber.subscribe}. */
export interface SfuSubscribeOptions {
  session: JanusSession;
  room: number;
  pin: string;
  /** A join token, for rooms created with `allowed` tokens. */
  token?: string;
  /** Publisher feed ids to receive (every stream each of them publishes). */
  feeds: number[];
  /** The private id of this participant's own publisher handle, so Janus counts the subscription as ours. */
  privateId?: number;
  rtc?: typeof RTCPeerConnection;
  iceServers?: RTCIceServer[];
  /** Listeners registered before the join, so no `track` of the first negotiation is missed. */
  on?: Partial<SfuSubscriberEvents>;
}

/** One remote stream as the subscriber sees it. */
export interface SfuTrackEvent {
  feedId: number;
  /** Janus's mid on the subscriber PeerConnection. */
  mid: string;
  /** What the publisher called the stream ('camera', 'screen', 'microphone'), if it said. */
  description: string | undefined;
  track: MediaStreamTrack;
  stream: MediaStream;
}

export interface SfuSubscriberEvents {
  track: (event: SfuTrackEvent) => void;
  /** The stream stopped: its publisher unpublished or left, we unsubscribed, or the subscription was torn down. */
  'track-ended': (event: SfuTrackEvent) => void;
  /** Janus hung up the PeerConnection or the handle died (session destroyed, kicked): nothing more will arrive. */
  closed: (reason: string) => void;
}

interface StreamInfo { mid: string; feedId: number; feedMid: string | undefined; description: string | undefined; active: boolean }

/** The `streams` list of an attached/updated event, or undefined if the event carries none. */
function streamsOf(data: VideoRoomData): StreamInfo[] | undefined {
  if (!Array.isArray(data.streams)) return undefined;
  return (data.streams as unknown[]).flatMap((s) => {
    if (typeof s !== 'object' || s === null) return [];
    const { mid, feed_id: feedId, feed_mid: feedMid, feed_description: description, active } = s as Record<string, unknown>;
    if (typeof mid !== 'string') return [];
    // A stream whose publisher left stays in the list (its m-line is kept) without feed_id and with active: false.
    if (typeof feedId !== 'number') return [{ mid, feedId: -1, feedMid: undefined, description: undefined, active: false }];
    return [{
      mid, feedId, feedMid: typeof feedMid === 'string' ? feedMid : undefined,
      description: typeof description === 'string' ? description : undefined, active: active !== false,
    }];
  });
}

/**
 * Receives feeds of a VideoRoom over one RTCPeerConnection (Janus 1.x multistream: Janus offers, we answer).
 * `update` adds and removes feeds on the same connection; `substream` picks a simulcast layer.
 */
export class SfuSubscriber extends TypedEmitter<SfuSubscriberEvents> {
  readonly pc: RTCPeerConnection;
  readonly #streams = new Map<string, StreamInfo>();
  readonly #live = new Map<string, SfuTrackEvent>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(readonly handle: VideoRoomHandle, opts: SfuSubscribeOptions) {
    super();
    const Rtc = opts.rtc ?? globalThis.RTCPeerConnection;
    this.pc = new Rtc({ iceServers: opts.iceServers ?? [] });
    this.pc.addEventListener('icecandidate', (e) => { handle.trickle(e.candidate === null ? null : e.candidate.toJSON()).catch(() => undefined); });
    this.pc.addEventListener('track', (e) => this.#onTrack(e));
    handle.on('event', (data, jsep) => {
      const streams = streamsOf(data);
      if (streams !== undefined) this.#applyStreams(streams);
      // Janus re-offers on its own when a watched publisher (un)publishes or leaves.
      if (jsep?.type === 'offer') this.#enqueue(() => this.#answer(jsep)).catch(() => undefined);
    });
    handle.on('hangup', (reason) => this.#end(`hangup: ${reason}`));
    handle.on('detached', () => this.#end('detached'));
  }

  /** Joins as a subscriber to `feeds`; resolves once the answer is sent (tracks follow as `track` events). */
  static async subscribe(opts: SfuSubscribeOptions): Promise<SfuSubscriber> {
    const handle = await opts.session.attachVideoRoom();
    try {
      const sub = new SfuSubscriber(handle, opts);
      for (const [event, listener] of Object.entries(opts.on ?? {}) as Array<[keyof SfuSubscriberEvents, SfuSubscriberEvents[keyof SfuSubscriberEvents]]>) {
        sub.on(event, listener as never);
      }
      const { data, jsep } = await handle.message({
        request: 'join', ptype: 'subscriber', room: opts.room, pin: opts.pin, use_msid: false,
        streams: opts.feeds.map((feed) => ({ feed })), ...(opts.privateId !== undefined ? { private_id: opts.privateId } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      });
      sub.#applyStreams(streamsOf(data) ?? []);
      if (jsep?.type !== 'offer') throw new SfuError(SFU_BAD_REPLY, 'subscribe: Janus sent no offer');
      await sub.#enqueue(() => sub.#answer(jsep));
      return sub;
    } catch (err) {
      await handle.detach().catch(() => undefined);
      throw err;
    }
  }

  /** Feeds currently received, by feed id. */
  feeds(): number[] {
    return [...new Set([...this.#streams.values()].filter((s) => s.active).map((s) => s.feedId))];
  }

  /** Tracks currently live. */
  tracks(): SfuTrackEvent[] { return [...this.#live.values()]; }

  /**
   * Adds and removes feeds on the same PeerConnection (Janus 1.x `update`, one renegotiation). A feed id subscribes
   * to every stream the feed publishes now; `{ feed, mid }` (the publisher's mid, from `feedsOf` of a room event) to
   * one stream. A stream added to a feed we already receive (a screen shared later) must be asked for by mid: Janus
   * 1.1.2 answers a second `{ feed }` with new m-lines for every stream of the feed, duplicates included. Streams we
   * already receive are left out of the request here.
   */
  async update(change: { subscribe?: Array<number | { feed: number; mid?: string }>; unsubscribe?: number[] }): Promise<void> {
    const have = [...this.#streams.values()].filter((s) => s.active);
    const subscribe = (change.subscribe ?? []).map((f) => (typeof f === 'number' ? { feed: f } : f))
      .filter((f) => f.mid === undefined || !have.some((s) => s.feedId === f.feed && s.feedMid === f.mid));
    const unsubscribe = (change.unsubscribe ?? []).map((feed) => ({ feed }));
    if (subscribe.length + unsubscribe.length === 0) return;
    await this.#enqueue(async () => {
      const { data, jsep } = await this.handle.message({ request: 'update', ...(subscribe.length ? { subscribe } : {}), ...(unsubscribe.length ? { unsubscribe } : {}) });
      const streams = streamsOf(data);
      if (streams !== undefined) this.#applyStreams(streams);
      if (jsep?.type === 'offer') await this.#answer(jsep);
    });
  }

  /** Chooses the simulcast layer (0 low … 2 high) Janus forwards for the video of `feedId`. */
  async substream(feedId: number, substream: 0 | 1 | 2): Promise<void> {
    const streams = [...this.#streams.values()].filter((s) => s.feedId === feedId).map((s) => ({ mid: s.mid, substream }));
    if (streams.length === 0) throw new Error(`substream: not subscribed to feed ${feedId}`);
    await this.handle.message({ request: 'configure', streams });
  }

  /** Leaves: closes the PeerConnection and detaches the handle (the session stays open). */
  async close(): Promise<void> {
    this.#end('closed');
    await this.handle.detach().catch(() => undefined);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #answer(offer: Jsep): Promise<void> {
    if (this.#closed) return;
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await this.handle.message({ request: 'start' }, { type: 'answer', sdp: this.pc.localDescription!.sdp });
  }

  #applyStreams(list: StreamInfo[]): void {
    // Every `streams` list Janus sends is the whole list: mids not in it (or inactive) no longer carry their feed.
    const now = new Map(list.map((s) => [s.mid, s]));
    for (const [mid, live] of this.#live) {
      const s = now.get(mid);
      if (s === undefined || !s.active || s.feedId !== live.feedId) this.#endTrack(mid);
    }
    this.#streams.clear();
    for (const s of list) this.#streams.set(s.mid, s);
  }

  #onTrack(e: RTCTrackEvent): void {
    const mid = e.transceiver.mid;
    const info = mid === null ? undefined : this.#streams.get(mid);
    if (mid === null || info === undefined || !info.active) return;
    const event: SfuTrackEvent = { feedId: info.feedId, mid, description: info.description, track: e.track, stream: e.streams[0] ?? new MediaStream([e.track]) };
    this.#live.set(mid, event);
    this.emit('track', event);
  }

  #endTrack(mid: string): void {
    const live = this.#live.get(mid);
    if (live === undefined) return;
    this.#live.delete(mid);
    this.emit('track-ended', live);
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const mid of [...this.#live.keys()]) this.#endTrack(mid);
    this.pc.close();
    this.emit('closed', reason);
  }
}
