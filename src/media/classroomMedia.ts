import type { PeerclassProvider } from '../provider/peerclassProvider.js';
import { shouldSendMedia, type PeerInfo } from '../topology/index.js';
import type { PeerConnection } from '../transport/peerConnection.js';

/** What a local or remote track carries. */
export type MediaKind = 'camera' | 'microphone' | 'screen';

/** Connection quality derived from `getStats` (round-trip time and packet loss). */
export type ConnectionQuality = 'good' | 'fair' | 'poor';

/** A remote track that started arriving. */
export interface TrackSubscribedEvent {
  peerId: string;
  track: MediaStreamTrack;
  stream: MediaStream;
  kind: MediaKind;
}

/** A remote track that stopped arriving (the sender removed it or the connection closed). */
export interface TrackUnsubscribedEvent {
  peerId: string;
  track: MediaStreamTrack;
}

/** What {@link ClassroomMedia} reports to its owner (the Classroom turns these into its events). */
export interface MediaCallbacks {
  trackSubscribed(event: TrackSubscribedEvent): void;
  trackUnsubscribed(event: TrackUnsubscribedEvent): void;
  quality(event: { peerId: string; quality: ConnectionQuality }): void;
}

/** Options of {@link ClassroomMedia}. */
export interface ClassroomMediaOptions {
  provider: PeerclassProvider;
  /** The class teacher key, so a peer only counts as the teacher when it announces this key. */
  teacherKey: string;
  /** Current stage (from the signed control state). */
  getStage(): string | null;
  /** Stream id of `peerId`'s screen share, as it announced it (awareness); tells a screen track from a camera track. */
  screenStreamOf(peerId: string): string | null;
  /** Called when the local screen stream id changes, so the owner can announce it. */
  onScreenStream?(streamId: string | null): void;
  callbacks: MediaCallbacks;
  /** `getUserMedia`/`getDisplayMedia` source; default `navigator.mediaDevices`. */
  mediaDevices?: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
  /** Interval of the `getStats` quality poll and the bitrate refresh. Default 2000 ms; 0 turns it off. */
  statsIntervalMs?: number;
  /** Initial teacher uplink budget in bits per second. Default 2.5 Mbit/s. */
  uplinkBudget?: number;
  /** Who sends to whom; default {@link shouldSendMedia} (classroom rule). `() => true` gives a full media mesh. */
  sendRule?: (self: PeerInfo, remote: PeerInfo, stage: string | null, teacherKey: string) => boolean;
}

/** Default uplink the teacher shares among its video receivers. */
export const DEFAULT_UPLINK_BUDGET = 2_500_000;
/** Never throttle a receiver below this, or the picture freezes instead of getting blurrier. */
const MIN_VIDEO_BITRATE = 100_000;

interface Remote {
  stream: MediaStream | null;
  tracks: Set<MediaStreamTrack>;
}

/** Rates a connection from its round-trip time (s) and loss ratio. */
export function rateQuality(rttSeconds: number | null, lossRatio: number): ConnectionQuality {
  const rtt = rttSeconds ?? 0;
  if (rtt < 0.15 && lossRatio < 0.02) return 'good';
  if (rtt < 0.4 && lossRatio < 0.08) return 'fair';
  return 'poor';
}

/**
 * Camera, microphone and screen share on the class's existing peer connections.
 *
 * Tracks are added only to connections where {@link shouldSendMedia} says so (the teacher to everyone, the
 * staged student to everyone, other students to nobody) and removed when that changes; renegotiation is
 * the transport's perfect negotiation. The teacher splits its uplink budget among its video receivers with
 * `RTCRtpSender.setParameters` (maxBitrate).
 */
export class ClassroomMedia {
  private readonly options: ClassroomMediaOptions;
  private camera: MediaStreamTrack | null = null;
  private microphone: MediaStreamTrack | null = null;
  private screen: MediaStreamTrack | null = null;
  private mainStream: MediaStream | null = null;
  private screenStream: MediaStream | null = null;
  private readonly senders = new Map<PeerConnection, Map<MediaStreamTrack, RTCRtpSender>>();
  private readonly remotes = new Map<string, Remote>();
  private readonly qualities = new Map<string, ConnectionQuality>();
  private readonly lastStats = new Map<string, { lost: number; received: number }>();
  private readonly watched = new WeakSet<PeerConnection>();
  private budget: number;
  private muteRequested = false;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;

  constructor(options: ClassroomMediaOptions) {
    this.options = options;
    this.budget = options.uplinkBudget ?? DEFAULT_UPLINK_BUDGET;
    options.provider.on('peer-connection', this.onPeerConnection);
    for (const connection of options.provider.connections().values()) this.watch(connection);
    const interval = options.statsIntervalMs ?? 2000;
    if (interval > 0) this.statsTimer = setInterval(() => { void this.poll(); }, interval);
  }

  /** The local camera + microphone stream (null until one of them is on). */
  get localStream(): MediaStream | null { return this.mainStream; }

  /** The local screen-share stream, or null. */
  get localScreenStream(): MediaStream | null { return this.screenStream; }

  /** Remote camera/microphone streams by peer id. */
  remoteStreams(): Map<string, MediaStream> {
    const out = new Map<string, MediaStream>();
    for (const [peerId, remote] of this.remotes) if (remote.stream !== null && remote.tracks.size > 0) out.set(peerId, remote.stream);
    return out;
  }

  /** Last connection quality measured per peer. */
  qualityOf(peerId: string): ConnectionQuality | undefined { return this.qualities.get(peerId); }

  /** One track from getUserMedia: any device, or exactly `deviceId`. */
  private async captureTrack(kind: 'audio' | 'video', deviceId: string | undefined, caller: string): Promise<MediaStreamTrack> {
    const constraints: MediaTrackConstraints | boolean = deviceId === undefined ? true : { deviceId: { exact: deviceId } };
    const stream = await this.devices().getUserMedia({ [kind]: constraints });
    const track = (kind === 'video' ? stream.getVideoTracks() : stream.getAudioTracks())[0];
    if (track === undefined) throw new Error(`${caller}: getUserMedia returned no ${kind} track`);
    return track;
  }

  /** Turns the camera on (optionally a given device) or off. Sent only where the topology allows. */
  async setCamera(on: boolean, deviceId?: string): Promise<void> {
    const previous = this.camera;
    if (!on) { this.camera = null; this.detach(previous); return; }
    if (previous !== null && deviceId === undefined) return;
    const track = await this.captureTrack('video', deviceId, 'setCamera');
    this.camera = track;
    this.attach(track, previous);
  }

  /** Turns the microphone on (optionally a given device) or off. A teacher's pending mute request keeps it muted. */
  async setMicrophone(on: boolean, deviceId?: string): Promise<void> {
    const previous = this.microphone;
    if (!on) { this.microphone = null; this.detach(previous); return; }
    if (previous !== null && deviceId === undefined) return;
    const track = await this.captureTrack('audio', deviceId, 'setMicrophone');
    track.enabled = !this.muteRequested;
    this.microphone = track;
    this.attach(track, previous);
  }

  /** Starts or stops sharing the screen (a separate stream, so receivers tell it from the camera). */
  async shareScreen(on: boolean): Promise<void> {
    const previous = this.screen;
    if (!on) {
      this.screen = null;
      this.detach(previous);
      this.screenStream = null;
      this.options.onScreenStream?.(null);
      return;
    }
    if (previous !== null) return;
    const stream = await this.devices().getDisplayMedia({ video: true });
    const track = stream.getVideoTracks()[0];
    if (track === undefined) throw new Error('shareScreen: getDisplayMedia returned no video track');
    track.addEventListener('ended', () => { if (this.screen === track) void this.shareScreen(false); });
    this.screen = track;
    this.screenStream = new MediaStream([track]);
    this.options.onScreenStream?.(this.screenStream.id);
    this.reevaluate();
  }

  /**
   * Sets the uplink (bits per second) the teacher shares among its video receivers: each video sender gets
   * `budget / receivers` (at least 100 kbit/s).
   */
  setUplinkBudget(bitsPerSecond: number): void {
    if (!(bitsPerSecond > 0)) throw new Error('setUplinkBudget: expected a positive number of bits per second');
    this.budget = bitsPerSecond;
    void this.applyBitrates();
  }

  /** The bitrate cap each video receiver currently gets from this peer. */
  perReceiverBitrate(): number {
    const receivers = [...this.senders.values()].filter((s) => [...s.keys()].some((t) => t.kind === 'video')).length;
    return Math.max(MIN_VIDEO_BITRATE, Math.floor(this.budget / Math.max(1, receivers)));
  }

  /** Applies a teacher's mute request to the local microphone (true: muted). */
  applyMuteRequest(muted: boolean): void {
    this.muteRequested = muted;
    if (this.microphone !== null) this.microphone.enabled = !muted;
  }

  /**
   * Adds or removes local tracks on every connection according to {@link shouldSendMedia}. Called by the
   * Classroom whenever the stage, the connections or the local tracks change.
   */
  reevaluate(): void {
    if (this.destroyed) return;
    const { provider } = this.options;
    const stage = this.options.getStage();
    const self = provider.selfInfo;
    const known = new Map(provider.knownPeers().map((p) => [p.peerId, p]));
    const local: Array<[MediaStreamTrack, MediaStream]> = [];
    if (this.mainStream !== null) {
      for (const track of [this.camera, this.microphone]) if (track !== null) local.push([track, this.mainStream]);
    }
    if (this.screen !== null && this.screenStream !== null) local.push([this.screen, this.screenStream]);
    for (const [peerId, connection] of provider.connections()) {
      if (connection.closed) continue;
      this.watch(connection);
      const remote: PeerInfo = known.get(peerId) ?? { peerId, role: 'student' };
      const send = (this.options.sendRule ?? shouldSendMedia)(self, remote, stage, this.options.teacherKey);
      let bySender = this.senders.get(connection);
      if (bySender === undefined) { bySender = new Map(); this.senders.set(connection, bySender); }
      const wanted = new Set(send ? local.map(([t]) => t) : []);
      for (const [track, sender] of bySender) {
        if (!wanted.has(track)) { connection.removeTrack(sender); bySender.delete(track); }
      }
      if (send) {
        for (const [track, stream] of local) {
          if (bySender.has(track)) continue;
          bySender.set(track, connection.addTrack(track, stream));
        }
      }
      if (bySender.size === 0) this.senders.delete(connection);
    }
    for (const connection of [...this.senders.keys()]) if (connection.closed) this.senders.delete(connection);
    void this.applyBitrates();
  }

  /** Stops local tracks, drops listeners and timers. Connections are the provider's to close. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.options.provider.off('peer-connection', this.onPeerConnection);
    for (const track of [this.camera, this.microphone, this.screen]) track?.stop();
    this.camera = this.microphone = this.screen = null;
    this.senders.clear();
  }

  private devices(): Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'> {
    const devices = this.options.mediaDevices ?? (globalThis.navigator as Navigator | undefined)?.mediaDevices;
    if (devices === undefined) throw new Error('ClassroomMedia: no media devices here (pass options.mediaDevices outside a browser)');
    return devices;
  }

  private attach(track: MediaStreamTrack, previous: MediaStreamTrack | null): void {
    if (this.mainStream === null) this.mainStream = new MediaStream();
    if (previous !== null) {
      // A device switch keeps the senders: replaceTrack swaps the source without renegotiating.
      for (const bySender of this.senders.values()) {
        const sender = bySender.get(previous);
        if (sender === undefined) continue;
        bySender.delete(previous);
        bySender.set(track, sender);
        void sender.replaceTrack(track).catch(() => {});
      }
      this.mainStream.removeTrack(previous);
      previous.stop();
    }
    this.mainStream.addTrack(track);
    this.reevaluate();
  }

  private detach(track: MediaStreamTrack | null): void {
    if (track === null) return;
    this.mainStream?.removeTrack(track);
    track.stop();
    this.reevaluate();
  }

  private readonly onPeerConnection = (connection: PeerConnection): void => {
    this.watch(connection);
    // The provider registers the connection right after emitting; evaluate once it is in connections().
    queueMicrotask(() => this.reevaluate());
  };

  private watch(connection: PeerConnection): void {
    if (this.watched.has(connection)) return;
    this.watched.add(connection);
    const peerId = connection.remoteId;
    const mine = new Set<MediaStreamTrack>();
    connection.on('track', ({ track, streams }) => {
      if (this.destroyed) return;
      const stream = streams[0] ?? new MediaStream([track]);
      const screenId = this.options.screenStreamOf(peerId);
      const kind: MediaKind = track.kind === 'audio' ? 'microphone' : screenId !== null && stream.id === screenId ? 'screen' : 'camera';
      if (kind !== 'screen') {
        const remote = this.remotes.get(peerId) ?? { stream: null, tracks: new Set() };
        remote.stream = stream;
        remote.tracks.add(track);
        this.remotes.set(peerId, remote);
      }
      mine.add(track);
      const gone = (): void => {
        if (!mine.delete(track)) return;
        this.remotes.get(peerId)?.tracks.delete(track);
        this.options.callbacks.trackUnsubscribed({ peerId, track });
      };
      // Unified Plan: a removed remote track leaves its stream (and is muted) rather than ending.
      stream.addEventListener('removetrack', (e) => { if ((e as MediaStreamTrackEvent).track === track) gone(); });
      track.addEventListener('ended', gone);
      this.options.callbacks.trackSubscribed({ peerId, track, stream, kind });
    });
    connection.on('closed', () => {
      for (const track of [...mine]) {
        mine.delete(track);
        this.remotes.get(peerId)?.tracks.delete(track);
        this.options.callbacks.trackUnsubscribed({ peerId, track });
      }
      this.senders.delete(connection);
      if (this.options.provider.connections().get(peerId) === undefined) this.remotes.delete(peerId);
      queueMicrotask(() => this.reevaluate());
    });
  }

  private async applyBitrates(): Promise<void> {
    const cap = this.perReceiverBitrate();
    for (const [connection, bySender] of this.senders) {
      // Chromium was seen to stop encoding for a sender whose parameters were set while its connection was still
      // negotiating (10 frames, then none); the periodic poll applies the cap once the connection is settled.
      if (connection.pc.connectionState !== 'connected' || connection.pc.signalingState !== 'stable') continue;
      for (const [track, sender] of bySender) {
        if (track.kind !== 'video') continue;
        try {
          const params = sender.getParameters();
          // Encodings appear once the sender is negotiated; the periodic poll retries until then.
          const encoding = params.encodings?.[0];
          if (encoding === undefined || encoding.maxBitrate === cap) continue;
          encoding.maxBitrate = cap;
          await sender.setParameters(params);
        } catch {
          // A sender mid-negotiation or already removed refuses parameters; the next poll tries again.
        }
      }
    }
  }

  private async poll(): Promise<void> {
    if (this.destroyed) return;
    await this.applyBitrates();
    for (const [peerId, connection] of this.options.provider.connections()) {
      if (connection.closed || connection.pc.connectionState !== 'connected') continue;
      let report: RTCStatsReport;
      try { report = await connection.pc.getStats(); } catch { continue; }
      let rtt: number | null = null;
      let lost = 0;
      let received = 0;
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated === true && typeof s.currentRoundTripTime === 'number') rtt = s.currentRoundTripTime;
        if (s.type === 'inbound-rtp') {
          if (typeof s.packetsLost === 'number') lost += s.packetsLost;
          if (typeof s.packetsReceived === 'number') received += s.packetsReceived;
        }
      });
      const before = this.lastStats.get(peerId) ?? { lost: 0, received: 0 };
      this.lastStats.set(peerId, { lost, received });
      const dLost = Math.max(0, lost - before.lost);
      const dReceived = Math.max(0, received - before.received);
      const loss = dLost + dReceived > 0 ? dLost / (dLost + dReceived) : 0;
      const quality = rateQuality(rtt, loss);
      if (this.qualities.get(peerId) !== quality) {
        this.qualities.set(peerId, quality);
        if (!this.destroyed) this.options.callbacks.quality({ peerId, quality });
      }
    }
  }
}
