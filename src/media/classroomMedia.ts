import { ObservableV2 } from 'lib0/observable';
import type { ClassNetwork, MediaConnection } from '../provider/network.js';
import type { PeerInfo } from '../topology/index.js';
import { BitrateController, FixedUplink, checkBitrate, type UplinkEstimator } from './bitrate.js';
import { LocalCapture, type LocalTrack, type MediaDevicesLike } from './capture.js';
import { MeasuredUplink } from './measuredUplink.js';
import { SenderTable } from './senders.js';
import { shouldSendMedia, type SendRule } from './sendPolicy.js';
import { QualityMonitor, type ConnectionQuality, type QualityEvent } from './stats.js';
import { Subscriptions, type TrackSubscribedEvent, type TrackUnsubscribedEvent } from './subscriptions.js';

export type { ConnectionQuality, QualityEvent } from './stats.js';
export type { MediaKind, TrackSubscribedEvent, TrackUnsubscribedEvent } from './subscriptions.js';

/** The part of a {@link ClassNetwork} media uses: who is there, and the peer connections it sends on. */
export type MediaNetwork = Pick<ClassNetwork, 'selfInfo' | 'knownPeers' | 'mediaConnections' | 'on' | 'off'>;

/** Events of {@link ClassroomMedia}. */
export interface ClassroomMediaEvents {
  /** A remote track started arriving. */
  'track-subscribed': (event: TrackSubscribedEvent) => void;
  /** A remote track stopped arriving (removed by its sender, ended, or its connection closed). */
  'track-unsubscribed': (event: TrackUnsubscribedEvent) => void;
  /** A peer's connection quality changed (from the periodic `getStats` poll). */
  quality: (event: QualityEvent) => void;
  /** The local screen share started (its stream id) or stopped (null); announce it so receivers can tell it from the camera. */
  'screen-stream': (event: { streamId: string | null }) => void;
  /** The local tracks changed (a source turned on or off, or a device switch); read them with `localTracks()`. */
  'local-tracks': () => void;
}

/** Options of {@link ClassroomMedia}. */
export interface ClassroomMediaOptions {
  /** The room's network (a `ClassNetwork`, e.g. the provider). */
  network: MediaNetwork;
  /** The class teacher key, so a peer only counts as the teacher when it announces this key. */
  teacherKey: string;
  /** Current stage (from the signed control state); read on every {@link ClassroomMedia.reevaluate}. */
  getStage(): string | null;
  /** Stream id of `peerId`'s screen share, as it announced it (see the `screen-stream` event). */
  screenStreamOf(peerId: string): string | null;
  /** `getUserMedia`/`getDisplayMedia` source; default `navigator.mediaDevices`. */
  mediaDevices?: MediaDevicesLike;
  /** Interval of the `getStats` quality poll and the bitrate refresh. Default 2000 ms; 0 turns it off. */
  statsIntervalMs?: number;
  /**
   * A fixed uplink budget in bits per second shared among video receivers, instead of the measured one. Ignored
   * with `uplinkEstimator`. Default: none, the budget follows the measured uplink ({@link MeasuredUplink}, which
   * starts from 2.5 Mbit/s until the first stats poll measures it).
   */
  uplinkBudget?: number;
  /** Where the uplink budget comes from instead (e.g. a {@link MeasuredUplink} with other options). */
  uplinkEstimator?: UplinkEstimator;
  /** No video receiver is capped below this many bits per second. Default 100 kbit/s. */
  minVideoBitrate?: number;
  /** Who sends to whom; default {@link shouldSendMedia} (classroom rule). `meshSendRule` gives a full media mesh. */
  sendRule?: SendRule;
  /**
   * Whether this peer's local tracks go on its peer connections at all (read on every re-evaluation). Lecture mode
   * answers false once this peer's media travels through the SFU instead. Default: always.
   */
  sendsPeerToPeer?(): boolean;
}

/**
 * Camera, microphone and screen share on the class's existing peer connections.
 *
 * Local tracks are added only to connections where the send rule says so (by default the teacher and the
 * staged student send to everyone, other students to nobody) and removed when that changes; renegotiation
 * is the transport's perfect negotiation. The uplink budget is split among video receivers with
 * `RTCRtpSender.setParameters`. Failures of capture calls reject with a `MediaError`.
 */
export class ClassroomMedia extends ObservableV2<ClassroomMediaEvents> {
  private readonly options: ClassroomMediaOptions;
  private readonly capture: LocalCapture;
  private readonly senders = new SenderTable();
  private readonly bitrate: BitrateController;
  private readonly subscriptions: Subscriptions;
  private readonly quality = new QualityMonitor();
  private readonly watched = new Map<MediaConnection, () => void>();
  private readonly statsTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;

  constructor(options: ClassroomMediaOptions) {
    super();
    this.options = options;
    this.bitrate = new BitrateController({
      estimator: options.uplinkEstimator
        ?? (options.uplinkBudget !== undefined ? new FixedUplink(options.uplinkBudget) : new MeasuredUplink()),
      ...(options.minVideoBitrate !== undefined ? { floor: options.minVideoBitrate } : {}),
    });
    this.capture = new LocalCapture(options.mediaDevices);
    this.capture.on('tracks', () => { this.reevaluate(); this.emit('local-tracks', []); });
    this.capture.on('replaced', (previous, next) => { this.senders.replace(previous, next); this.emit('local-tracks', []); });
    this.capture.on('screen-stream', (streamId) => this.emit('screen-stream', [{ streamId }]));
    this.subscriptions = new Subscriptions(options.screenStreamOf);
    this.subscriptions.on('track-subscribed', (e) => this.emit('track-subscribed', [e]));
    this.subscriptions.on('track-unsubscribed', (e) => this.emit('track-unsubscribed', [e]));
    options.network.on('peer-connection', this.onPeerConnection);
    for (const connection of options.network.mediaConnections().values()) this.watch(connection);
    const interval = options.statsIntervalMs ?? 2000;
    if (interval > 0) this.statsTimer = setInterval(() => { void this.poll(); }, interval);
  }

  /** The local camera + microphone stream (null until one of them is on). */
  get localStream(): MediaStream | null { return this.capture.mainStream; }

  /** The local screen-share stream, or null. */
  get localScreenStream(): MediaStream | null { return this.capture.screenStream; }

  /** Remote camera/microphone streams by peer id (in lecture mode, the SFU's stream of a peer first). */
  remoteStreams(): Map<string, MediaStream> { return this.subscriptions.remoteStreams(); }

  /** Every live local track with its stream (camera and microphone share one; the screen share has its own). */
  localTracks(): LocalTrack[] { return this.capture.localTracks(); }

  /** The local screen-share stream id, or null. */
  get screenStreamId(): string | null { return this.capture.screenStream?.id ?? null; }

  /**
   * Reports a remote track that arrived outside the class's peer connections (lecture mode: from the SFU) as
   * `peerId`'s, through the same `track-subscribed` / `track-unsubscribed` events. Call the returned function when
   * the track stops arriving.
   */
  addRemoteTrack(event: TrackSubscribedEvent): () => void { return this.subscriptions.addExternal(event); }

  /** Last connection quality measured per peer. */
  qualityOf(peerId: string): ConnectionQuality | undefined { return this.quality.qualityOf(peerId); }

  /** Turns the camera on (optionally a given device) or off. Sent only where the send rule allows. */
  setCamera(on: boolean, deviceId?: string): Promise<void> { return this.capture.setCamera(on, deviceId); }

  /** Turns the microphone on (optionally a given device) or off. A teacher's pending mute request keeps it muted. */
  setMicrophone(on: boolean, deviceId?: string): Promise<void> { return this.capture.setMicrophone(on, deviceId); }

  /** Starts or stops sharing the screen (a separate stream, announced through the `screen-stream` event). */
  shareScreen(on: boolean): Promise<void> { return this.capture.shareScreen(on); }

  /** Applies a teacher's mute request to the local microphone (true: muted). */
  applyMuteRequest(muted: boolean): void { this.capture.applyMuteRequest(muted); }

  /**
   * Sets a fixed uplink (bits per second) shared among video receivers, replacing any estimator: each video
   * sender gets `budget / receivers`, at least the floor. Throws a `MediaError` (`invalid-argument`) for a
   * value that is not a positive number.
   */
  setUplinkBudget(bitsPerSecond: number): void {
    this.bitrate.estimator = new FixedUplink(checkBitrate(bitsPerSecond, 'setUplinkBudget'));
    void this.bitrate.apply(this.senders);
  }

  /** Makes the uplink budget follow `estimator` (e.g. one fed by stats), replacing a fixed budget. */
  setUplinkEstimator(estimator: UplinkEstimator): void {
    this.bitrate.estimator = estimator;
    void this.bitrate.apply(this.senders);
  }

  /** The total video uplink this peer currently spends, bits per second (measured, or the fixed budget). */
  uplinkEstimate(): number { return this.bitrate.estimator.estimate(); }

  /** The bitrate cap each video receiver currently gets from this peer. */
  perReceiverBitrate(): number { return this.bitrate.perReceiver(this.senders.videoReceivers()); }

  /**
   * Adds or removes local tracks on every connection according to the send rule. Call whenever the stage or
   * what peers announce changes; local track changes and new or closed connections re-evaluate by themselves.
   */
  reevaluate(): void {
    if (this.destroyed) return;
    const { network, teacherKey } = this.options;
    const rule = this.options.sendRule ?? shouldSendMedia;
    const stage = this.options.getStage();
    const self = network.selfInfo;
    const known = new Map(network.knownPeers().map((p) => [p.peerId, p]));
    const local = this.options.sendsPeerToPeer?.() === false ? [] : this.capture.localTracks();
    for (const [peerId, connection] of network.mediaConnections()) {
      if (connection.closed) continue;
      this.watch(connection);
      const remote: PeerInfo = known.get(peerId) ?? { peerId, role: 'student' };
      this.senders.reconcile(connection, rule(self, remote, stage, teacherKey) ? local : []);
    }
    this.senders.prune();
    void this.bitrate.apply(this.senders);
  }

  /** Stops local tracks, drops listeners and timers. Connections are the network's to close. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.options.network.off('peer-connection', this.onPeerConnection);
    for (const off of this.watched.values()) off();
    this.watched.clear();
    this.capture.stop();
    this.capture.destroy();
    this.subscriptions.destroy();
    this.senders.clear();
    super.destroy();
  }

  private readonly onPeerConnection = (connection: MediaConnection): void => {
    this.watch(connection);
    // The network lists the connection in mediaConnections() right after announcing it; evaluate once it does.
    queueMicrotask(() => this.reevaluate());
  };

  private watch(connection: MediaConnection): void {
    if (this.destroyed || this.watched.has(connection)) return;
    this.subscriptions.watch(connection);
    const off = connection.onClosed(() => {
      off();
      this.watched.delete(connection);
      this.senders.forget(connection);
      this.quality.resetCounters(connection.remoteId);
      queueMicrotask(() => this.reevaluate());
    });
    this.watched.set(connection, off);
  }

  private async poll(): Promise<void> {
    if (this.destroyed) return;
    for (const [peerId, connection] of this.options.network.mediaConnections()) {
      if (connection.closed || connection.connectionState !== 'connected') continue;
      let report: RTCStatsReport;
      try { report = await connection.getStats(); } catch { continue; }
      if (this.destroyed) return;
      this.bitrate.estimator.observe?.(connection, report);
      const quality = this.quality.update(peerId, report);
      if (quality !== null) this.emit('quality', [{ peerId, quality }]);
    }
    // After the stats, so the caps use this poll's estimate (and pick up connections that settled meanwhile).
    if (!this.destroyed) await this.bitrate.apply(this.senders);
  }
}
