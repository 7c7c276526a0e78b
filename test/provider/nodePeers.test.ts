import { afterAll, afterEach, describe, expect, it } from 'vitest';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startRelay, type Relay } from '../../signaling/index.js';
import { PeerclassProvider, type ProviderError } from '../../src/index.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

const rtc = nodeRtc;
const WS = NodeWebSocket;
let relay: Relay | undefined;
const providers: PeerclassProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await relay?.close();
  relay = undefined;
});

function peer(url: string, room: string, secret: string, name: string): { doc: Y.Doc; provider: PeerclassProvider } {
  const doc = new Y.Doc();
  const provider = new PeerclassProvider(room, doc, { signaling: url, secret, rtc, WebSocket: WS, self: { role: 'student', name } });
  providers.push(provider);
  return { doc, provider };
}

const texts = (peers: Array<{ doc: Y.Doc }>) => peers.map((p) => p.doc.getText('t').toString());

// Providers close their RTCPeerConnections up to ~2.2 s after leaving (once their channels drained); @roamhq/wrtc can crash if the worker exits first.
afterAll(async () => { await new Promise((r) => setTimeout(r, 2500)); });

describe('PeerclassProvider with Node peers (@roamhq/wrtc) through the real relay', () => {
  it('5 peers connect, converge on concurrent edits, and keep syncing over data channels after the relay dies', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'node-class-' + Math.random();
    const peers = Array.from({ length: 5 }, (_, i) => peer(relay!.url, room, 'secret-1', 'p' + i));
    await waitUntil(() => peers.every((p) => p.provider.connections().size === 4 && [...p.provider.connections().values()].every((c) => c.link !== null)), 'full mesh of data channels', 30_000);
    peers.forEach((p, i) => p.doc.getText('t').insert(0, `[${i}]`));
    await waitUntil(() => new Set(texts(peers)).size === 1 && texts(peers)[0]!.length === 15, 'convergence on 5 concurrent edits', 15_000);
    expect(peers.every((p) => p.provider.synced)).toBe(true);

    await relay.close();
    relay = undefined;
    await waitUntil(() => peers.every((p) => !p.provider.connected), 'signaling down everywhere');
    peers[2]!.doc.getText('t').insert(0, 'after-relay-death;');
    peers[4]!.doc.getMap('m').set('k', 'v');
    await waitUntil(() => peers.every((p) => p.doc.getText('t').toString().startsWith('after-relay-death;') && p.doc.getMap('m').get('k') === 'v'), 'edits propagate without the relay', 15_000);
  });

  it('a peer with the wrong secret gets a "wrong-secret" error and never receives the class document', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'guarded-' + Math.random();
    const a = peer(relay.url, room, 'right', 'a');
    const b = peer(relay.url, room, 'right', 'b');
    a.doc.getText('t').insert(0, 'class content');
    await waitUntil(() => b.doc.getText('t').toString() === 'class content', 'a and b sync');
    const intruder = peer(relay.url, room, 'wrong', 'x');
    const errors: ProviderError[] = [];
    intruder.provider.on('error', (e) => errors.push(e));
    await waitUntil(() => errors.some((e) => e.code === 'wrong-secret'), 'wrong-secret error', 10_000);
    expect(errors.find((e) => e.code === 'wrong-secret')!.message).toMatch(/secret/);
    expect(intruder.doc.getText('t').toString()).toBe('');
    expect(intruder.provider.connections().size).toBe(0);
  });

  it('a peer that leaves disappears from everyone\'s awareness at once', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'presence-' + Math.random();
    const peers = [peer(relay.url, room, 's', 'a'), peer(relay.url, room, 's', 'b'), peer(relay.url, room, 's', 'c')];
    peers.forEach((p, i) => p.provider.awareness.setLocalState({ name: 'p' + i }));
    await waitUntil(() => peers.every((p) => p.provider.awareness.getStates().size === 3), 'everyone sees three presences', 20_000);
    const leaving = peers[2]!.provider.awareness.clientID;
    peers[2]!.provider.destroy();
    await waitUntil(() => peers.slice(0, 2).every((p) => !p.provider.awareness.getStates().has(leaving)), 'the leaver is gone from awareness (well before the 30 s awareness timeout)', 10_000);
  });

  it('reconnects a peer connection that failed, and syncs what was written meanwhile', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'flaky-' + Math.random();
    const a = peer(relay.url, room, 's', 'a');
    const b = peer(relay.url, room, 's', 'b');
    const linked = () => [a, b].every((p) => [...p.provider.connections().values()].some((c) => c.link !== null));
    await waitUntil(linked, 'a and b connected', 20_000);
    const broken = a.provider.connections().get(b.provider.peerId)!;
    broken.close(); // what a failed ICE restart ends in
    a.doc.getText('t').insert(0, 'written while broken');
    await waitUntil(() => b.doc.getText('t').toString() === 'written while broken', 'b receives after the reconnect', 20_000);
    expect(a.provider.connections().get(b.provider.peerId)).not.toBe(broken);
    b.doc.getText('t').insert(0, '> ');
    await waitUntil(() => a.doc.getText('t').toString() === '> written while broken', 'and back');
  });

  it('forgets a peer that left (signaling has no leave) and stops redialling it; a re-announce brings it back', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'forget-' + Math.random();
    const make = (name: string) => {
      const doc = new Y.Doc();
      const provider = new PeerclassProvider(room, doc, { signaling: relay!.url, secret: 's', rtc, WebSocket: WS, peerId: name, forgetAfterMs: 1000 });
      providers.push(provider);
      return provider;
    };
    const a = make('a');
    const b = make('b');
    await waitUntil(() => a.reachablePeers().includes('b') && b.reachablePeers().includes('a'), 'a and b connected', 20_000);
    b.destroy();
    await waitUntil(() => !a.knownPeers().some((p) => p.peerId === 'b'), 'a forgets b', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than a reconnect delay
    expect(a.connections().has('b')).toBe(false);
    const c = make('c');
    await waitUntil(() => a.reachablePeers().includes('c') && c.reachablePeers().includes('a'), 'a newcomer still connects', 20_000);
    expect(a.knownPeers().map((p) => p.peerId)).toEqual(['c']);
  });

  it('a 2 MiB update reaches a late joiner whole', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'big-' + Math.random();
    const a = peer(relay.url, room, 's', 'a');
    const blob = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24;
    a.doc.getMap('files').set('board', blob);
    const late = peer(relay.url, room, 's', 'late');
    await waitUntil(() => late.doc.getMap('files').get('board') instanceof Uint8Array, 'late joiner has the 2 MiB value', 30_000);
    expect(Buffer.from(late.doc.getMap('files').get('board') as Uint8Array).equals(Buffer.from(blob))).toBe(true);
  });
});
