/**
 * A relay access token (JWT, PROTOCOL.md §1.1), or a function that returns one. A function is called before every
 * (re)connect, again shortly before the token's `exp`, and when the relay refuses the token; use it when tokens
 * expire (e.g. fetch one from your backend, which mints it with `mintRelayToken` from `peerclass/signaling`).
 */
export type RelayToken = string | (() => string | Promise<string>);

/** Refusal-triggered renewals allowed per connection (a token function that keeps returning bad tokens stops here). */
const MAX_RENEWALS_PER_CONNECTION = 3;
/** Renew this long before `exp` (at most; a fifth of the remaining life for short tokens). */
const RENEW_BEFORE_MS = 60_000;
/** Longest timer a browser keeps (2^31 − 1 ms); longer-lived tokens are renewed on reconnect only. */
const MAX_TIMER_MS = 2_147_483_647;

/** The `exp` of a JWT in ms, read without verifying it (the relay verifies), or null. */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (part === undefined) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * A signaling client's relay token per connection: which token the relay has, renewal before `exp` (token functions
 * only), and whether a refusal was already reported. {@link connectionChanged} starts over for a new connection.
 */
export class RelayTokens {
  /** An `unauthorized` error was reported on this connection. */
  reported = false;
  /** Relay replies that arrive before this many pongs answer messages sent before our latest token. */
  staleBeforePongs = 0;
  private last: string | undefined;
  private renewals = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `onRenewDue` is called shortly before the last sent token expires (token functions only). */
  constructor(private readonly source: RelayToken | undefined, private readonly onRenewDue: () => void) {}

  /** The token last sent on this connection. */
  get current(): string | undefined { return this.last; }

  /** The token for a new connection's subscribe: the fixed one, or a fresh one from the function. */
  async fresh(): Promise<string | undefined> {
    if (typeof this.source === 'function') return await this.source();
    return this.source;
  }

  /**
   * A new token after a refusal, or undefined when there is none to try: a fixed token, the renewal budget is spent,
   * or the function returned the token the relay already refused.
   */
  async afterRefusal(): Promise<string | undefined> {
    if (typeof this.source !== 'function' || this.renewals >= MAX_RENEWALS_PER_CONNECTION) return undefined;
    this.renewals++;
    const token = await this.source();
    return token === this.last ? undefined : token;
  }

  /** Records the token sent on subscribe and schedules its renewal. */
  sent(token: string): void {
    this.last = token;
    this.clearTimer();
    const expiry = tokenExpiry(token);
    if (typeof this.source !== 'function' || expiry === null) return;
    const remaining = expiry - Date.now();
    // Already expired: the relay's refusal triggers a renewal (within its budget), never a timer loop.
    if (remaining <= 0) return;
    const delay = remaining - Math.min(RENEW_BEFORE_MS, remaining / 5);
    if (delay > MAX_TIMER_MS) return;
    this.timer = setTimeout(() => { this.timer = null; this.onRenewDue(); }, delay);
  }

  /** A connection opened, closed or the client was destroyed: nothing carries over. */
  connectionChanged(): void {
    this.reported = false;
    this.last = undefined;
    this.renewals = 0;
    this.staleBeforePongs = 0;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
