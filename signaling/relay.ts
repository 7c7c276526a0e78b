import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { ClientToRelayMessage, ErrorMessage, IceServerConfig, SignalingErrorCode } from '../src/protocol/signaling.js';
import { ConnectionAccess } from './access.js';
import { TokenVerifier, type TokenOptions } from './auth.js';
import { iceServersFor } from './iceServers.js';
import { encodeTextFrame, sendPrebuiltFrame } from './frames.js';
import { DEFAULT_LIMITS, TokenBucket, type RelayLimits } from './limits.js';
import { RelayMetrics } from './metrics.js';
import { RedisBridge } from './redisBridge.js';
import { assignSfu, validateSfuServers } from './sfuAssignment.js';
import { answerSfuRequest } from './sfuEndpoint.js';
import { serveStatic } from './staticFiles.js';
import { TopicRegistry } from './topics.js';
import { parseClientMessage } from './validate.js';

/** Everything `startRelay` can be told; every field has a default suitable for localhost. */
export interface RelayOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 4444. */
  port?: number;
  /** STUN/TURN servers handed to clients. */
  iceServers?: IceServerConfig[];
  /** coturn static-auth-secret: TURN entries get time-limited TURN REST credentials. */
  turnSecret?: string;
  /** Lifetime of TURN credentials. Default 86400 (one day). */
  turnTtlSeconds?: number;
  /**
   * Require a JWT on subscribe, checked with this HS256 secret or public key. Off when absent. When on, a
   * connection may subscribe and publish only to topics a valid token of its opens, and ICE servers (TURN
   * credentials) go only to connections that presented a valid token and to `GET /ice-servers` with
   * `Authorization: Bearer <token>`.
   */
  token?: TokenOptions;
  /**
   * SFU (Janus WebSocket transport) URLs, ws:// or wss://, for lecture mode. Each class (topic) is assigned one of
   * them by rendezvous hashing of (topic, URL) with SHA-256 (`assignSfu`), so every relay process given the same list
   * picks the same server for a class and removing a server moves only its classes. A connection gets
   * `{"type":"sfu","topic","url"}` once per topic it subscribes to (with tokens required, only to topics a valid token
   * opens), and `GET /sfu?topic=T` answers `{ url }` (with tokens required, only with `Authorization: Bearer <token>`
   * opening T). `startRelay` rejects a malformed list with an error naming the URL.
   */
  sfuServers?: string[];
  /** Share topics with other relay processes through this Redis (`redis://host:port`). */
  redisUrl?: string;
  /** TLS: PEM certificate and key file paths (e.g. Let's Encrypt's fullchain.pem and privkey.pem). */
  tls?: { certFile: string; keyFile: string };
  /** Serve this folder over HTTP (the built classroom app). */
  staticDir?: string;
  /** Limits; unspecified fields keep their defaults. */
  limits?: Partial<RelayLimits>;
  /** ws ping interval; a connection that misses one pong is dropped. Default 30000. */
  heartbeatMs?: number;
  /** pino level. Default 'info'; 'silent' in tests. */
  logLevel?: LevelWithSilent;
  /** Collect Node process metrics (CPU, memory, event loop) on /metrics. Default true. */
  processMetrics?: boolean;
}

/** A running relay. */
export interface Relay {
  readonly port: number;
  /** ws:// or wss:// URL of the relay. */
  readonly url: string;
  /** http:// or https:// URL of the relay's HTTP endpoints (/healthz, /metrics, /ice-servers, /sfu, static files). */
  readonly httpUrl: string;
  readonly metrics: RelayMetrics;
  /** Number of topics with local subscribers (for tests and health). */
  topicCount(): number;
  /** Closes every connection with 1001 (going away) and stops listening. */
  close(): Promise<void>;
}

interface Client {
  readonly socket: WebSocket;
  readonly id: string;
  readonly bucket: TokenBucket;
  /** What its tokens allow; null when the relay requires none. */
  readonly access: ConnectionAccess | null;
  /** Messages wait here, in arrival order, while a token is being verified. */
  queue: Promise<void> | null;
  alive: boolean;
  violations: number;
  lastRateError: number;
}

const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_POLICY = 1008;

/**
 * Starts the signaling relay: y-webrtc's JSON topic protocol (subscribe / unsubscribe / publish / ping) over ws,
 * with limits, optional access tokens, TURN credentials, metrics and optional Redis scale-out.
 * It relays opaque (end-to-end encrypted) payloads and never sees class content.
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const host = options.host ?? '127.0.0.1';
  const log: Logger = pino({ name: 'peerclass-relay', level: options.logLevel ?? 'info' });
  const metrics = new RelayMetrics(options.processMetrics ?? true);
  const verifier = options.token !== undefined ? new TokenVerifier(options.token) : null;
  const sfuServers = validateSfuServers(options.sfuServers ?? []);
  const iceOptions = { iceServers: options.iceServers ?? [], turnSecret: options.turnSecret, turnTtlSeconds: options.turnTtlSeconds ?? 86_400 };

  let bridge: RedisBridge | null = null;
  const registry = new TopicRegistry<Client>({
    onTopicOpened: (topic) => { metrics.topics.inc(); void bridge?.open(topic); },
    onTopicClosed: (topic) => { metrics.topics.dec(); bridge?.close(topic); },
  });

  const deliverLocally = (topic: string, payload: Buffer): void => {
    const receivers = registry.subscribersOf(topic);
    if (receivers === undefined) return;
    const frame = encodeTextFrame(payload);
    let sent = 0;
    for (const receiver of receivers) {
      if (receiver.socket.readyState !== WebSocket.OPEN) continue;
      sendPrebuiltFrame(receiver.socket, frame, payload);
      sent++;
    }
    metrics.messagesOut.inc(sent);
    metrics.bytesOut.inc(sent * payload.length);
  };

  if (options.redisUrl !== undefined) {
    bridge = new RedisBridge(options.redisUrl, (topic, frame) => deliverLocally(topic, frame), (error) => log.warn({ err: error }, 'redis error'));
    await bridge.ready();
  }

  const handleHttp = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', connections: wss.clients.size, topics: registry.topicCount }));
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/ice-servers') {
      const reply = (status: number, body: object, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
      };
      if (verifier === null) { reply(200, { iceServers: iceServersFor(iceOptions) }); return; }
      // TURN credentials only for token holders: otherwise the TURN server is an open relay for anyone.
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      void verifier.check(bearer).then((result) => {
        if (result.ok) reply(200, { iceServers: iceServersFor(iceOptions) });
        else reply(401, { error: 'unauthorized', message: bearer === undefined ? 'send Authorization: Bearer <access token>' : result.message }, { 'www-authenticate': 'Bearer' });
      });
    } else if (path === '/sfu') {
      answerSfuRequest(req, res, { servers: sfuServers, verifier, maxTopicLength: limits.maxTopicLength });
    } else if (options.staticDir !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      serveStatic(options.staticDir, req, res).catch((error: unknown) => {
        log.error({ err: error }, 'static file error');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('peerclass signaling relay\n');
    }
  };

  const server: Server = options.tls !== undefined
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, handleHttp)
    : createHttpServer(handleHttp);
  const wss = new WebSocketServer({ server, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });

  const sendJson = (client: Client, message: object): void => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(message);
    client.socket.send(text);
    metrics.messagesOut.inc();
    metrics.bytesOut.inc(Buffer.byteLength(text));
  };

  const refuse = (client: Client, code: SignalingErrorCode, message: string, topic?: string): void => {
    metrics.rejections.inc({ reason: code });
    const reply: ErrorMessage = topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic };
    sendJson(client, reply);
    if (++client.violations >= limits.maxViolations) {
      log.warn({ client: client.id, code }, 'closing connection after repeated violations');
      client.socket.close(CLOSE_POLICY, 'too many refused messages');
    }
  };

  const subscribe = (client: Client, topics: string[]): void => {
    for (const topic of topics) {
      if (client.access !== null && !client.access.allows(topic)) { refuse(client, 'unauthorized', client.access.refusal(topic), topic); continue; }
      const mine = registry.topicsOfConnection(client);
      if (mine.size >= limits.maxTopicsPerConnection && !mine.has(topic)) {
        refuse(client, 'too-many-topics', `at most ${limits.maxTopicsPerConnection} topics per connection`, topic);
        continue;
      }
      const current = registry.subscribersOf(topic);
      if (current !== undefined && current.size >= limits.maxSubscribersPerTopic && !current.has(client)) {
        refuse(client, 'topic-full', `topic has ${limits.maxSubscribersPerTopic} subscribers already`, topic);
        continue;
      }
      // The SFU address goes with a new subscription, so it is gated exactly like the subscription itself.
      if (registry.subscribe(client, topic)) sendSfu(client, topic);
    }
  };

  const sendSfu = (client: Client, topic: string): void => {
    const url = assignSfu(topic, sfuServers);
    if (url !== null) sendJson(client, { type: 'sfu', topic, url });
  };

  const onMessage = (client: Client, data: RawData, isBinary: boolean): void => {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    metrics.messagesIn.inc();
    metrics.bytesIn.inc(size);
    if (!client.bucket.take()) {
      metrics.rejections.inc({ reason: 'rate-limited' });
      const now = Date.now();
      // One error reply per second is enough for a client to notice; replying to every dropped frame would amplify a flood.
      if (now - client.lastRateError > 1000) { client.lastRateError = now; sendJson(client, { type: 'error', code: 'rate-limited', message: `more than ${limits.messagesPerSecond} messages per second` }); }
      if (++client.violations >= limits.maxViolations) client.socket.close(CLOSE_POLICY, 'rate limit exceeded');
      return;
    }
    if (isBinary) {
      refuse(client, 'binary-unsupported', 'the relay accepts JSON text frames only');
      client.socket.close(CLOSE_UNSUPPORTED, 'binary frames are not supported');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    const parsed = parseClientMessage(text, limits);
    if (!parsed.ok) { refuse(client, parsed.refusal.code, parsed.refusal.message); return; }
    const message = parsed.message;
    // While a token is being verified, later messages wait so that a publish right after subscribe sees its grant.
    const pending = client.queue !== null ? client.queue.then(() => dispatch(client, message)) : dispatch(client, message);
    if (pending === undefined) return;
    const queued = pending.catch((error: unknown) => {
      log.error({ err: error, client: client.id }, 'internal error handling a message');
      refuse(client, 'internal', 'internal relay error');
    });
    client.queue = queued;
    void queued.then(() => { if (client.queue === queued) client.queue = null; });
  };

  /**
   * Subscribe when tokens are required: a valid token joins the connection's grants (the first also brings the ICE
   * servers), then each topic is checked against them. A subscribe without a token relies on earlier ones.
   */
  const subscribeWithToken = async (client: Client, access: ConnectionAccess, topics: string[], token: string | undefined): Promise<void> => {
    if (token !== undefined && verifier !== null) {
      const result = await verifier.check(token);
      if (client.socket.readyState !== WebSocket.OPEN) return;
      if (!result.ok) {
        if (topics.length === 0) refuse(client, 'unauthorized', result.message);
        for (const topic of topics) refuse(client, 'unauthorized', result.message, topic);
        return;
      }
      if (access.add(result)) sendIceServers(client);
    }
    subscribe(client, topics);
  };

  /** Handles one valid message; returns a promise while it waits on a token check. */
  const dispatch = (client: Client, message: ClientToRelayMessage): Promise<void> | undefined => {
    if (client.socket.readyState !== WebSocket.OPEN) return undefined;
    switch (message.type) {
      case 'subscribe':
        if (client.access === null) subscribe(client, message.topics);
        else return subscribeWithToken(client, client.access, message.topics, message.token);
        break;
      case 'unsubscribe':
        for (const topic of message.topics) registry.unsubscribe(client, topic);
        break;
      case 'publish': {
        if (client.access !== null && !client.access.allows(message.topic)) {
          refuse(client, 'unauthorized', client.access.refusal(message.topic), message.topic);
          break;
        }
        const receivers = registry.subscribersOf(message.topic);
        // Serialized once for every receiver (y-webrtc's server stringifies per receiver).
        const frame = Buffer.from(JSON.stringify({ type: 'publish', topic: message.topic, data: message.data, clients: receivers?.size ?? 0 }));
        deliverLocally(message.topic, frame);
        bridge?.publish(message.topic, frame);
        break;
      }
      case 'ping':
        sendJson(client, { type: 'pong' });
        break;
    }
    return undefined;
  };

  const sendIceServers = (client: Client): void => {
    const iceServers = iceServersFor(iceOptions, client.id);
    if (iceServers.length > 0) sendJson(client, { type: 'ice-servers', iceServers });
  };

  /** Ends subscriptions whose tokens expired (checked on every heartbeat). */
  const expireSubscriptions = (client: Client): void => {
    const access = client.access;
    if (access === null) return;
    for (const topic of [...registry.topicsOfConnection(client)]) {
      if (access.allows(topic)) continue;
      registry.unsubscribe(client, topic);
      metrics.rejections.inc({ reason: 'unauthorized' });
      sendJson(client, { type: 'error', code: 'unauthorized', message: access.refusal(topic), topic } satisfies ErrorMessage);
    }
  };

  wss.on('connection', (socket) => {
    const client: Client = {
      socket, id: randomUUID(), alive: true, violations: 0, lastRateError: 0, queue: null,
      access: verifier !== null ? new ConnectionAccess() : null,
      bucket: new TokenBucket(limits.messagesPerSecond, limits.messageBurst),
    };
    metrics.connections.inc();
    log.debug({ client: client.id }, 'connected');
    socket.on('pong', () => { client.alive = true; });
    socket.on('message', (data, isBinary) => {
      try {
        onMessage(client, data, isBinary);
      } catch (error) {
        // A bug here must cost one connection at most, never the relay.
        log.error({ err: error, client: client.id }, 'internal error handling a message');
        refuse(client, 'internal', 'internal relay error');
      }
    });
    socket.on('error', (error) => {
      const reason = /max payload/i.test(error.message) ? 'too-large' : 'socket-error';
      metrics.rejections.inc({ reason });
      log.debug({ err: error, client: client.id }, 'socket error');
    });
    socket.on('close', () => {
      registry.removeConnection(client);
      metrics.connections.dec();
      log.debug({ client: client.id }, 'closed');
    });
    clients.add(client);
    socket.once('close', () => clients.delete(client));
    // With tokens required, TURN credentials wait for the first valid token (see `present`).
    if (client.access === null) sendIceServers(client);
  });

  const clients = new Set<Client>();
  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) { client.socket.terminate(); continue; }
      expireSubscriptions(client);
      client.alive = false;
      client.socket.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4444, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const secure = options.tls !== undefined;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port, redis: options.redisUrl !== undefined, tokens: verifier !== null, staticDir: options.staticDir, sfuServers: sfuServers.length }, 'relay listening');

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `${secure ? 'wss' : 'ws'}://${shownHost}:${port}`,
    httpUrl: `${secure ? 'https' : 'http'}://${shownHost}:${port}`,
    metrics,
    topicCount: () => registry.topicCount,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        for (const client of clients) client.socket.close(CLOSE_GOING_AWAY, 'relay shutting down');
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => { for (const client of clients) client.socket.terminate(); }, 2000);
          wss.close(() => { clearTimeout(force); resolve(); });
        });
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await bridge?.shutdown();
        log.info('relay stopped');
      })();
      return closing;
    },
  };
}
