import { createHmac, randomUUID } from 'node:crypto';
import type { IceServerConfig } from '../src/protocol/signaling.js';

export interface IceServerOptions {
  /** STUN and TURN servers as handed to RTCPeerConnection (`stun:` / `turn:` / `turns:` URLs). */
  iceServers: IceServerConfig[];
  /** coturn `static-auth-secret` (TURN REST API). When set, TURN entries get time-limited credentials. */
  turnSecret?: string;
  /** Lifetime of issued TURN credentials. */
  turnTtlSeconds: number;
}

/**
 * TURN REST API credentials (coturn `use-auth-secret`): username `<unix expiry>:<id>`,
 * credential base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC, so no shared user database is needed.
 */
export function turnCredentials(secret: string, id: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${id}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

const isTurn = (urls: string | string[]): boolean => (Array.isArray(urls) ? urls : [urls]).some((u) => /^turns?:/.test(u));

/** The ICE server list for one client; TURN entries without explicit credentials get fresh REST credentials. */
export function iceServersFor(options: IceServerOptions, id: string = randomUUID()): IceServerConfig[] {
  return options.iceServers.map((server) => {
    if (options.turnSecret === undefined || !isTurn(server.urls) || server.username !== undefined) return { ...server };
    return { ...server, ...turnCredentials(options.turnSecret, id, options.turnTtlSeconds) };
  });
}
