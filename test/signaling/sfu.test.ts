// SFU assignment (lecture mode): the relay hands each class the Janus server its topic hashes to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignSfu, mintRelayToken, relayTopic, startRelay, type Relay } from '../../signaling/index.js';
import { parseRelayArgs } from '../../signaling/cli.js';
import { connectClient, isError, type TestClient } from './wsClient.js';

const A = 'ws://janus-a.test:8188';
const B = 'ws://janus-b.test:8188';
const C = 'wss://janus-c.test/janus';
const TOKEN_SECRET = 'sfu test token secret';
const quiet = { port: 0, logLevel: 'silent', processMetrics: false } as const;

const relays: Relay[] = [];
const sockets: TestClient[] = [];
async function relayWith(options: Parameters<typeof startRelay>[0]): Promise<Relay> {
  const relay = await startRelay({ ...quiet, ...options });
  relays.push(relay);
  return relay;
}
async function connect(url: string): Promise<TestClient> {
  const c = await connectClient(url);
  sockets.push(c);
  return c;
}
afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all(relays.map((r) => r.close()));
});

/** Asks a relay's `GET /sfu` for the server of each topic (300 requests, a few at a time). */
async function assignmentsOver(relay: Relay, topics: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < topics.length; i += 30) {
    const batch = await Promise.all(topics.slice(i, i + 30).map(async (topic) => {
      const res = await fetch(`${relay.httpUrl}/sfu?topic=${encodeURIComponent(topic)}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { url: string }).url;
    }));
    out.push(...batch);
  }
  return out;
}

const topics = Array.from({ length: 300 }, (_, i) => `topic-${i}-${'x'.repeat(i % 7)}`);

describe('SFU assignment across relays', () => {
  let abc: Relay; let cba: Relay; let ab: Relay;
  let onAbc: string[]; let onCba: string[]; let onAb: string[];
  beforeAll(async () => {
    [abc, cba, ab] = await Promise.all([relayWith({ sfuServers: [A, B, C] }), relayWith({ sfuServers: [C, B, A] }), relayWith({ sfuServers: [A, B] })]);
    [onAbc, onCba, onAb] = await Promise.all([assignmentsOver(abc, topics), assignmentsOver(cba, topics), assignmentsOver(ab, topics)]);
  });

  it('two relay processes with the same list (in any order) assign every topic to the same server', () => {
    expect(onAbc).toHaveLength(300);
    expect(onCba).toEqual(onAbc);
    expect(onAbc).toEqual(topics.map((t) => assignSfu(t, [A, B, C])));
  });

  it('spreads 300 topics roughly evenly over 3 servers', () => {
    const counts = new Map<string, number>();
    for (const url of onAbc) counts.set(url, (counts.get(url) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([A, B, C].sort());
    // Expected 100 each (σ ≈ 8); 70–130 is ±3.6σ.
    for (const n of counts.values()) { expect(n).toBeGreaterThanOrEqual(70); expect(n).toBeLessThanOrEqual(130); }
  });

  it('removing a server moves only the topics it had', () => {
    let moved = 0;
    for (let i = 0; i < topics.length; i++) {
      if (onAbc[i] === C) { moved++; expect([A, B]).toContain(onAb[i]); } else expect(onAb[i]).toBe(onAbc[i]);
    }
    expect(moved).toBeGreaterThan(50);
  });

  it('sends {type:"sfu"} once per newly subscribed topic, the same on both relays', async () => {
    const [x, y] = await Promise.all([connect(abc.url), connect(cba.url)]);
    const mine = ['class-one', 'class-two', 'class-three'];
    x.send({ type: 'subscribe', topics: mine });
    y.send({ type: 'subscribe', topics: mine });
    for (const topic of mine) {
      const fromX = await x.next((m) => m.type === 'sfu' && m.topic === topic);
      const fromY = await y.next((m) => m.type === 'sfu' && m.topic === topic);
      expect(fromX).toEqual({ type: 'sfu', topic, url: assignSfu(topic, [A, B, C]) });
      expect(fromY).toEqual(fromX);
    }
    // Subscribing again to a topic it already has sends nothing new; a new topic does.
    x.send({ type: 'subscribe', topics: ['class-one', 'class-four'] });
    await x.next((m) => m.type === 'sfu' && m.topic === 'class-four');
    x.send({ type: 'ping' });
    await x.next((m) => m.type === 'pong');
    expect(x.received.filter((m) => (m as { type?: string }).type === 'sfu')).toHaveLength(4);
  });

  it('a relay without SFU servers sends no sfu message and answers /sfu with 404', async () => {
    const plain = await relayWith({});
    const c = await connect(plain.url);
    c.send({ type: 'subscribe', topics: ['class-one'] });
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong');
    expect(c.received.some((m) => (m as { type?: string }).type === 'sfu')).toBe(false);
    const res = await fetch(`${plain.httpUrl}/sfu?topic=class-one`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'no-sfu' });
  });

  it('survives hostile topics: non-strings and huge ones are refused, odd strings get an assignment', async () => {
    const c = await connect(abc.url);
    c.send({ type: 'subscribe', topics: [42, { topic: 'x' }] });
    await c.next(isError('malformed'));
    c.send({ type: 'subscribe', topics: ['y'.repeat(100_000)] });
    await c.next((m) => m.type === 'error' && /longer than/.test(String(m.message)));
    const odd = '\u0000💥"\\</script>';
    c.send({ type: 'subscribe', topics: [odd] });
    expect(await c.next((m) => m.type === 'sfu')).toEqual({ type: 'sfu', topic: odd, url: assignSfu(odd, [A, B, C]) });
    const statuses = await Promise.all([
      fetch(`${abc.httpUrl}/sfu?topic=${'z'.repeat(5000)}`).then((r) => r.status),
      fetch(`${abc.httpUrl}/sfu`).then((r) => r.status),
      fetch(`${abc.httpUrl}/sfu?topic=`).then((r) => r.status),
      fetch(`${abc.httpUrl}/sfu?topic=a&topic=b`).then((r) => r.status),
    ]);
    expect(statuses).toEqual([400, 400, 400, 200]);
    expect((await fetch(`${abc.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('SFU address behind the token gate', () => {
  let relay: Relay;
  beforeAll(async () => { relay = await relayWith({ sfuServers: [A, B, C], token: { secret: TOKEN_SECRET } }); });

  it('hands the SFU URL over ws only for topics a valid token opens', async () => {
    const topic = await relayTopic('class-42');
    const other = await relayTopic('class-44');
    const c = await connect(relay.url);
    c.send({ type: 'subscribe', topics: [topic] });
    await c.next((m) => m.type === 'error' && m.code === 'unauthorized' && m.topic === topic);
    c.send({ type: 'subscribe', topics: [topic], token: 'not.a.jwt' });
    c.send({ type: 'subscribe', topics: [topic], token: await mintRelayToken({ secret: 'someone else', classId: 'class-42' }) });
    // A valid token for another class: its grant joins the connection, but opens neither topic.
    c.send({ type: 'subscribe', topics: [topic], token: await mintRelayToken({ secret: TOKEN_SECRET, classId: 'class-43' }) });
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong');
    expect(c.received.filter((m) => (m as { type?: string }).type === 'error')).toHaveLength(4);
    expect(c.received.some((m) => (m as { type?: string }).type === 'sfu')).toBe(false);
    c.send({ type: 'subscribe', topics: [topic, other], token: await mintRelayToken({ secret: TOKEN_SECRET, classId: 'class-42' }) });
    expect(await c.next((m) => m.type === 'sfu')).toEqual({ type: 'sfu', topic, url: assignSfu(topic, [A, B, C]) });
    await c.next((m) => m.type === 'error' && m.topic === other);
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong' && c.received.filter((x) => (x as { type?: string }).type === 'pong').length >= 2);
    expect(c.received.filter((m) => (m as { type?: string }).type === 'sfu')).toEqual([{ type: 'sfu', topic, url: assignSfu(topic, [A, B, C]) }]);
  });

  it('GET /sfu needs a Bearer token that opens the topic', async () => {
    const topic = await relayTopic('class-42');
    const ask = (token?: string): Promise<Response> =>
      fetch(`${relay.httpUrl}/sfu?topic=${topic}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    const none = await ask();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await ask('forged.token.here')).status).toBe(401);
    const otherClass = await ask(await mintRelayToken({ secret: TOKEN_SECRET, classId: 'class-43' }));
    expect(otherClass.status).toBe(403);
    expect(JSON.stringify(await otherClass.json())).not.toContain('janus');
    const ok = await ask(await mintRelayToken({ secret: TOKEN_SECRET, classId: 'class-42' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ url: assignSfu(topic, [A, B, C]) });
  });
});

describe('--sfu on the command line', () => {
  it('takes --sfu repeatedly, or PEERCLASS_SFU comma-separated when no flag is given', () => {
    const options = parseRelayArgs(['--sfu', A, '--sfu', C], { PEERCLASS_SFU: B });
    expect(options !== 'help' && options.sfuServers).toEqual([A, C]);
    const fromEnv = parseRelayArgs([], { PEERCLASS_SFU: ` ${A}, ${B} ,` });
    expect(fromEnv !== 'help' && fromEnv.sfuServers).toEqual([A, B]);
    const none = parseRelayArgs([], {});
    expect(none !== 'help' && none.sfuServers).toEqual([]);
  });

  it('refuses bad SFU URLs with a message naming the URL', async () => {
    expect(() => parseRelayArgs(['--sfu', 'http://janus:8088/janus'], {})).toThrow(/--sfu: .*"http:\/\/janus:8088\/janus".*ws:\/\/ or wss:\/\//);
    expect(() => parseRelayArgs(['--sfu', 'janus-a:8188'], {})).toThrow(/--sfu: .*"janus-a:8188"/);
    expect(() => parseRelayArgs(['--sfu', 'not a url'], {})).toThrow(/--sfu: SFU server URL "not a url" is not a URL/);
    expect(() => parseRelayArgs(['--sfu', 'ws://admin:pw@janus:8188'], {})).toThrow(/credentials/);
    expect(() => parseRelayArgs(['--sfu', A, '--sfu', 'WS://JANUS-A.test:8188/'], {})).toThrow(/listed twice/);
    expect(() => parseRelayArgs(['--sfu', ''], {})).toThrow(/empty/);
    expect(() => parseRelayArgs([], { PEERCLASS_SFU: 'ftp://x' })).toThrow(/--sfu: .*ws:\/\//);
    await expect(startRelay({ ...quiet, sfuServers: ['tcp://janus:8188'] })).rejects.toThrow(/"tcp:\/\/janus:8188" must start with ws:\/\/ or wss:\/\//);
  });
});
