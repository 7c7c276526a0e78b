import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startRelay, type Relay, type RelayOptions } from '../../signaling/index.js';
import { waitUntil } from '../helpers/processes.js';
import { connectClient, isError, isPublish, type TestClient } from './wsClient.js';

const relays: Relay[] = [];
const clients: TestClient[] = [];
async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, ...options });
  relays.push(r);
  return r;
}
async function client(r: Relay, query = ''): Promise<TestClient> {
  const c = await connectClient(r.url + query);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

/** Proves a connection still works end to end: it can subscribe and receive its own publish. */
async function stillWorks(c: TestClient, topic = 'alive-' + Math.random()): Promise<void> {
  c.send({ type: 'subscribe', topics: [topic] });
  c.send({ type: 'publish', topic, data: 'still here' });
  const m = await c.next(isPublish(topic));
  expect(m.data).toBe('still here');
}

describe('y-webrtc topic protocol', () => {
  it('delivers a publish to every subscriber of the topic with the subscriber count, and nobody else', async () => {
    const r = await relay();
    const [a, b, c, other] = await Promise.all([client(r), client(r), client(r), client(r)]);
    for (const x of [a, b, c]) x.send({ type: 'subscribe', topics: ['room'] });
    other.send({ type: 'subscribe', topics: ['elsewhere'] });
    await waitUntil(() => r.topicCount() === 2, 'two topics');
    a.send({ type: 'publish', topic: 'room', data: { hello: 1 } });
    for (const x of [a, b, c]) {
      const m = await x.next(isPublish('room'));
      expect(m).toEqual({ type: 'publish', topic: 'room', data: { hello: 1 }, clients: 3 });
    }
    await stillWorks(other);
    expect(other.received.filter((m) => (m as { topic?: string }).topic === 'room')).toEqual([]);
  });

  it('answers ping with pong', async () => {
    const r = await relay();
    const a = await client(r);
    a.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong');
  });

  it('stops delivering after unsubscribe and removes empty topics on unsubscribe and on close', async () => {
    const r = await relay();
    const [a, b] = await Promise.all([client(r), client(r)]);
    a.send({ type: 'subscribe', topics: ['t1', 't2'] });
    b.send({ type: 'subscribe', topics: ['t1'] });
    await waitUntil(() => r.topicCount() === 2, 'topics t1, t2');
    a.send({ type: 'unsubscribe', topics: ['t2'] });
    await waitUntil(() => r.topicCount() === 1, 't2 removed');
    b.send({ type: 'unsubscribe', topics: ['t1'] });
    b.send({ type: 'publish', topic: 't1', data: 'x' });
    const m = await a.next(isPublish('t1'));
    expect(m.clients).toBe(1);
    a.close();
    await waitUntil(() => r.topicCount() === 0, 'all topics removed after close');
  });

  it('sends byte-identical frames to all receivers of one publish', async () => {
    const r = await relay();
    const receivers = await Promise.all([client(r), client(r), client(r)]);
    const raw: string[] = [];
    for (const x of receivers) { x.socket.on('message', (d, isBinary) => raw.push(isBinary ? 'binary frame' : String(d))); x.send({ type: 'subscribe', topics: ['same'] }); }
    await waitUntil(() => r.topicCount() === 1, 'topic');
    receivers[0]!.send({ type: 'publish', topic: 'same', data: { n: [1, 2, 3], s: 'ü' } });
    await waitUntil(() => raw.length === 3, 'three deliveries');
    expect(new Set(raw).size).toBe(1);
    expect(JSON.parse(raw[0]!)).toMatchObject({ type: 'publish', topic: 'same', clients: 3 });
  });
});

describe('bursts', () => {
  it('delivers a burst of publishes (coalesced into few writes) whole and in order to every receiver', async () => {
    const r = await relay();
    const [sender, ...receivers] = await Promise.all([client(r), client(r), client(r), client(r)]);
    for (const x of receivers) x.send({ type: 'subscribe', topics: ['burst'] });
    await waitUntil(() => r.topicCount() === 1, 'topic');
    for (let i = 0; i < 50; i++) sender!.send({ type: 'publish', topic: 'burst', data: { i, pad: 'p'.repeat(i * 40) } });
    for (const x of receivers) {
      await waitUntil(() => x.received.length === 50, 'fifty deliveries');
      expect(x.received.map((m) => (m as { data: { i: number } }).data.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
  });
});

describe('hostile input', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['malformed JSON', '{"type":"subscribe",', 'malformed'],
    ['JSON that is not an object', '[1,2,3]', 'malformed'],
    ['null', 'null', 'malformed'],
    ['a number', '42', 'malformed'],
    ['topics of the wrong type', JSON.stringify({ type: 'subscribe', topics: 'room' }), 'malformed'],
    ['topics with a non-string', JSON.stringify({ type: 'subscribe', topics: ['a', 7] }), 'malformed'],
    ['publish without topic', JSON.stringify({ type: 'publish', data: 1 }), 'malformed'],
    ['publish with an object topic', JSON.stringify({ type: 'publish', topic: { a: 1 }, data: 1 }), 'malformed'],
    ['a token of the wrong type', JSON.stringify({ type: 'subscribe', topics: ['x'], token: 5 }), 'malformed'],
    ['an unknown type', JSON.stringify({ type: 'explode' }), 'unknown-type'],
    ['a missing type', JSON.stringify({ topics: [] }), 'malformed'],
    ['a topic too long', JSON.stringify({ type: 'subscribe', topics: ['x'.repeat(5000)] }), 'malformed'],
  ];
  for (const [name, frame, code] of cases) {
    it(`refuses ${name} with "${code}" and keeps serving everyone`, async () => {
      const r = await relay();
      const [bad, good] = await Promise.all([client(r), client(r)]);
      bad.send(frame);
      await bad.next(isError(code));
      await stillWorks(bad);
      await stillWorks(good);
    });
  }

  it('closes a connection that sends a binary frame with 1003, others unaffected', async () => {
    const r = await relay();
    const [bad, good] = await Promise.all([client(r), client(r)]);
    bad.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await bad.closed).code).toBe(1003);
    expect(bad.received).toContainEqual(expect.objectContaining({ type: 'error', code: 'binary-unsupported' }));
    await stillWorks(good);
  });

  it('closes a connection that sends a frame over the limit with 1009, others unaffected', async () => {
    const r = await relay({ limits: { maxFrameBytes: 1024 } });
    const [bad, good] = await Promise.all([client(r), client(r)]);
    bad.send({ type: 'publish', topic: 'x', data: 'y'.repeat(4096) });
    expect((await bad.closed).code).toBe(1009);
    await stillWorks(good);
    await waitUntil(async () => /peerclass_relay_rejections_total\{reason="too-large"\} 1/.test(await (await fetch(r.httpUrl + '/metrics')).text()), 'too-large counted');
  });

  it('rate-limits a flood with an error reply, then closes the flooder with 1008; others keep working', async () => {
    const r = await relay({ limits: { messagesPerSecond: 20, messageBurst: 20, maxViolations: 50 } });
    const [flooder, good] = await Promise.all([client(r), client(r)]);
    for (let i = 0; i < 500; i++) flooder.send({ type: 'ping' });
    await flooder.next(isError('rate-limited'));
    expect((await flooder.closed).code).toBe(1008);
    const pongs = flooder.received.filter((m) => (m as { type?: string }).type === 'pong').length;
    expect(pongs).toBeGreaterThan(0);
    expect(pongs).toBeLessThan(100);
    await stillWorks(good);
  });

  it('closes a connection after repeated malformed messages with 1008', async () => {
    const r = await relay({ limits: { maxViolations: 10 } });
    const bad = await client(r);
    for (let i = 0; i < 12; i++) bad.send('not json');
    expect((await bad.closed).code).toBe(1008);
  });

  it('limits topics per connection and subscribers per topic', async () => {
    const r = await relay({ limits: { maxTopicsPerConnection: 3, maxSubscribersPerTopic: 2 } });
    const [a, b, c] = await Promise.all([client(r), client(r), client(r)]);
    a.send({ type: 'subscribe', topics: ['1', '2', '3'] });
    a.send({ type: 'subscribe', topics: ['4'] });
    const tooMany = await a.next(isError('too-many-topics'));
    expect(tooMany.topic).toBe('4');
    b.send({ type: 'subscribe', topics: ['1'] });
    c.send({ type: 'subscribe', topics: ['1'] });
    const full = await c.next(isError('topic-full'));
    expect(full.topic).toBe('1');
    b.send({ type: 'publish', topic: '1', data: 'x' });
    expect((await a.next(isPublish('1'))).clients).toBe(2);
    await stillWorks(c);
  });

  it('survives a burst of random garbage from many connections', async () => {
    const r = await relay({ limits: { maxViolations: 1_000_000 } });
    const good = await client(r);
    const bad = await Promise.all(Array.from({ length: 10 }, () => client(r)));
    const garbage = ['', '{', '{"type":null}', '{"type":"publish","topic":""}', '"str"', 'true', '{"type":"subscribe","topics":[[]]}', '\u0000\uffff', '{"__proto__":{"type":"ping"}}', JSON.stringify({ type: 'publish', topic: 't', data: { deep: Array(1000).fill([[]]) } })];
    for (const c of bad) for (let i = 0; i < 100; i++) c.send(garbage[(i * 7 + bad.indexOf(c)) % garbage.length]!);
    await Promise.all(bad.map((c) => c.next(isError('malformed'))));
    await stillWorks(good);
    const health = await (await fetch(r.httpUrl + '/healthz')).json() as { status: string; connections: number };
    expect(health).toMatchObject({ status: 'ok', connections: 11 });
  });
});

describe('liveness', () => {
  it('drops a connection that stops answering pings', async () => {
    const r = await relay({ heartbeatMs: 100 });
    const silent = await connectClient(r.url, { autoPong: false });
    clients.push(silent);
    const alive = await client(r);
    expect((await silent.closed).code).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await stillWorks(alive);
  });
});

describe('access tokens', () => {
  const secret = 'token-secret-for-tests';
  const sign = (claims: Record<string, unknown>, exp = '1h') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

  it('refuses subscribe without a token, with a wrong key, an expired one or a foreign topic; accepts a valid one', async () => {
    const r = await relay({ token: { secret } });
    const c = await client(r);
    c.send({ type: 'subscribe', topics: ['room'] });
    expect((await c.next(isError('unauthorized'))).message).toMatch(/requires an access token/);
    c.received.length = 0;
    const forged = await new SignJWT({ topics: ['room'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('other'));
    c.send({ type: 'subscribe', topics: ['room'], token: forged });
    expect((await c.next(isError('unauthorized'))).message).toMatch(/signature/);
    c.received.length = 0;
    c.send({ type: 'subscribe', topics: ['room'], token: await sign({ topics: ['room'] }, Math.floor(Date.now() / 1000) - 10 as unknown as string) });
    expect((await c.next(isError('unauthorized'))).message).toMatch(/exp/);
    c.received.length = 0;
    c.send({ type: 'subscribe', topics: ['secret-room'], token: await sign({ topics: ['room'] }) });
    expect((await c.next(isError('unauthorized'))).topic).toBe('secret-room');
    expect(r.topicCount()).toBe(0);
    c.send({ type: 'subscribe', topics: ['room'], token: await sign({ topics: ['room'] }) });
    await waitUntil(() => r.topicCount() === 1, 'subscribed with a valid token');
    c.send({ type: 'publish', topic: 'room', data: 1 });
    await c.next(isPublish('room'));
  });
});

describe('operations', () => {
  it('serves /healthz and Prometheus /metrics with connections, topics, traffic and rejections', async () => {
    const r = await relay();
    const a = await client(r);
    a.send({ type: 'subscribe', topics: ['m'] });
    a.send({ type: 'publish', topic: 'm', data: 'x' });
    a.send('garbage');
    await a.next(isError('malformed'));
    const health = await fetch(r.httpUrl + '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', connections: 1, topics: 1 });
    const metrics = await (await fetch(r.httpUrl + '/metrics')).text();
    expect(metrics).toMatch(/^peerclass_relay_connections 1$/m);
    expect(metrics).toMatch(/^peerclass_relay_topics 1$/m);
    expect(metrics).toMatch(/^peerclass_relay_messages_in_total 3$/m);
    expect(metrics).toMatch(/^peerclass_relay_bytes_out_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^peerclass_relay_rejections_total\{reason="malformed"\} 1$/m);
  });
});
