import type { TokenGrant } from './auth.js';

/** Most grants one connection keeps; a client presenting more tokens loses its oldest. */
const MAX_GRANTS = 8;

/**
 * What one relay connection may do when the relay requires tokens: the union of the unexpired tokens it presented
 * on `subscribe`. Publishing and subscribing to a topic both need a grant that opens it.
 */
export class ConnectionAccess {
  private grants: TokenGrant[] = [];
  /** True once any valid token was presented on this connection (TURN credentials were sent then). */
  granted = false;

  /** Adds a verified token's grant; returns true when it is the connection's first. */
  add(grant: TokenGrant, now = Date.now()): boolean {
    const first = !this.granted;
    this.granted = true;
    this.grants = [...this.grants.filter((g) => g.expiresAt > now), grant].slice(-MAX_GRANTS);
    return first;
  }

  /** True when an unexpired grant opens `topic`. */
  allows(topic: string, now = Date.now()): boolean {
    return this.grants.some((g) => g.expiresAt > now && (g.topics === 'any' || g.topics.has(topic)));
  }

  /** Why `topic` is refused, for the `error` reply (call when {@link allows} is false). */
  refusal(topic: string, now = Date.now()): string {
    if (!this.granted) return 'this relay requires an access token: send "token" on subscribe before publishing';
    const opened = this.grants.some((g) => g.topics === 'any' || g.topics.has(topic));
    if (opened && this.grants.every((g) => !(g.topics === 'any' || g.topics.has(topic)) || g.expiresAt <= now)) {
      return 'the access token for this topic expired: subscribe again with a fresh token';
    }
    return 'the access token does not allow this topic';
  }
}
