import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startRelay, type Relay } from '../../signaling/index.js';
import { SignalingClient, type SignalingError, type SignalingStatus } from '../../src/transport/signalingClient.js';
import { deriveRoomKey, openBytes, sealBytes, topicForRoom } from '../../src/transport/signalingCrypto.js';
import { TransportError } from '../../src/transport/errors.js';
import { PeerConnection } from '../../src/transport/peerConnection.js';
import type { Link } from '../../src/sync/link.js';
import { waitUntil } from '../helpers/processes.js';
import { nodeRtc } from '../helpers/nodeWebRtc.js';

// A room id and secret with characters base64 never contains, so finding them in relay traffic is meaningful.
const ROOM = `maths-4b room-${Math.random().toString(36).slice(2)}`;
const SECRET = 'correct horse battery staple';

let relay: Relay;
const clients: SignalingClient[] = [];
const sockets: WebSocket[] = [];

async function startTestRelay(port = 0): Promise<Relay> {
  return await startRelay({ host: '127.0.0.1', port, logLevel: 'silent', processMetrics: false, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
}

beforeAll(async () => { relay = await startTestRelay(); });
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.terminate();
});
afterAll(async () => { await relay.close(); });

interface Recorded { client: SignalingClient; announces: Array<[string, unknown]>; signals: Array<[string, unknown]>; errors: SignalingError[]; statuses: SignalingStatus[]; iceServers: unknown[] }

function client(peerId: string, options: { secret?: string; info?: unknown; url?: string } = {}): Recorded {
  const c = new SignalingClient({
    url: options.url ?? relay.url, roomId: ROOM, secret: options.secret ?? SECRET, peerId, WebSocket,
    info: options.info ?? { name: peerId }, reconnect: { minMs: 50, maxMs: 400 },
  });
  clients.push(c);
  const r: Recorded = { client: c, announces: [], signals: [], errors: [], statuses: [], iceServers: [] };
  c.on('announce', (from, info) => r.announces.push([from, info]));
  c.on('signal', (from, data) => r.signals.push([from, data]));
  c.on('error', (e) => r.errors.push(e));
  c.on('status', (s) => r.statuses.push(s));
  c.on('ice-servers', (s) => r.iceServers.push(...s));
  return r;
}

/** A raw y-webrtc-style subscriber on the room's topic: sees exactly what the relay forwards. */
async function eavesdrop(url = relay.url): Promise<string[]> {
  const frames: string[] = [];
  const ws = new WebSocket(url);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  ws.on('message', (data) => frames.push(data.toString()));
  ws.send(JSON.stringify({ type: 'subscribe', topics: [await topicForRoom(ROOM)] }));
  // The relay handles frames of one connection in order; a ping's pong proves the subscribe went through.
  ws.send(JSON.stringify({ type: 'ping' }));
  await waitUntil(() => frames.some((f) => f.includes('pong')), 'eavesdropper subscribed');
  return frames;
}

describe('signaling crypto', () => {
  it('hashes the topic and seals/opens bytes; wrong key and tampering fail with typed codes', async () => {
    const topic = await topicForRoom(ROOM);
    expect(topic).toMatch(/^[0-9a-f]{64}$/);
    expect(topic).not.toBe(await topicForRoom(`${ROOM}x`));
    const key = await deriveRoomKey(SECRET, ROOM);
    const plain = new TextEncoder().encode('{"hello":"world","n":1}');
    const sealed = await sealBytes(key, plain);
    expect(sealed).not.toContain('hello');
    expect(new TextDecoder().decode(await openBytes(key, sealed))).toBe('{"hello":"world","n":1}');
    // Fresh IV every time.
    expect(await sealBytes(key, plain)).not.toBe(await sealBytes(key, plain));
    const code = async (k: CryptoKey, s: string): Promise<string> => {
      try { await openBytes(k, s); return 'opened'; } catch (error) { return error instanceof TransportError ? error.code : String(error); }
    };
    expect(await code(await deriveRoomKey('other secret', ROOM), sealed)).toBe('sealed-unreadable');
    expect(await code(await deriveRoomKey(SECRET, `${ROOM}2`), sealed)).toBe('sealed-unreadable');
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    expect(await code(key, bytes.toString('base64'))).toBe('sealed-unreadable');
    expect(await code(key, 'AAAA')).toBe('sealed-malformed');
    expect(await code(key, 'not base64!')).toBe('sealed-malformed');
  });
});

describe('SignalingClient against the real relay', () => {
  it('two clients learn of each other and exchange signals; the relay sees no room id and no SDP', async () => {
    const frames = await eavesdrop();
    const a = client('alice');
    a.client.connect();
    await waitUntil(() => a.client.status === 'connected', 'alice connected');
    const b = client('bob');
    b.client.connect();
    await waitUntil(() => a.announces.some(([id]) => id === 'bob') && b.announces.some(([id]) => id === 'alice'), 'mutual announce');
    expect(a.announces.find(([id]) => id === 'bob')?.[1]).toEqual({ name: 'bob' });
    expect(b.announces.find(([id]) => id === 'alice')?.[1]).toEqual({ name: 'alice' });
    expect(a.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);

    const sdp = 'v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\na=ice-ufrag:abcd\r\n';
    a.client.publishSignal('bob', { description: { type: 'offer', sdp } });
    a.client.publishSignal('carol', { description: { type: 'offer', sdp: 'not for bob' } });
    b.client.publishSignal('alice', { candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0' } });
    await waitUntil(() => b.signals.length >= 1 && a.signals.length >= 1, 'signals');
    expect(b.signals).toEqual([['alice', { description: { type: 'offer', sdp } }]]);
    expect(a.signals[0]?.[0]).toBe('bob');
    expect(a.announces.every(([id]) => id !== 'alice')).toBe(true); // never hears itself
    expect(a.errors).toEqual([]);

    const relayed = frames.filter((f) => f.includes('"publish"'));
    expect(relayed.length).toBeGreaterThanOrEqual(5);
    for (const frame of relayed) {
      expect(frame).not.toContain(ROOM);
      expect(frame).not.toContain('room-');
      // Only strings with a character outside base64's alphabet can be checked without chance hits in ciphertext.
      expect(frame).not.toContain('"sdp"');
      expect(frame).not.toContain('v=0');
      expect(frame).not.toContain('ice-ufrag');
      expect(frame).not.toContain('candidate');
      expect(frame).not.toContain('announce');
      expect(frame).not.toContain('carol');
      expect(frame).not.toContain(SECRET);
      const parsed = JSON.parse(frame) as { data: { from: string; sealed: string } };
      expect(Object.keys(parsed.data).sort()).toEqual(['from', 'sealed']);
      expect(parsed.data.sealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
  });

  it('reports a peer with the wrong secret once, however often it speaks', async () => {
    const a = client('alice');
    a.client.connect();
    await waitUntil(() => a.client.status === 'connected', 'alice connected');
    const intruder = client('mallory', { secret: 'a different secret' });
    intruder.client.connect();
    await waitUntil(() => a.errors.length >= 1 && intruder.errors.length >= 1, 'wrong-secret errors');
    intruder.client.announce();
    intruder.client.publishSignal('alice', { candidate: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]?.code).toBe('wrong-secret');
    expect(a.errors[0]?.message).toMatch(/different class secret/);
    expect(intruder.errors.map((e) => e.code)).toEqual(['wrong-secret']);
    expect(a.announces).toEqual([]);
    expect(a.signals).toEqual([]);
  });

  it('reconnects after a relay restart and re-announces', async () => {
    const own = await startTestRelay();
    const port = own.port;
    const a = client('alice', { url: own.url });
    const b = client('bob', { url: own.url });
    a.client.connect(); b.client.connect();
    await waitUntil(() => a.announces.length >= 1 && b.announces.length >= 1, 'first announces');
    await own.close();
    await waitUntil(() => a.client.status !== 'connected' && b.client.status !== 'connected', 'clients notice the relay is gone');
    a.announces.length = 0; b.announces.length = 0;
    const restarted = await startTestRelay(port);
    try {
      await waitUntil(() => a.client.status === 'connected' && b.client.status === 'connected', 'clients reconnect', 15_000);
      await waitUntil(() => a.announces.some(([id]) => id === 'bob') && b.announces.some(([id]) => id === 'alice'), 're-announce after restart', 15_000);
      expect(a.statuses).toContain('disconnected');
      expect(a.statuses.at(-1)).toBe('connected');
    } finally {
      await restarted.close();
    }
  });

  it('reports an unreachable relay once and a token refusal as unauthorized', async () => {
    const closed = await startTestRelay();
    const url = closed.url;
    await closed.close();
    const a = client('alice', { url });
    a.client.connect();
    await waitUntil(() => a.errors.length >= 1, 'unreachable error');
    await new Promise((r) => setTimeout(r, 600)); // several retries
    expect(a.errors.map((e) => e.code)).toEqual(['unreachable']);
    a.client.destroy();
    expect(a.client.status).toBe('disconnected');

    const strict = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', processMetrics: false, token: { secret: 'x'.repeat(32) } });
    try {
      const b = client('bob', { url: strict.url });
      b.client.connect();
      await waitUntil(() => b.errors.some((e) => e.code === 'unauthorized'), 'unauthorized');
      expect(b.errors.find((e) => e.code === 'unauthorized')?.message).toMatch(/requires an access token/);
      expect(b.errors.find((e) => e.code === 'unauthorized')?.relayCode).toBe('unauthorized');
      expect(b.errors.filter((e) => e.code === 'unauthorized')).toHaveLength(1); // once per connection
    } finally {
      await strict.close();
    }
  });

  it('carries a real WebRTC negotiation: two PeerConnections open a link through the relay', async () => {
    const rtc = nodeRtc;
    const ids = ['peer-1', 'peer-2'] as const;
    const links = new Map<string, Link>();
    const pcs: PeerConnection[] = [];
    try {
      for (const id of ids) {
        const r = client(id);
        const other = id === 'peer-1' ? 'peer-2' : 'peer-1';
        let pc: PeerConnection | null = null;
        // As a provider would: connect to a peer once signaling tells us about it.
        const ensure = (): PeerConnection => {
          if (pc === null) {
            pc = new PeerConnection({ localId: id, remoteId: other, rtc, sendSignal: (d) => r.client.publishSignal(other, d) });
            pcs.push(pc);
            pc.on('link', (l) => links.set(id, l));
          }
          return pc;
        };
        r.client.on('announce', (from) => { if (from === other) ensure(); });
        r.client.on('signal', (from, data) => { if (from === other) void ensure().handleSignal(data); });
      }
      for (const c of clients) c.connect();
      await waitUntil(() => links.size === 2, 'links open through the relay', 20_000);
      const got: Uint8Array[] = [];
      links.get('peer-2')!.onMessage((m) => got.push(m));
      links.get('peer-1')!.send(new Uint8Array([0, 7, 7]));
      await waitUntil(() => got.length === 1, 'message over the link');
      expect(Array.from(got[0]!)).toEqual([0, 7, 7]);
    } finally {
      for (const pc of pcs) pc.close();
    }
  });

  it('uses the reconnectPolicy option, and reconnectNow() skips its wait and re-announces', async () => {
    const own = await startTestRelay();
    const port = own.port;
    const delays: number[] = [];
    const c = new SignalingClient({
      url: own.url, roomId: ROOM, secret: SECRET, peerId: 'alice', WebSocket,
      reconnectPolicy: { nextRetryDelayInMs: ({ retryCount }) => { delays.push(retryCount); return 60_000; } },
    });
    clients.push(c);
    const b = client('bob', { url: own.url });
    c.connect(); b.client.connect();
    await waitUntil(() => c.status === 'connected' && b.announces.some(([id]) => id === 'alice'), 'alice announced');
    await own.close();
    await waitUntil(() => c.status === 'disconnected' && delays.length === 1, 'alice waits a minute');
    const restarted = await startTestRelay(port);
    try {
      b.announces.length = 0;
      c.reconnectNow();
      await waitUntil(() => c.status === 'connected', 'alice reconnected at once', 5000);
      await waitUntil(() => b.announces.some(([id]) => id === 'alice'), 'alice re-announced', 15_000);
    } finally {
      await restarted.close();
    }
  });

  it('drops a relay that went silent (no pong) and connects again', async () => {
    // A "relay" that accepts connections and never answers: like a half-open TCP connection.
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => silent.once('listening', () => resolve()));
    let connections = 0;
    silent.on('connection', () => { connections++; });
    const port = (silent.address() as { port: number }).port;
    try {
      const c = new SignalingClient({ url: `ws://127.0.0.1:${port}`, roomId: ROOM, secret: SECRET, peerId: 'alice', WebSocket, pingIntervalMs: 100, reconnect: { minMs: 20, maxMs: 50 } });
      clients.push(c);
      const statuses: string[] = [];
      c.on('status', (st) => statuses.push(st));
      c.connect();
      await waitUntil(() => connections >= 2, 'a second connection after the ping timeout', 10_000);
      expect(statuses.slice(0, 4)).toEqual(['connecting', 'connected', 'disconnected', 'connecting']);
    } finally {
      for (const ws of silent.clients) ws.terminate();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
