import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { mintRelayToken, relayTopic, startRelay, type Relay, type RelayOptions } from '../../signaling/index.js';
import type { IceServerConfig } from '../../src/protocol/signaling.js';
import { topicForRoom } from '../../src/transport/signalingCrypto.js';
import { waitUntil } from '../helpers/processes.js';
import { connectClient, isError, isPublish, type TestClient } from './wsClient.js';

const secret = 'relay-token-secret-for-tests';
const turn = { iceServers: [{ urls: 'stun:127.0.0.1:3478' }, { urls: 'turn:127.0.0.1:3478?transport=udp' }], turnSecret: 'coturn-secret', turnTtlSeconds: 600 };
const relays: Relay[] = [];
const clients: TestClient[] = [];
async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, token: { secret }, ...turn, ...options });
  relays.push(r);
  return r;
}
async function client(r: Relay): Promise<TestClient> {
  const c = await connectClient(r.url);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});
const sign = (topics: string[], exp: number | string = '1h', key = secret) =>
  new SignJWT({ topics }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(key));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('publish is gated like subscribe when tokens are required', () => {
  it('refuses a publish from a connection that never presented a valid token, and delivers nothing', async () => {
    const r = await relay();
    const [listener, intruder] = await Promise.all([client(r), client(r)]);
    listener.send({ type: 'subscribe', topics: ['room'], token: await sign(['room']) });
    await waitUntil(() => r.topicCount() === 1, 'listener subscribed');
    intruder.send({ type: 'publish', topic: 'room', data: 'forged' });
    const refused = await intruder.next(isError('unauthorized'));
    expect(refused).toMatchObject({ topic: 'room', message: expect.stringMatching(/requires an access token/) });
    intruder.send({ type: 'subscribe', topics: ['room'], token: await sign(['room'], '1h', 'wrong key') });
    await intruder.next((m) => isError('unauthorized')(m) && /signature/.test(String(m.message)));
    intruder.send({ type: 'publish', topic: 'room', data: 'forged again' });
    await waitUntil(() => intruder.received.filter(isError('unauthorized') as (m: unknown) => boolean).length >= 3, 'refused again');
    // The listener's own publish proves delivery works and that nothing forged came before it.
    listener.send({ type: 'publish', topic: 'room', data: 'real' });
    await listener.next(isPublish('room'));
    expect(listener.received.filter((m) => (m as { type: string }).type === 'publish').map((m) => (m as { data: unknown }).data)).toEqual(['real']);
  });

  it('refuses a publish to a topic the token does not open; a publish right after subscribe is allowed', async () => {
    const r = await relay();
    const [a, b] = await Promise.all([client(r), client(r)]);
    a.send({ type: 'subscribe', topics: ['room', 'other'], token: await sign(['room', 'other']) });
    await waitUntil(() => r.topicCount() === 2, 'a subscribed');
    // Sent back to back: the publish waits for the token check of the subscribe before it.
    b.send({ type: 'subscribe', topics: ['room'], token: await sign(['room']) });
    b.send({ type: 'publish', topic: 'room', data: 'hello' });
    b.send({ type: 'publish', topic: 'other', data: 'not mine' });
    expect((await a.next(isPublish('room'))).data).toBe('hello');
    expect((await b.next(isError('unauthorized'))).topic).toBe('other');
    await sleep(100);
    expect(a.received.some((m) => (m as { topic?: string }).topic === 'other')).toBe(false);
  });

  it('a subscription ends when its token expires (swept on the heartbeat); a fresh token restores it', async () => {
    const r = await relay({ heartbeatMs: 100 });
    const [a, b] = await Promise.all([client(r), client(r)]);
    a.send({ type: 'subscribe', topics: ['room'], token: await sign(['room'], Math.floor(Date.now() / 1000) + 1) });
    b.send({ type: 'subscribe', topics: ['room'], token: await sign(['room']) });
    await waitUntil(() => r.topicCount() === 1, 'subscribed');
    const expired = await a.next((m) => isError('unauthorized')(m) && /expired/.test(String(m.message)), 4000);
    expect(expired.topic).toBe('room');
    a.send({ type: 'publish', topic: 'room', data: 'late' });
    expect((await a.next((m) => isError('unauthorized')(m) && m !== expired)).message).toMatch(/expired/);
    b.send({ type: 'publish', topic: 'room', data: 'after expiry' });
    await b.next(isPublish('room'));
    expect(a.received.some((m) => (m as { data?: unknown }).data === 'after expiry')).toBe(false);
    a.send({ type: 'subscribe', topics: ['room'], token: await sign(['room']) });
    a.send({ type: 'publish', topic: 'room', data: 'renewed' });
    expect((await b.next((m) => isPublish('room')(m) && m.data === 'renewed')).clients).toBe(2);
  });
});

describe('TURN credentials only for token holders', () => {
  it('sends no ICE servers on connect; sends them once the first valid token arrives', async () => {
    const r = await relay();
    const c = await client(r);
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong');
    c.send({ type: 'subscribe', topics: ['room'] });
    c.send({ type: 'subscribe', topics: ['room'], token: await sign(['elsewhere'], '1h', 'wrong key') });
    c.send({ type: 'ping' });
    await waitUntil(() => c.received.filter((m) => (m as { type: string }).type === 'pong').length === 2, 'second pong');
    expect(c.received.some((m) => (m as { type: string }).type === 'ice-servers')).toBe(false);
    // A valid token for another topic still makes the connection a token holder.
    c.send({ type: 'subscribe', topics: [], token: await sign(['elsewhere']) });
    const message = await c.next((m) => m.type === 'ice-servers');
    const servers = message.iceServers as IceServerConfig[];
    expect(servers[1]!.username).toMatch(/^\d+:/);
    expect(servers[1]!.credential).toBeTruthy();
    c.send({ type: 'subscribe', topics: ['elsewhere'], token: await sign(['elsewhere']) });
    c.send({ type: 'ping' });
    await waitUntil(() => c.received.filter((m) => (m as { type: string }).type === 'pong').length === 3, 'third pong');
    expect(c.received.filter((m) => (m as { type: string }).type === 'ice-servers')).toHaveLength(1);
  });

  it('GET /ice-servers answers 401 with a JSON error without a valid bearer token and 200 with one', async () => {
    const r = await relay();
    const url = r.httpUrl + '/ice-servers';
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-a-jwt' }, { authorization: `Bearer ${await sign(['room'], Math.floor(Date.now() / 1000) - 5)}` }, { authorization: 'Basic abc' }];
    for (const headers of attempts) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    const ok = await fetch(url, { headers: { authorization: `Bearer ${await sign(['room'])}` } });
    expect(ok.status).toBe(200);
    const { iceServers } = await ok.json() as { iceServers: IceServerConfig[] };
    expect(iceServers[1]!.username).toMatch(/^\d+:/);
  });

  it('without tokens required, ICE servers still go out on connect and at GET /ice-servers', async () => {
    const r = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, ...turn });
    relays.push(r);
    const c = await client(r);
    await c.next((m) => m.type === 'ice-servers');
    expect((await fetch(r.httpUrl + '/ice-servers')).status).toBe(200);
  });
});

describe('mintRelayToken', () => {
  it('mints an HS256 token whose topics claim is the hashed topic the client subscribes to', async () => {
    const r = await relay();
    const token = await mintRelayToken({ secret, classId: 'class-42', ttlSeconds: 120 });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { topics: string[]; exp: number; iat: number };
    expect(claims.topics).toEqual([await topicForRoom('class-42')]);
    expect(await relayTopic('class-42')).toBe(claims.topics[0]);
    expect(claims.exp - claims.iat).toBe(120);
    const c = await client(r);
    c.send({ type: 'subscribe', topics: claims.topics, token });
    c.send({ type: 'publish', topic: claims.topics[0], data: 'ok' });
    await c.next(isPublish(claims.topics[0]!));
    c.send({ type: 'subscribe', topics: [await topicForRoom('class-43')], token });
    await c.next(isError('unauthorized'));
  });

  it('mints an ES256 token from a PEM private key that a relay configured with the public key accepts', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const r = await relay({ token: { publicKey: await exportSPKI(publicKey), issuer: 'school' } });
    const token = await mintRelayToken({ privateKey: await exportPKCS8(privateKey), classId: ['a', 'b'], issuer: 'school' });
    const c = await client(r);
    c.send({ type: 'subscribe', topics: [await topicForRoom('a'), await topicForRoom('b')], token });
    await waitUntil(() => r.topicCount() === 2, 'both classes open');
    await expect(mintRelayToken({ classId: 'x' })).rejects.toThrow(/exactly one/);
  });
});
