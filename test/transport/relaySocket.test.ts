import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { DefaultReconnectPolicy, RelaySocket, type ReconnectContext, type RelaySocketError } from '../../src/transport/relaySocket.js';
import { waitUntil } from '../helpers/processes.js';

const sockets: RelaySocket[] = [];
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const server of servers.splice(0)) {
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A relay stand-in: counts connections, answers pings only when `pong` is set. */
async function fakeRelay(port = 0, pong = true): Promise<{ server: WebSocketServer; port: number; connections: () => number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let connections = 0;
  server.on('connection', (ws) => {
    connections++;
    ws.on('message', (data) => {
      if (pong && (JSON.parse(data.toString()) as { type?: string }).type === 'ping') ws.send('{"type":"pong"}');
    });
  });
  return { server, port: (server.address() as { port: number }).port, connections: () => connections };
}

async function freePort(): Promise<number> {
  const { server, port } = await fakeRelay();
  servers.splice(servers.indexOf(server), 1);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function socket(port: number, options: Partial<ConstructorParameters<typeof RelaySocket>[0]> = {}): { socket: RelaySocket; errors: RelaySocketError[] } {
  const s = new RelaySocket({ url: `ws://127.0.0.1:${port}`, WebSocket, ...options });
  sockets.push(s);
  const errors: RelaySocketError[] = [];
  s.on('error', (e) => errors.push(e));
  return { socket: s, errors };
}

describe('DefaultReconnectPolicy', () => {
  it('doubles a 250 ms bound up to 10 s and jitters each delay to 50–100 % of it', () => {
    const low = new DefaultReconnectPolicy({ random: () => 0 });
    const high = new DefaultReconnectPolicy({ random: () => 0.999_999 });
    const at = (p: DefaultReconnectPolicy, retryCount: number): number => p.nextRetryDelayInMs({ retryCount, elapsedMs: 0 });
    expect([0, 1, 2, 3].map((n) => at(low, n))).toEqual([125, 250, 500, 1000]);
    expect(at(high, 0)).toBeCloseTo(250, 3);
    expect(at(low, 6)).toBe(5000);
    expect(at(low, 1000)).toBe(5000);
    expect(at(high, 1000)).toBeCloseTo(10_000, 1);
    expect(new DefaultReconnectPolicy({ minMs: 20, maxMs: 50, random: () => 0 }).nextRetryDelayInMs({ retryCount: 5, elapsedMs: 0 })).toBe(25);
  });
});

describe('RelaySocket', () => {
  it('asks its policy before each retry, and stops when it says null; reconnectNow starts over', async () => {
    const port = await freePort();
    const contexts: ReconnectContext[] = [];
    const { socket: s, errors } = socket(port, { reconnectPolicy: { nextRetryDelayInMs: (c) => { contexts.push(c); return c.retryCount < 2 ? 10 : null; } } });
    s.connect();
    await waitUntil(() => errors.some((e) => e.code === 'gave-up'), 'gave up');
    expect(contexts.map((c) => c.retryCount)).toEqual([0, 1, 2]);
    expect(contexts[2]!.elapsedMs).toBeGreaterThanOrEqual(contexts[0]!.elapsedMs);
    expect(errors.map((e) => e.code)).toEqual(['unreachable', 'gave-up']);
    expect(s.status).toBe('disconnected');
    const relay = await fakeRelay(port);
    s.reconnectNow();
    await waitUntil(() => s.status === 'connected', 'connected after reconnectNow');
    expect(relay.connections()).toBe(1);
  });

  it('reconnectNow skips a long backoff wait', async () => {
    const port = await freePort();
    const { socket: s } = socket(port, { reconnectPolicy: { nextRetryDelayInMs: () => 60_000 } });
    s.connect();
    await waitUntil(() => s.status === 'disconnected', 'first attempt failed');
    await fakeRelay(port);
    const started = Date.now();
    s.reconnectNow();
    await waitUntil(() => s.status === 'connected', 'connected without waiting a minute');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reconnectNow on a connection that looks open probes it: kept when the relay answers, replaced when silent', async () => {
    const alive = await fakeRelay(0, true);
    const { socket: a } = socket(alive.port, { probeTimeoutMs: 150 });
    a.connect();
    await waitUntil(() => a.status === 'connected', 'connected');
    const before = a.connection;
    a.reconnectNow();
    await new Promise((r) => setTimeout(r, 400));
    expect(a.connection).toBe(before);
    expect(alive.connections()).toBe(1);

    const silent = await fakeRelay(0, false);
    const { socket: b } = socket(silent.port, { probeTimeoutMs: 150 });
    const statuses: string[] = [];
    b.on('status', (st) => statuses.push(st));
    b.connect();
    await waitUntil(() => b.status === 'connected', 'connected');
    b.reconnectNow();
    await waitUntil(() => silent.connections() === 2 && b.status === 'connected', 'replaced after a silent probe', 5000);
    expect(statuses).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('passes relay messages on, consumes pongs, and sends nothing while disconnected', async () => {
    const relay = await fakeRelay();
    relay.server.on('connection', (ws) => {
      ws.send('{"type":"pong"}');
      ws.send('not json');
      ws.send('{"type":"publish","topic":"t","data":1}');
    });
    const { socket: s } = socket(relay.port);
    const types: string[] = [];
    s.on('message', (m) => types.push(m.type));
    expect(s.send({ type: 'ping' })).toBe(false);
    s.connect();
    await waitUntil(() => types.length === 1, 'publish received');
    expect(types).toEqual(['publish']);
    expect(s.send({ type: 'ping' })).toBe(true);
    s.destroy();
    expect(() => s.connect()).toThrow(expect.objectContaining({ code: 'destroyed' }) as Error);
  });
});
