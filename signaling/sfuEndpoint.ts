import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenVerifier } from './auth.js';
import { assignSfu } from './sfuAssignment.js';

/** What {@link answerSfuRequest} needs from the relay. */
export interface SfuEndpointOptions {
  /** The relay's validated SFU URLs (may be empty). */
  servers: readonly string[];
  /** The relay's token verifier; null when it requires no tokens. */
  verifier: TokenVerifier | null;
  /** Longest topic accepted (the relay's `maxTopicLength`). */
  maxTopicLength: number;
}

/**
 * `GET /sfu?topic=T` → 200 `{ url }`: the SFU assigned to topic T (`assignSfu`). 400 for a missing, empty or too
 * long topic; 404 `no-sfu` when no SFU servers are configured. When the relay requires tokens, like `/ice-servers`:
 * 401 (`WWW-Authenticate: Bearer`) without `Authorization: Bearer <valid token>`, and 403 when the token does not
 * open T (a token may only learn the SFU of its own classes).
 */
export function answerSfuRequest(req: IncomingMessage, res: ServerResponse, options: SfuEndpointOptions): void {
  const reply = (status: number, body: object, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  };
  let topic: string | null;
  try { topic = new URL(req.url ?? '/', 'http://relay').searchParams.get('topic'); } catch { topic = null; }
  if (topic === null || topic.length === 0 || topic.length > options.maxTopicLength) {
    reply(400, { error: 'malformed', message: `send ?topic=<topic of 1–${options.maxTopicLength} characters>` });
    return;
  }
  if (options.servers.length === 0) { reply(404, { error: 'no-sfu', message: 'this relay has no SFU servers configured' }); return; }
  const url = assignSfu(topic, options.servers);
  if (options.verifier === null) { reply(200, { url }); return; }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  void options.verifier.check(bearer).then((result) => {
    if (!result.ok) reply(401, { error: 'unauthorized', message: bearer === undefined ? 'send Authorization: Bearer <access token>' : result.message }, { 'www-authenticate': 'Bearer' });
    else if (result.topics !== 'any' && !result.topics.has(topic)) reply(403, { error: 'unauthorized', message: 'the access token does not allow this topic' });
    else reply(200, { url });
  }, () => reply(500, { error: 'internal', message: 'internal relay error' }));
}
