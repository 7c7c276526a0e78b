import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mintRelayToken, startRelay, type Relay } from '../../signaling/index.js';
import { Classroom, PeerclassProvider, chatType, createTeacherIdentity, randomClassId, randomSecret, type ProviderError } from '../../src/index.js';
import type { IceServerConfig } from '../../src/protocol/signaling.js';
import { SignalingClient } from '../../src/transport/signalingClient.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

const tokenSecret = 'school-backend-relay-secret';
let relay: Relay | undefined;
const providers: PeerclassProvider[] = [];
const rooms: Classroom[] = [];
const signalers: SignalingClient[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  for (const c of rooms.splice(0)) c.leave();
  for (const s of signalers.splice(0)) s.destroy();
  await new Promise((r) => setTimeout(r, 2500));
  await relay?.close();
  relay = undefined;
});
// @roamhq/wrtc can crash if the worker exits while peer connections are still closing.
afterAll(async () => { await new Promise((r) => setTimeout(r, 2500)); });

async function tokenRelay(heartbeatMs?: number): Promise<Relay> {
  relay = await startRelay({
    port: 0, logLevel: 'silent', processMetrics: false, token: { secret: tokenSecret },
    iceServers: [{ urls: 'turn:127.0.0.1:3478?transport=udp' }], turnSecret: 'coturn-secret',
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
  });
  return relay;
}

function peer(room: string, token: ConstructorParameters<typeof PeerclassProvider>[2]['token'], name: string) {
  const doc = new Y.Doc();
  const errors: ProviderError[] = [];
  // iceServers from the relay point to a TURN server that is not running here: peers on 127.0.0.1 use host candidates.
  const provider = new PeerclassProvider(room, doc, { signaling: relay!.url, secret: 'class-secret', rtc: nodeRtc, WebSocket: NodeWebSocket, self: { role: 'student', name }, token });
  provider.on('error', (e) => errors.push(e));
  providers.push(provider);
  return { doc, provider, errors };
}

function signaler(room: string, token: string | undefined, peerId: string) {
  const iceServers: IceServerConfig[][] = [];
  const client = new SignalingClient({ url: relay!.url, roomId: room, secret: 's', peerId, WebSocket: NodeWebSocket, ...(token !== undefined ? { token } : {}) });
  client.on('ice-servers', (servers) => iceServers.push(servers));
  signalers.push(client);
  client.connect();
  return { client, iceServers };
}

describe('relay tokens end to end (Node peers, @roamhq/wrtc, real relay)', () => {
  it('two providers with valid tokens from mintRelayToken sync; TURN credentials reach only the token holder', async () => {
    await tokenRelay();
    const room = 'token-class-' + Math.random();
    const token = await mintRelayToken({ secret: tokenSecret, classId: room, ttlSeconds: 600 });
    const a = peer(room, token, 'a');
    const b = peer(room, token, 'b');
    a.doc.getText('t').insert(0, 'from a;');
    b.doc.getText('t').insert(0, 'from b;');
    await waitUntil(() => [a, b].every((p) => p.doc.getText('t').toString().includes('from a;') && p.doc.getText('t').toString().includes('from b;')), 'both edits on both peers', 30_000);
    expect([...a.errors, ...b.errors]).toEqual([]);

    const holder = signaler(room, token, 'holder');
    const stranger = signaler(room, undefined, 'stranger');
    await waitUntil(() => holder.iceServers.length === 1, 'TURN credentials for the token holder');
    expect(holder.iceServers[0]![0]!.username).toMatch(/^\d+:/);
    await waitUntil(() => stranger.client.status === 'connected', 'stranger connected');
    await new Promise((r) => setTimeout(r, 300));
    expect(stranger.iceServers).toEqual([]);
  });

  it('an expired token, a token for another class or none yields a typed "unauthorized" error, and no sync', async () => {
    await tokenRelay();
    const room = 'token-class-' + Math.random();
    const good = peer(room, await mintRelayToken({ secret: tokenSecret, classId: room }), 'good');
    good.doc.getText('t').insert(0, 'private');
    const expired = await mintRelayToken({ secret: tokenSecret, classId: room, ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const late = peer(room, expired, 'late');
    const foreign = peer(room, await mintRelayToken({ secret: tokenSecret, classId: 'another-class' }), 'foreign');
    const none = peer(room, undefined, 'none');
    await waitUntil(() => [late, foreign, none].every((p) => p.errors.some((e) => e.code === 'unauthorized')), 'unauthorized errors', 10_000);
    expect(late.errors.find((e) => e.code === 'unauthorized')!.message).toMatch(/exp/);
    for (const p of [late, foreign, none]) expect(p.errors.filter((e) => e.code === 'unauthorized')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of [late, foreign, none]) {
      expect(p.doc.getText('t').toString()).toBe('');
      expect(p.provider.connections().size).toBe(0);
    }
  });

  it('a token function recovers from a refused token and renews before expiry, so a later peer still finds it', async () => {
    await tokenRelay(200);
    const room = 'token-class-' + Math.random();
    let calls = 0;
    const stale = await mintRelayToken({ secret: tokenSecret, classId: room, ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    // First call: a cached token that has expired; then fresh 3-second tokens, renewed before each expires.
    const a = peer(room, async () => (++calls === 1 ? stale : await mintRelayToken({ secret: tokenSecret, classId: room, ttlSeconds: 3 })), 'a');
    a.doc.getText('t').insert(0, 'kept alive');
    await waitUntil(() => calls >= 2, 'a fresh token after the refusal');
    await new Promise((r) => setTimeout(r, 5000)); // longer than one token's life
    expect(calls).toBeGreaterThanOrEqual(3);
    const b = peer(room, await mintRelayToken({ secret: tokenSecret, classId: room }), 'b');
    await waitUntil(() => b.doc.getText('t').toString() === 'kept alive', 'a late peer syncs with the renewing one', 30_000);
    expect(a.errors.filter((e) => e.code === 'unauthorized')).toEqual([]);
  });

  it('a teacher and a student Classroom with relayToken (a function and a string) meet and chat', async () => {
    await tokenRelay();
    const identity = await createTeacherIdentity();
    const classId = randomClassId();
    const base = { signaling: relay!.url, classId, secret: randomSecret(), teacherKey: identity.publicKey, rtc: nodeRtc, WebSocket: NodeWebSocket };
    const teacher = await Classroom.create({ ...base, identity, name: 'Ms Rivera', peerId: 't-teacher', relayToken: () => mintRelayToken({ secret: tokenSecret, classId }) });
    rooms.push(teacher);
    const student = await Classroom.create({ ...base, name: 'Sam', peerId: 's-sam', relayToken: await mintRelayToken({ secret: tokenSecret, classId }) });
    rooms.push(student);
    student.doc(chatType).send('hello with a token');
    await waitUntil(() => teacher.doc(chatType).messages().some((m) => m.text === 'hello with a token'), 'chat reaches the teacher', 30_000);
    expect(teacher.participants().some((p) => p.peerId === 's-sam')).toBe(true);
  });
});
