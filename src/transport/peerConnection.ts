import { ObservableV2 } from 'lib0/observable';
import { randomHexId } from '../protocol/ids.js';
import { decodePeerSignal, opensSession, signalSession, type PeerSignal, type SignalCandidate } from '../protocol/peerSignals.js';
import type { Link } from '../sync/link.js';
import { ConnectionSupervisor } from './connectionSupervisor.js';
import { openNegotiatedLink, type DataChannelLink, type NegotiatedLinkOptions } from './dataChannelLink.js';
import { TransportError } from './errors.js';
import { LocalDescriptions, candidateToSignal, localDescriptionSignal } from './rtcCompat.js';

// The signal codec moved to protocol/; these names stay importable from here.
export { decodePeerSignal, signalSession, validatePeerSignal } from '../protocol/peerSignals.js';
export type { CandidateSignal, DescriptionSignal, HelloSignal, PeerSignal, PeerSignalRejectCode, PeerSignalRejection } from '../protocol/peerSignals.js';

/** The WebRTC implementation to use: the browser's globals, or e.g. `@roamhq/wrtc` in Node. */
export interface RtcImplementation {
  /** An RTCPeerConnection constructor. */
  RTCPeerConnection: typeof RTCPeerConnection;
}

/** Options for {@link PeerConnection}. */
export interface PeerConnectionOptions {
  /** Our peer id. */
  localId: string;
  /** The other peer's id. */
  remoteId: string;
  /** WebRTC implementation. */
  rtc: RtcImplementation;
  /** STUN/TURN servers. */
  iceServers?: RTCIceServer[];
  /** 'relay' forces TURN. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Delivers a signal to the remote peer (through signaling). */
  sendSignal: (data: PeerSignal) => void;
  /** Close when not connected within this time (default 20 s). */
  connectTimeoutMs?: number;
  /** Options for the data-channel link. */
  maxMessageBytes?: number;
  /** Receives reasons for ignored signals and dropped frames (default: nothing). */
  log?: (reason: string) => void;
}

/** Events of {@link PeerConnection}. */
export interface PeerConnectionEvents {
  /** The RTCPeerConnection's connection state changed. */
  state: (state: RTCPeerConnectionState) => void;
  /** The data channel opened: the link to the remote peer is ready. */
  link: (link: Link) => void;
  /** A remote media track arrived. */
  track: (event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void;
  /** The connection is gone for good (closed locally, failed after an ICE restart, or timed out). */
  closed: () => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** Random bytes of a connection's session id (16 hex characters on the wire). */
const SESSION_BYTES = 8;

/**
 * One RTCPeerConnection to one remote peer, negotiated with the standard "perfect negotiation" pattern,
 * carrying one data channel (exposed as a {@link Link}) and any media tracks added later.
 *
 * Politeness rule: the peer whose id sorts higher (`localId > remoteId`, plain string comparison) is polite:
 * on an offer collision it rolls back its own offer and accepts the other's; the impolite peer ignores the
 * colliding offer. Both sides compute the same answer, so exactly one side yields.
 *
 * The data channel is created `negotiated: true, id: 0` on both sides. The impolite side creates it (and so
 * offers) at once; the polite side sends a `hello` signal and creates its channel when that first offer arrives,
 * so the first exchange never collides. On connection failure the connection tries one ICE restart (again after each recovery), and
 * closes if that does not reconnect within the connect timeout; reconnecting is then the caller's job: create a
 * new PeerConnection. Every signal carries this connection's random `session`, so the remote side can tell a new
 * connection from the old one ({@link PeerConnection.isFromNewRemoteSession}) and replace its own.
 */
export class PeerConnection extends ObservableV2<PeerConnectionEvents> {
  /** True when this side yields on offer collisions (`localId > remoteId`). */
  readonly polite: boolean;
  /** The underlying RTCPeerConnection (for stats, transceivers …). */
  readonly pc: RTCPeerConnection;
  /** Our id and the remote peer's. */
  readonly localId: string;
  readonly remoteId: string;
  /** This connection's random session id, sent with every signal. */
  readonly session: string = randomHexId(SESSION_BYTES);
  private remoteSessionId: string | null = null;
  private readonly sendSignal: (data: PeerSignal) => void;
  private readonly log: (reason: string) => void;
  private dataLink: DataChannelLink | null = null;
  private leaving = false; // set by leave(): the connection closes once the channel has
  private readonly maxMessageBytes: number | undefined;
  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  private negotiationDeferred = false;
  private readonly descriptions: LocalDescriptions;
  private closedFlag = false;
  private linkOpen = false;
  private readonly supervisor: ConnectionSupervisor;
  /** Signals and our own offers run one at a time, in order: @roamhq/wrtc does not serialise description changes. */
  private signalChain: Promise<void> = Promise.resolve();
  private pendingCandidates: Array<{ candidate: SignalCandidate; session: string | null }> = []; // before any remote description

  /**
   * Creates the connection and its data channel; negotiation starts on its own.
   * @throws {TransportError} `self-connection` when `localId` equals `remoteId`.
   */
  constructor(options: PeerConnectionOptions) {
    super();
    if (options.localId === options.remoteId) throw new TransportError('self-connection', 'a peer cannot connect to itself');
    this.localId = options.localId;
    this.remoteId = options.remoteId;
    this.polite = options.localId > options.remoteId;
    this.sendSignal = options.sendSignal;
    this.log = options.log ?? (() => {});
    const config: RTCConfiguration = { iceServers: options.iceServers ?? [] };
    if (options.iceTransportPolicy !== undefined) config.iceTransportPolicy = options.iceTransportPolicy;
    this.pc = new options.rtc.RTCPeerConnection(config);
    this.descriptions = new LocalDescriptions(this.pc);
    this.pc.onnegotiationneeded = () => { void this.enqueue(() => this.negotiate(), 'negotiation'); };
    this.pc.onicecandidate = ({ candidate }) => {
      if (this.closedFlag) return;
      this.send({ candidate: candidate === null ? null : candidateToSignal(candidate) });
    };
    this.pc.onconnectionstatechange = () => { this.handleConnectionState(); };
    this.pc.onsignalingstatechange = () => {
      if (this.pc.signalingState !== 'stable' || !this.negotiationDeferred) return;
      this.negotiationDeferred = false;
      void this.enqueue(() => this.negotiate(), 'negotiation');
    };
    this.pc.ontrack = (event) => {
      this.emit('track', [{ track: event.track, streams: [...event.streams] }]);
    };
    this.maxMessageBytes = options.maxMessageBytes;
    if (this.polite) {
      // The polite side does not offer first: it asks for an offer and adds its channel when the offer comes.
      // Initial offers from both sides would collide, and after a rollback Chromium was seen to never emit
      // ICE candidates for the answer (the connection then never forms).
      queueMicrotask(() => { if (!this.closedFlag) this.send({ hello: true }); });
    } else {
      this.createChannel();
    }
    this.supervisor = new ConnectionSupervisor({
      pc: this.pc,
      remoteId: this.remoteId,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      log: this.log,
      giveUp: () => this.close(),
      restartIceByOffer: () => { void this.enqueue(() => this.negotiateIceRestart(), 'ICE restart'); },
    });
  }

  /** Creates the negotiated data channel and its link; once per connection. */
  private createChannel(): void {
    if (this.dataLink !== null || this.closedFlag) return;
    const options: NegotiatedLinkOptions = {
      onDroppedMessage: (reason) => this.log(`from ${this.remoteId}: ${reason}`),
      onOpen: (link) => {
        if (this.closedFlag || this.linkOpen) return;
        this.linkOpen = true;
        this.emit('link', [link]);
      },
      // The channel closing (either side) ends the connection.
      onChannelClose: () => { if (this.linkOpen && !this.leaving) this.close(); },
    };
    if (this.maxMessageBytes !== undefined) options.maxMessageBytes = this.maxMessageBytes;
    this.dataLink = openNegotiatedLink(this.pc, this.remoteId, options);
  }

  /** Leaves gracefully: the channel closes first (delivering what was sent), the connection once it has (≤ maxWaitMs). */
  async leave(maxWaitMs: number): Promise<void> {
    if (this.dataLink !== null && this.linkOpen && !this.closedFlag) {
      this.leaving = true;
      await this.dataLink.closeGracefully(maxWaitMs);
    }
    this.close();
  }

  /** The data-channel link once its channel is open, otherwise null. */
  get link(): Link | null {
    return this.linkOpen && !this.closedFlag ? this.dataLink : null;
  }

  /** The remote connection's session id, learnt from its first description; null before. */
  get remoteSession(): string | null {
    return this.remoteSessionId;
  }

  /**
   * True when `data` is an offer from a different remote connection than the one this connection talks to
   * (the remote peer closed its side and started over). The caller should then close this connection and
   * hand the signal to a new one: a connection cannot switch to another remote endpoint.
   */
  isFromNewRemoteSession(data: unknown): boolean {
    const session = signalSession(data);
    if (session === null || this.remoteSessionId === null || session === this.remoteSessionId) return false;
    const decoded = decodePeerSignal(data);
    return decoded.ok && opensSession(decoded.value);
  }

  /** True once {@link close} ran (locally or because the connection failed). */
  get closed(): boolean { return this.closedFlag; }

  /**
   * Applies a signal from the remote peer. Malformed signals are ignored (the reason goes to `log`);
   * never rejects.
   */
  handleSignal(data: unknown): Promise<void> {
    return this.enqueue(() => this.applySignal(data), 'signal');
  }

  private enqueue(task: () => Promise<void>, what: string): Promise<void> {
    const next = this.signalChain.then(task);
    this.signalChain = next.catch((error: unknown) => {
      if (!this.closedFlag) this.log(`${what} with ${this.remoteId} failed: ${String(error)}`);
    });
    return this.signalChain;
  }

  /** Adds a local media track; renegotiation follows through perfect negotiation. */
  addTrack(track: MediaStreamTrack, stream: MediaStream): RTCRtpSender {
    return this.pc.addTrack(track, stream);
  }

  /** Removes a track added with {@link addTrack}. */
  removeTrack(sender: RTCRtpSender): void {
    if (this.closedFlag) return;
    this.pc.removeTrack(sender);
  }

  /** The RTCPeerConnection's connection state. */
  get connectionState(): RTCPeerConnectionState { return this.closedFlag ? 'closed' : this.pc.connectionState; }
  /** The RTCPeerConnection's signaling state. */
  get signalingState(): RTCSignalingState { return this.pc.signalingState; }

  /** The connection's WebRTC statistics. */
  getStats(): Promise<RTCStatsReport> { return this.pc.getStats(); }

  /** Subscribes to remote tracks; returns an unsubscribe function. */
  onTrack(handler: (event: { track: MediaStreamTrack; streams: readonly MediaStream[] }) => void): () => void {
    this.on('track', handler);
    return () => this.off('track', handler);
  }

  /** Subscribes to the final close; returns an unsubscribe function. */
  onClosed(handler: () => void): () => void {
    this.on('closed', handler);
    return () => this.off('closed', handler);
  }

  /** Our last offer may be lost (sent while the relays were down): roll it back and offer again, or it blocks renegotiation. */
  retryNegotiation(): Promise<void> {
    return this.enqueue(async () => {
      if (this.pc.signalingState === 'have-local-offer' && !this.closedFlag) await this.pc.setLocalDescription({ type: 'rollback' });
      await this.negotiate();
    }, 'renegotiation');
  }

  /** Closes the link and the connection; emits `closed` once. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.supervisor.stop();
    this.dataLink?.close();
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.onsignalingstatechange = null;
    this.pc.ontrack = null;
    try { this.pc.close(); } catch { /* already closed */ }
    this.emit('state', ['closed']);
    this.emit('closed', []);
    this.destroy();
  }

  private send(data: PeerSignal): void {
    try {
      this.sendSignal({ ...data, session: this.session });
    } catch (error) {
      this.log(`sending a signal to ${this.remoteId} failed: ${String(error)}`);
    }
  }

  private async negotiate(): Promise<void> {
    if (this.closedFlag) return;
    if (this.pc.signalingState !== 'stable') {
      // Mid-exchange: offer once stable again (not every implementation re-fires negotiationneeded then).
      this.negotiationDeferred = true;
      return;
    }
    try {
      this.makingOffer = true;
      await this.descriptions.set('offer');
      if (this.closedFlag) return;
      this.sendLocalDescription();
    } catch (error) {
      if (!this.closedFlag) this.log(`negotiation with ${this.remoteId} failed: ${String(error)}`);
    } finally {
      this.makingOffer = false;
    }
  }

  private sendLocalDescription(): void {
    const signal = localDescriptionSignal(this.pc);
    if (signal !== null) this.send(signal);
  }

  private async applySignal(data: unknown): Promise<void> {
    if (this.closedFlag) return;
    const decoded = decodePeerSignal(data);
    if (!decoded.ok) {
      this.log(`ignored signal from ${this.remoteId}: ${decoded.code}: ${decoded.reason}`);
      return;
    }
    const signal = decoded.value;
    const session = signal.session ?? null;
    if (session !== null && this.remoteSessionId !== null && session !== this.remoteSessionId) {
      this.log(`ignored signal from another connection (session ${session}) of ${this.remoteId}`);
      return;
    }
    if ('hello' in signal) {
      // Our offer (sent at creation) answers it — unless the remote ignored it (we were not admitted yet): then no
      // answer comes, and the offer goes again. Not at once: normally the hello and our offer just crossed.
      setTimeout(() => { if (!this.closedFlag && this.remoteSessionId === null && this.pc.signalingState === 'have-local-offer') this.sendLocalDescription(); }, 2000);
      return;
    }
    if ('description' in signal) {
      const description = signal.description;
      const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      if (description.type === 'answer' && this.pc.signalingState !== 'have-local-offer') {
        this.log(`ignored answer from ${this.remoteId} in state ${this.pc.signalingState}`);
        return;
      }
      if (session !== null) this.remoteSessionId = session;
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        if (offerCollision && this.pc.signalingState === 'have-local-offer') {
          // Explicit rollback: not every implementation rolls back implicitly in setRemoteDescription.
          await this.pc.setLocalDescription({ type: 'rollback' });
        }
        await this.pc.setRemoteDescription(description);
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (this.closedFlag) return;
      const early = this.pendingCandidates;
      this.pendingCandidates = [];
      for (const early1 of early) {
        // Candidates from another remote connection (an older one, still in flight) do not belong here.
        if (early1.session === null || early1.session === this.remoteSessionId) await this.addCandidate(early1.candidate);
      }
      if (description.type === 'offer') {
        // Polite side: the remote offer carries the data m-section, so our negotiated channel joins this answer.
        this.createChannel();
        await this.descriptions.set('answer');
        if (this.closedFlag) return;
        this.sendLocalDescription();
      }
      return;
    }
    if (signal.candidate === null) return;
    if (this.pc.remoteDescription === null) {
      // Signaling may deliver a candidate ahead of the offer it belongs to.
      if (this.pendingCandidates.length < 256) this.pendingCandidates.push({ candidate: signal.candidate, session });
      return;
    }
    await this.addCandidate(signal.candidate);
  }

  private async addCandidate(candidate: SignalCandidate): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates for an offer we ignored are expected to fail; anything else is worth a log line.
      if (!this.ignoreOffer && !this.closedFlag) this.log(`candidate from ${this.remoteId} refused: ${String(error)}`);
    }
  }

  private handleConnectionState(): void {
    if (this.closedFlag) return;
    const state = this.pc.connectionState;
    this.emit('state', [state]);
    this.supervisor.onState(state);
  }

  /** For implementations without `restartIce()`: an explicit offer with `iceRestart`. */
  private async negotiateIceRestart(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
      this.sendLocalDescription();
    } catch (error) {
      this.log(`ICE restart with ${this.remoteId} failed: ${String(error)}`);
      this.close();
    } finally {
      this.makingOffer = false;
    }
  }
}
