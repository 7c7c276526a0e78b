import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startRelay, type Relay } from '../../signaling/index.js';
import { spawnTracked, waitUntil } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { connectClient, isPublish, type TestClient } from './wsClient.js';

const dir = mkdtempSync(join(tmpdir(), 'peerclass-relay-'));
const relays: Relay[] = [];
const clients: TestClient[] = [];
let redis: RedisServer | undefined;
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(relays.map((r) => r.close()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('command line', () => {
  it('prints help', () => {
    const out = execFileSync(process.execPath, ['bin/peerclass-signal.js', '--help'], { encoding: 'utf8' });
    expect(out).toMatch(/--port PORT/);
    expect(out).toMatch(/--turn-secret/);
  });

  it('rejects a bad flag value with exit code 2 and a readable message', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['bin/peerclass-signal.js', '--port', 'many'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toMatch(/--port must be an integer/);
  });

  it('serves, then on SIGTERM closes every connection with 1001 and exits 0', async () => {
    const proc = spawnTracked(process.execPath, ['bin/peerclass-signal.js', '--port', '0', '--host', '127.0.0.1']);
    let port = 0;
    await waitUntil(() => { port = Number(/"port":(\d+)/.exec(proc.output())?.[1] ?? 0); return port > 0; }, 'relay listening log line', 15000);
    const c = await connectClient(`ws://127.0.0.1:${port}`);
    c.send({ type: 'subscribe', topics: ['t'] });
    c.send({ type: 'publish', topic: 't', data: 1 });
    await c.next(isPublish('t'));
    const exit = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    proc.child.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001);
    expect(await exit).toBe(0);
    expect(proc.output()).toMatch(/relay stopped/);
  });
});

describe('static files and TLS', () => {
  it('serves the built app, falls back to index.html for app routes, refuses paths outside the folder', async () => {
    const site = join(dir, 'site');
    mkdirSync(join(site, 'assets'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<h1>classroom</h1>');
    writeFileSync(join(site, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    const r = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, staticDir: site });
    relays.push(r);
    const index = await fetch(r.httpUrl + '/');
    expect(await index.text()).toBe('<h1>classroom</h1>');
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    const js = await fetch(r.httpUrl + '/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript');
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect(await (await fetch(r.httpUrl + '/class/abc')).text()).toBe('<h1>classroom</h1>');
    expect((await fetch(r.httpUrl + '/missing.js')).status).toBe(404);
    const traversal = await fetch(r.httpUrl + '/..%2fsecret.txt');
    expect(traversal.status).not.toBe(200);
    expect(await traversal.text()).not.toMatch(/do not serve/);
    expect((await fetch(r.httpUrl + '/healthz')).status).toBe(200);
  });

  it('speaks wss and https with --cert/--key', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const r = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, tls: { certFile: cert, keyFile: key } });
    relays.push(r);
    expect(r.url).toMatch(/^wss:\/\//);
    const socket = new WebSocket(r.url, { ca: execFileSync('cat', [cert]) });
    const pong = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'ping' })));
      socket.once('message', (d) => resolve(String(d)));
      socket.once('error', reject);
    });
    socket.close();
    expect(JSON.parse(pong)).toEqual({ type: 'pong' });
  });
});

describe('scale-out through Redis', () => {
  it('delivers publishes between clients on different relays and stops listening to empty topics', async () => {
    redis = await startRedis();
    const r1 = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, redisUrl: redis.url });
    const r2 = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, redisUrl: redis.url });
    relays.push(r1, r2);
    const [a, b, c] = await Promise.all([connectClient(r1.url), connectClient(r2.url), connectClient(r2.url)]);
    clients.push(a, b, c);
    for (const x of [a, b, c]) x.send({ type: 'subscribe', topics: ['shared'] });
    await waitUntil(() => r1.topicCount() === 1 && r2.topicCount() === 1, 'topics on both relays');
    // Redis SUBSCRIBE is asynchronous: publish until the other relay has joined the channel.
    await waitUntil(async () => {
      a.send({ type: 'publish', topic: 'shared', data: 'probe' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      return b.received.some((m) => (m as { data?: string }).data === 'probe');
    }, 'cross-relay delivery');
    b.send({ type: 'publish', topic: 'shared', data: 'from relay 2' });
    expect((await a.next((m) => m.data === 'from relay 2')).topic).toBe('shared');
    expect((await c.next((m) => m.data === 'from relay 2')).topic).toBe('shared');
    // One delivery per receiver: a relay never re-delivers its own publish coming back from Redis.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.received.filter((m) => (m as { data?: string }).data === 'from relay 2')).toHaveLength(1);
    const channels = () => execFileSync('redis-cli', ['-p', String(redis!.port), 'pubsub', 'numsub', 'peerclass:topic:shared'], { encoding: 'utf8' }).trim().split('\n')[1];
    expect(channels()).toBe('2');
    a.close();
    await waitUntil(() => r1.topicCount() === 0, 'empty topic removed on relay 1');
    await waitUntil(() => channels() === '1', 'relay 1 unsubscribed from the Redis channel');
  });
});
