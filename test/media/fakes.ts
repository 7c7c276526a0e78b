// In-memory stand-ins for the WebRTC and capture objects media touches, so its wiring runs in Node.
import { ObservableV2 } from 'lib0/observable';
import type { ClassNetworkEvents, MediaConnection } from '../../src/provider/network.js';
import type { MediaNetwork } from '../../src/media/classroomMedia.js';
import type { PeerInfo } from '../../src/topology/index.js';

let nextId = 0;

export class FakeTrack extends EventTarget {
  readonly id = `track-${++nextId}`;
  enabled = true;
  readyState: MediaStreamTrackState = 'live';
  constructor(readonly kind: 'audio' | 'video') { super(); }
  stop(): void { this.readyState = 'ended'; }
}

export class FakeStream extends EventTarget {
  readonly id = `stream-${++nextId}`;
  private readonly tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) { super(); this.tracks = [...tracks]; }
  getTracks(): FakeTrack[] { return [...this.tracks]; }
  getVideoTracks(): FakeTrack[] { return this.tracks.filter((t) => t.kind === 'video'); }
  getAudioTracks(): FakeTrack[] { return this.tracks.filter((t) => t.kind === 'audio'); }
  addTrack(track: FakeTrack): void { if (!this.tracks.includes(track)) this.tracks.push(track); }
  removeTrack(track: FakeTrack): void {
    const i = this.tracks.indexOf(track);
    if (i < 0) return;
    this.tracks.splice(i, 1);
    const event = new Event('removetrack') as Event & { track?: FakeTrack };
    event.track = track;
    this.dispatchEvent(event);
  }
}

export class FakeSender {
  maxBitrate: number | undefined;
  setCalls = 0;
  negotiated = true;
  /** Like Chromium: encodings carry `priority`/`networkPriority` (default 'low' per spec). Off: like @roamhq/wrtc. */
  supportsPriority = false;
  priority: RTCPriorityType = 'medium';
  networkPriority: RTCPriorityType = 'medium';
  /** Makes setParameters reject when it is handed a priority (an implementation that refuses the fields). */
  rejectPriority = false;
  constructor(public track: MediaStreamTrack) {}
  getParameters(): RTCRtpSendParameters {
    const priorities = this.supportsPriority ? { priority: this.priority, networkPriority: this.networkPriority } : {};
    const encodings = this.negotiated ? [{ ...(this.maxBitrate !== undefined ? { maxBitrate: this.maxBitrate } : {}), ...priorities }] : [];
    return { encodings, transactionId: 'x', codecs: [], headerExtensions: [], rtcp: {} };
  }
  async setParameters(params: RTCRtpSendParameters): Promise<void> {
    const encoding = params.encodings[0];
    if (this.rejectPriority && encoding !== undefined && ('priority' in encoding || 'networkPriority' in encoding)) throw new DOMException('unsupported', 'InvalidModificationError');
    this.setCalls++;
    this.maxBitrate = encoding?.maxBitrate;
    if (this.supportsPriority && encoding?.priority !== undefined) this.priority = encoding.priority;
    if (this.supportsPriority && encoding?.networkPriority !== undefined) this.networkPriority = encoding.networkPriority;
  }
  async replaceTrack(track: MediaStreamTrack | null): Promise<void> { if (track !== null) this.track = track; }
}

export class FakeConnection implements MediaConnection {
  closed = false;
  connectionState: RTCPeerConnectionState = 'connected';
  signalingState: RTCSignalingState = 'stable';
  readonly senders = new Set<FakeSender>();
  added = 0;
  removed = 0;
  stats: Array<Record<string, unknown>> = [];
  private readonly trackHandlers = new Set<(event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void>();
  private readonly closedHandlers = new Set<() => void>();
  constructor(readonly remoteId: string) {}

  addTrack(track: MediaStreamTrack): RTCRtpSender {
    this.added++;
    const sender = new FakeSender(track);
    this.senders.add(sender);
    return sender as unknown as RTCRtpSender;
  }
  removeTrack(sender: RTCRtpSender): void {
    this.removed++;
    this.senders.delete(sender as unknown as FakeSender);
  }
  sentTracks(): MediaStreamTrack[] { return [...this.senders].map((s) => s.track); }
  async getStats(): Promise<RTCStatsReport> {
    return new Map(this.stats.map((s, i) => [String(i), s])) as unknown as RTCStatsReport;
  }
  onTrack(handler: (event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void): () => void {
    this.trackHandlers.add(handler);
    return () => this.trackHandlers.delete(handler);
  }
  onClosed(handler: () => void): () => void {
    this.closedHandlers.add(handler);
    return () => this.closedHandlers.delete(handler);
  }
  /** The remote side sends `track` in `stream`. */
  receive(track: FakeTrack, stream: FakeStream): void {
    for (const h of [...this.trackHandlers]) h({ track: track as unknown as MediaStreamTrack, streams: [stream as unknown as MediaStream] });
  }
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
    for (const h of [...this.closedHandlers]) h();
  }
  listeners(): number { return this.trackHandlers.size + this.closedHandlers.size; }
}

export class FakeNetwork extends ObservableV2<ClassNetworkEvents> implements MediaNetwork {
  readonly connections = new Map<string, FakeConnection>();
  constructor(public selfInfo: PeerInfo, public peers: PeerInfo[]) { super(); }
  knownPeers(): PeerInfo[] { return this.peers; }
  mediaConnections(): ReadonlyMap<string, MediaConnection> { return this.connections; }
  /** Opens a connection to a known peer, announcing it the way a provider does (event first, then listed). */
  connect(peerId: string): FakeConnection {
    const connection = new FakeConnection(peerId);
    this.emit('peer-connection', [connection, this.peers.find((p) => p.peerId === peerId) ?? { peerId, role: 'student' }, 'local']);
    this.connections.set(peerId, connection);
    return connection;
  }
}

/** A `mediaDevices` handing out fake tracks; `fail` makes the next call reject with that error. */
export class FakeDevices {
  fail: unknown = null;
  calls = 0;
  gate: Promise<void> | null = null;
  async getUserMedia(constraints?: MediaStreamConstraints): Promise<MediaStream> {
    return this.capture(constraints?.video !== undefined ? 'video' : 'audio');
  }
  async getDisplayMedia(): Promise<MediaStream> { return this.capture('video'); }
  private async capture(kind: 'audio' | 'video'): Promise<MediaStream> {
    this.calls++;
    if (this.gate !== null) await this.gate;
    if (this.fail !== null) { const e = this.fail; this.fail = null; throw e; }
    return new FakeStream([new FakeTrack(kind)]) as unknown as MediaStream;
  }
}

export const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** What a Chromium stats report of a connection sending video holds, as far as the uplink estimate reads it. */
export interface VideoStatsShape {
  /** `availableOutgoingBitrate` of the selected pair; omitted when undefined. */
  available?: number;
  /** `fractionLost` the receiver reported for the video. */
  fractionLost?: number;
  /** remote-inbound-rtp `roundTripTime`, s. */
  rtt?: number;
  /** false: a data-only connection (no outbound video). */
  video?: boolean;
  /** true: no transport stat, only a nominated pair (as some implementations report). */
  noTransport?: boolean;
}

/** Stats entries like Chromium's: a transport with a selected pair, a stale nominated pair, outbound + remote-inbound video. */
export function videoStats(shape: VideoStatsShape): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [
    { id: 'CP1', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.001,
      ...(shape.available !== undefined ? { availableOutgoingBitrate: shape.available } : {}) },
    // Chromium keeps a formerly nominated pair around that is no longer selected (and has no estimate).
    { id: 'CP0', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.002, writable: false },
  ];
  if (shape.noTransport !== true) out.push({ id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1' });
  if (shape.video !== false) {
    out.push({ id: 'OT01V1', type: 'outbound-rtp', kind: 'video', bytesSent: 1000 });
    out.push({ id: 'RIV1', type: 'remote-inbound-rtp', kind: 'video', packetsLost: 0, fractionLost: shape.fractionLost ?? 0, ...(shape.rtt !== undefined ? { roundTripTime: shape.rtt } : {}) });
  }
  return out;
}

/** The stats entries as an RTCStatsReport (a Map by index, like FakeConnection.getStats). */
export function statsReport(entries: Array<Record<string, unknown>>): RTCStatsReport {
  return new Map(entries.map((s, i) => [String(i), s])) as unknown as RTCStatsReport;
}
