/**
 * Watches one RTCPeerConnection until it is connected and while it stays so: gives up when it does not connect
 * in time, and tries one ICE restart per failure (another after each recovery) before giving up.
 */

/** Options for {@link ConnectionSupervisor}. */
export interface ConnectionSupervisorOptions {
  /** The watched connection. */
  pc: RTCPeerConnection;
  /** The remote peer, for log lines. */
  remoteId: string;
  /** Time to reach `connected`, from creation and again from each ICE restart. */
  connectTimeoutMs: number;
  log: (reason: string) => void;
  /** The connection is beyond saving: close it. */
  giveUp: () => void;
  /** For implementations without `restartIce()`: negotiate an offer with `iceRestart: true`. */
  restartIceByOffer: () => void;
}

/** Connect timeout and ICE-restart policy of a {@link PeerConnection}; it owns no state of the connection itself. */
export class ConnectionSupervisor {
  private readonly options: ConnectionSupervisorOptions;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private restartedIce = false;

  /** Starts the connect timer at once. */
  constructor(options: ConnectionSupervisorOptions) {
    this.options = options;
    this.startTimer();
  }

  /** Reacts to a connection-state change of the watched connection. */
  onState(state: RTCPeerConnectionState): void {
    const { pc, remoteId, log } = this.options;
    if (state === 'connected') {
      this.clearTimer();
      // A restart that worked earns another one on a later failure.
      this.restartedIce = false;
    } else if (state === 'failed') {
      if (this.restartedIce) {
        log(`connection to ${remoteId} failed again after an ICE restart`);
        this.options.giveUp();
        return;
      }
      this.restartedIce = true;
      log(`connection to ${remoteId} failed: restarting ICE`);
      this.startTimer();
      // restartIce() fires negotiationneeded; the offer it leads to carries new ICE credentials.
      if (typeof pc.restartIce === 'function') pc.restartIce();
      else this.options.restartIceByOffer();
    } else if (state === 'closed') {
      this.options.giveUp();
    }
  }

  /** Stops watching (the connection closed). */
  stop(): void {
    this.clearTimer();
  }

  private startTimer(): void {
    this.clearTimer();
    const { pc, remoteId, connectTimeoutMs, log } = this.options;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (pc.connectionState !== 'connected') {
        log(`connection to ${remoteId} not established within ${connectTimeoutMs} ms`);
        this.options.giveUp();
      }
    }, connectTimeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
