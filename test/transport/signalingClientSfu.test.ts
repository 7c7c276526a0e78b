// The signaling client reads the relay's `sfu` message (lecture mode's Janus address) and ignores malformed ones.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { assignSfu, mintRelayToken, startRelay, type Relay } from '../../signaling/index.js';
import { SignalingClient, readSfuFrame, type SfuAssignment, type SignalingError } from '../../src/transport/signalingClient.js';
import { topicForRoom } from '../../src/transport/signalingCrypto.js';
import { waitUntil } from '../helpers/processes.js';

const ROOM = `lecture-${Math.random().toString(36).slice(2)}`;
const SECRET = 'class secret';
const SERVERS = ['ws://janus-a.test:8188', 'ws://janus-b.test:8188', 'wss://janus-c.test/janus'];

const clients: SignalingClient[] = [];
const relays: Relay[] = [];
const fakes: WebSocketServer[] = [];
afterEach(() => { for (const c of clients.splice(0)) c.destroy(); });
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
  for (const f of fakes) { for (const s of f.clients) s.terminate(); await new Promise((r) => f.close(r)); }
});

function client(url: string, token?: string): { client: SignalingClient; sfu: SfuAssignment[]; errors: SignalingError[] } {
  const c = new SignalingClient({ url, roomId: ROOM, secret: SECRET, peerId: 'p-' + clients.length, WebSocket, reconnect: { minMs: 50, maxMs: 400 }, ...(token !== undefined ? { token } : {}) });
  clients.push(c);
  const r = { client: c, sfu: [] as SfuAssignment[], errors: [] as SignalingError[] };
  c.on('sfu', (event) => r.sfu.push(event));
  c.on('error', (error) => r.errors.push(error));
  c.connect();
  return r;
}

describe('SignalingClient and the relay\'s sfu message', () => {
  it('emits the SFU the real relay assigned to its topic, once per subscription (again after a reconnect)', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, sfuServers: SERVERS });
    relays.push(relay);
    const topic = await topicForRoom(ROOM);
    const r = client(relay.url);
    expect(r.client.sfuUrl).toBeNull();
    await waitUntil(() => r.sfu.length === 1, 'sfu event');
    expect(r.sfu).toEqual([{ topic, url: assignSfu(topic, SERVERS) }]);
    expect(r.client.sfuUrl).toBe(assignSfu(topic, SERVERS));
    r.client.reconnectNow({ probe: false });
    await waitUntil(() => r.sfu.length === 2, 'sfu after reconnect');
    expect(r.sfu[1]).toEqual(r.sfu[0]);
    expect(r.errors).toEqual([]);
  });

  it('gets no SFU from a token-gated relay without a valid token, and gets it with one', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, sfuServers: SERVERS, token: { secret: 'relay secret' } });
    relays.push(relay);
    const forged = client(relay.url, await mintRelayToken({ secret: 'wrong secret', classId: ROOM }));
    const foreign = client(relay.url, await mintRelayToken({ secret: 'relay secret', classId: 'another class' }));
    const valid = client(relay.url, await mintRelayToken({ secret: 'relay secret', classId: ROOM }));
    await waitUntil(() => forged.errors.length > 0 && foreign.errors.length > 0 && valid.sfu.length === 1, 'refusals and the valid client\'s sfu');
    expect(forged.errors[0]?.code).toBe('unauthorized');
    expect(foreign.errors[0]?.code).toBe('unauthorized');
    expect(valid.sfu[0]?.url).toBe(assignSfu(await topicForRoom(ROOM), SERVERS));
    await new Promise((r) => setTimeout(r, 200));
    expect(forged.sfu).toEqual([]);
    expect(foreign.sfu).toEqual([]);
    expect(forged.client.sfuUrl).toBeNull();
  });

  it('ignores hostile sfu frames from a fake relay and keeps working', async () => {
    const topic = await topicForRoom(ROOM);
    const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    fakes.push(fake);
    await new Promise<void>((resolve) => fake.once('listening', () => resolve()));
    const hostile: Array<string | Buffer> = [
      JSON.stringify({ type: 'sfu', topic: 'f'.repeat(64), url: 'ws://other-class.test:8188' }),
      JSON.stringify({ type: 'sfu', topic, url: 'http://janus.test:8088/janus' }),
      JSON.stringify({ type: 'sfu', topic, url: 'javascript:alert(1)' }),
      JSON.stringify({ type: 'sfu', topic, url: 'not a url' }),
      JSON.stringify({ type: 'sfu', topic, url: 'ws://' + 'a'.repeat(3000) + '.test' }),
      JSON.stringify({ type: 'sfu', topic, url: { href: 'ws://x.test' } }),
      JSON.stringify({ type: 'sfu', topic }),
      JSON.stringify({ type: 'sfu', topic: 42, url: 'ws://x.test' }),
      JSON.stringify({ type: 'sfu', topic: [topic], url: 'ws://x.test' }),
      JSON.stringify({ type: 'sfu', topic: null, url: 'ws://x.test' }),
      JSON.stringify({ type: 'sfu', topic, url: 'ws://padded.test', pad: 'x'.repeat(1 << 20) }),
      JSON.stringify([{ type: 'sfu', topic, url: 'ws://x.test' }]),
      JSON.stringify('sfu'),
      '{"type":"sfu","topic":',
      Buffer.from(JSON.stringify({ type: 'sfu', topic, url: 'ws://binary.test' })),
      JSON.stringify({ type: 'sfu', topic, url: 'wss://good.test/janus' }),
      JSON.stringify({ type: 'sfu', topic, url: 'ws://second.test:8188' }),
    ];
    fake.on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
        if (message.type === 'subscribe') for (const frame of hostile) socket.send(frame, { binary: Buffer.isBuffer(frame) });
      });
    });
    const r = client(`ws://127.0.0.1:${(fake.address() as { port: number }).port}`);
    await waitUntil(() => r.sfu.length >= 2, 'the two valid sfu frames');
    expect(r.sfu).toEqual([{ topic, url: 'wss://good.test/janus' }, { topic, url: 'ws://second.test:8188' }]);
    expect(r.client.sfuUrl).toBe('ws://second.test:8188');
    expect(r.client.status).toBe('connected');
    expect(r.errors).toEqual([]);
  });

  it('readSfuFrame accepts exactly well-formed sfu messages', () => {
    expect(readSfuFrame('{"type":"sfu","topic":"t","url":"ws://j:8188"}')).toEqual({ topic: 't', url: 'ws://j:8188' });
    expect(readSfuFrame('{"type":"sfu","topic":"t","url":"WSS://J/janus"}')).toEqual({ topic: 't', url: 'WSS://J/janus' });
    expect(readSfuFrame('{"type":"ice-servers","topic":"t","url":"ws://j:8188"}')).toBeNull();
    expect(readSfuFrame('{"type":"sfu","topic":"t","url":"https://j"}')).toBeNull();
    expect(readSfuFrame('{"type":"sfu","topic":1,"url":"ws://j"}')).toBeNull();
    expect(readSfuFrame('null')).toBeNull();
  });
});
