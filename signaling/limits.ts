/** Limits the relay enforces per connection and per topic. Every field is configurable; defaults suit one classroom server. */
export interface RelayLimits {
  /** Largest accepted frame in bytes (ws `maxPayload`); larger frames close the connection with 1009. */
  maxFrameBytes: number;
  /** Sustained messages per second per connection (token bucket refill rate). */
  messagesPerSecond: number;
  /** Burst size of the token bucket. */
  messageBurst: number;
  /** Topics one connection may be subscribed to at once. */
  maxTopicsPerConnection: number;
  /** Subscribers one topic may have (across this relay process). */
  maxSubscribersPerTopic: number;
  /** Longest accepted topic string. */
  maxTopicLength: number;
  /** Refused messages (malformed, over rate …) after which the connection is closed with 1008. */
  maxViolations: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 256 * 1024,
  messagesPerSecond: 200,
  messageBurst: 400,
  maxTopicsPerConnection: 64,
  maxSubscribersPerTopic: 1024,
  maxTopicLength: 256,
  maxViolations: 100,
};

/** A token bucket: `take()` is false once a client sends faster than `ratePerSecond` beyond `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
