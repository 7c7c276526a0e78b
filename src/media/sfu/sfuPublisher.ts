import { SfuError, SFU_BAD_REPLY, SFU_TIMEOUT, type JanusSession, type VideoRoomData, type VideoRoomHandle } from './janusClient.js';

/** Options of {@link SfuPublisher.publish}. */
export interface SfuPublishOptions {
  session: JanusSession;
  room: number;
  pin: string;
  /** The feed id others subscribe to (unique in the room; Janus answers 436 if taken). */
  feedId: number;
  display: string;
  /** A join token, for rooms created with `allowed` tokens. */
  token?: string;
  /**
   * Tracks to send, in slot order: the first video track is the camera (simulcast when asked), a second video track
   * the screen; audio tracks are the microphone. Pass none to join as a participant that only watches.
   */
  tracks: MediaStreamTrack[];
  /** Three layers for the camera: rid h/m/l at 1, 1/2 and 1/4 resolution. */
  simulcast: boolean;
  /** The RTCPeerConnection constructor (default `globalThis.RTCPeerConnection`; `wrtc`'s in Node). */
  rtc?: typeof RTCPeerConnection;
  iceServers?: RTCIceServer[];
}

/** What Janus calls each slot; subscribers see it in the publisher's `streams[].description`. */
export type SfuStreamDescription = 'camera' | 'screen' | 'microphone';

// Layer bitrates as janus.js uses them; the low layer stays watchable on a weak downlink.
const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'h', active: true, maxBitrate: 900_000 },
  { rid: 'm', active: true, maxBitrate: 300_000, scaleResolutionDownBy: 2 },
  { rid: 'l', active: true, maxBitrate: 100_000, scaleResolutionDownBy: 4 },
];

/**
 * The classroom's side of one VideoRoom publisher: joins the room as a publisher with a fixed feed id and, when it
 * has tracks, sends them once to Janus over one RTCPeerConnection (the teacher's single upstream in lecture mode).
 */
export class SfuPublisher {
  /** The PeerConnection to Janus (undefined while only joined). */
  pc: RTCPeerConnection | undefined;
  /** Publishers that were in the room when we joined. */
  readonly existingFeeds: VideoRoomData;
  readonly #opts: SfuPublishOptions;
  readonly #transceivers: Array<{ transceiver: RTCRtpTransceiver; description: SfuStreamDescription }> = [];
  #pendingCandidates: Array<RTCIceCandidateInit | null> | undefined = [];
  #up = false;

  private constructor(readonly handle: VideoRoomHandle, joined: VideoRoomData, opts: SfuPublishOptions) {
    this.existingFeeds = joined;
    this.#opts = opts;
    handle.on('webrtcup', () => { this.#up = true; });
    handle.on('hangup', () => { this.#up = false; });
  }

  /**
   * Resolves once Janus reports the PeerConnection up (`webrtcup`). Until then the feed cannot be subscribed to:
   * Janus 1.1.2 answers 428 "No such feed" (seen under load, when ICE and DTLS take a while after `publish`).
   */
  async whenUp(timeoutMs = 10_000): Promise<void> {
    if (this.#up) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new SfuError(SFU_TIMEOUT, `publisher not up within ${timeoutMs} ms`)); }, timeoutMs);
      const off = this.handle.on('webrtcup', () => { clearTimeout(timer); off(); resolve(); });
    });
  }

  /** Joins the room as publisher `feedId` and publishes `tracks` (if any). Rejects with the SfuError of a wrong pin (433). */
  static async publish(options: SfuPublishOptions): Promise<SfuPublisher> {
    const handle = await options.session.attachVideoRoom();
    try {
      const { data } = await handle.message({ request: 'join', ptype: 'publisher', room: options.room, pin: options.pin, id: options.feedId, display: options.display,
        ...(options.token !== undefined ? { token: options.token } : {}) });
      const publisher = new SfuPublisher(handle, data, options);
      if (options.tracks.length > 0) await publisher.setTracks(options.tracks);
      return publisher;
    } catch (err) {
      await handle.detach().catch(() => undefined);
      throw err;
    }
  }

  /** Janus's private id for this participant (subscribers pass it so their subscriptions belong to us). */
  get privateId(): number | undefined {
    return typeof this.existingFeeds.private_id === 'number' ? this.existingFeeds.private_id : undefined;
  }

  /** The RTP senders currently sending video (1 for a camera, 2 with a screen). */
  videoSenders(): RTCRtpSender[] {
    return this.#transceivers.filter((t) => t.transceiver.sender.track?.kind === 'video').map((t) => t.transceiver.sender);
  }

  /** Replaces the track in the slot of `old` without renegotiation (e.g. a new camera; `null` sends nothing). */
  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack | null): Promise<void> {
    const slot = this.#transceivers.find((t) => t.transceiver.sender.track === old);
    if (slot === undefined) throw new Error('replaceTrack: that track is not published');
    await slot.transceiver.sender.replaceTrack(next);
  }

  /**
   * Sends `tracks`: existing slots of the same role get the new track by `replaceTrack` (no renegotiation); a role
   * without a slot (the first publish, or the screen added later) adds one and renegotiates with Janus; slots whose
   * role is not in `tracks` send nothing (their track is replaced by null, the m-line stays).
   */
  async setTracks(tracks: MediaStreamTrack[]): Promise<void> {
    const wanted = new Map<SfuStreamDescription, MediaStreamTrack>();
    for (const track of tracks) {
      const role: SfuStreamDescription = track.kind === 'audio' ? 'microphone' : wanted.has('camera') || track.contentHint === 'detail' || track.contentHint === 'text' ? 'screen' : 'camera';
      if (!wanted.has(role)) wanted.set(role, track);
    }
    const pc = this.pc ?? this.#createPc();
    let added = false;
    for (const [role, track] of wanted) {
      const slot = this.#transceivers.find((t) => t.description === role);
      if (slot !== undefined) { await slot.transceiver.sender.replaceTrack(track); continue; }
      const stream = new MediaStream([track]);
      const transceiver = pc.addTransceiver(track, {
        direction: 'sendonly', streams: [stream],
        ...(role === 'camera' && this.#opts.simulcast ? { sendEncodings: SIMULCAST.map((e) => ({ ...e })) } : {}),
      });
      this.#transceivers.push({ transceiver, description: role });
      added = true;
    }
    for (const slot of this.#transceivers) if (!wanted.has(slot.description)) await slot.transceiver.sender.replaceTrack(null);
    if (added) await this.#negotiate();
  }

  /** Stops publishing (Janus tells subscribers `unpublished`); stays in the room as a participant. */
  async unpublish(): Promise<void> {
    if (this.pc === undefined) return;
    await this.handle.message({ request: 'unpublish' }).catch((err: unknown) => { if (!(err instanceof SfuError)) throw err; });
    this.pc.close();
    this.pc = undefined;
    this.#transceivers.length = 0;
    this.#pendingCandidates = [];
  }

  /** Leaves the room and closes the PeerConnection (the handle is detached; the session stays open). */
  async close(): Promise<void> {
    this.pc?.close();
    this.pc = undefined;
    await this.handle.detach().catch(() => undefined);
  }

  #createPc(): RTCPeerConnection {
    const Rtc = this.#opts.rtc ?? globalThis.RTCPeerConnection;
    const pc = new Rtc({ iceServers: this.#opts.iceServers ?? [] });
    pc.addEventListener('icecandidate', (e) => {
      const c = e.candidate === null ? null : e.candidate.toJSON();
      // Janus needs the offer before candidates make sense to it: hold them until the publish request is out.
      if (this.#pendingCandidates !== undefined) this.#pendingCandidates.push(c);
      else this.handle.trickle(c).catch(() => undefined);
    });
    this.pc = pc;
    return pc;
  }

  async #negotiate(): Promise<void> {
    const pc = this.pc!;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const descriptions = this.#transceivers.flatMap((t) => (t.transceiver.mid !== null ? [{ mid: t.transceiver.mid, description: t.description }] : []));
    const first = this.pc !== undefined && pc.remoteDescription === null;
    const sent = this.handle.message({ request: first ? 'publish' : 'configure', descriptions }, { type: 'offer', sdp: pc.localDescription!.sdp });
    const queued = this.#pendingCandidates ?? [];
    this.#pendingCandidates = undefined;
    const { jsep } = await sent;
    for (const c of queued) this.handle.trickle(c).catch(() => undefined);
    if (jsep?.type !== 'answer') throw new SfuError(SFU_BAD_REPLY, 'publish: Janus sent no SDP answer');
    await pc.setRemoteDescription({ type: 'answer', sdp: jsep.sdp });
  }
}
