import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startRelay, type Relay } from '../../signaling/index.js';
import { createPeerIdentity, type PeerIdentity } from '../../src/identity/index.js';
import { PeerclassProvider } from '../../src/provider/index.js';
import type { AuthFailure } from '../../src/sync/envelopeAuth.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

let relay: Relay | undefined;
const providers: PeerclassProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await relay?.close();
  relay = undefined;
});
// Providers close their RTCPeerConnections up to ~2.2 s after leaving; @roamhq/wrtc can crash if the worker exits first.
afterAll(async () => { await new Promise((r) => setTimeout(r, 2500)); });

interface Peer { doc: Y.Doc; provider: PeerclassProvider; failures: AuthFailure[] }

function peer(room: string, identity: PeerIdentity | undefined, extra: { admitPeer?: (id: string) => boolean } = {}): Peer {
  const doc = new Y.Doc();
  const provider = new PeerclassProvider(room, doc, {
    signaling: relay!.url, secret: 'class-secret', rtc: nodeRtc, WebSocket: NodeWebSocket, ...(identity ? { identity } : {}), ...extra,
  });
  const failures: AuthFailure[] = [];
  provider.on('auth-failure', (f) => failures.push(f));
  providers.push(provider);
  return { doc, provider, failures };
}

const linked = (p: Peer, n: number): boolean => p.provider.connections().size === n && [...p.provider.connections().values()].every((c) => c.link !== null);

describe('signed providers over real WebRTC (@roamhq/wrtc) and the real relay', () => {
  it('three signed providers converge (doc and awareness), and a leaver disappears at once', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'signed-' + Math.random();
    const identities = await Promise.all([0, 1, 2].map(() => createPeerIdentity()));
    const peers = identities.map((id) => peer(room, id));
    peers.forEach((p, i) => expect(p.provider.peerId).toBe(identities[i]!.peerId));
    await waitUntil(() => peers.every((p) => linked(p, 2)), 'full mesh of data channels', 30_000);
    peers.forEach((p, i) => { p.doc.getText('t').insert(0, `[${i}]`); p.provider.awareness.setLocalState({ name: `p${i}` }); });
    await waitUntil(() => peers.every((p) => p.doc.getText('t').length === 9 && p.provider.awareness.getStates().size === 3), 'convergence', 15_000);
    expect(new Set(peers.map((p) => p.doc.getText('t').toString())).size).toBe(1);
    expect(peers.every((p) => p.failures.length === 0)).toBe(true);
    const leaving = peers[2]!.provider.awareness.clientID;
    peers[2]!.provider.destroy();
    await waitUntil(() => peers.slice(0, 2).every((p) => !p.provider.awareness.getStates().has(leaving)), 'the signed leave arrives', 10_000);
  });

  it('signed peers ignore an unsigned peer (no key in its announce): it never gets the document', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'signed-only-' + Math.random();
    const [a, b] = await Promise.all([createPeerIdentity(), createPeerIdentity()]).then((ids) => ids.map((id) => peer(room, id)));
    a!.doc.getText('t').insert(0, 'class content');
    await waitUntil(() => b!.doc.getText('t').toString() === 'class content', 'signed peers sync', 20_000);
    const unsigned = peer(room, undefined);
    await new Promise((r) => setTimeout(r, 1500));
    expect(unsigned.doc.getText('t').toString()).toBe('');
    expect([...a!.provider.connections().keys()]).toEqual([b!.provider.peerId]);
  });

  it('reviewPeers closes connections to peers no longer admitted, and they stay out', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const room = 'admit-' + Math.random();
    const identities = await Promise.all([0, 1, 2].map(() => createPeerIdentity()));
    const admitted = new Set(identities.map((i) => i.peerId));
    const admitPeer = (id: string): boolean => admitted.has(id);
    const peers = identities.map((id) => peer(room, id, { admitPeer }));
    await waitUntil(() => peers.every((p) => linked(p, 2)), 'full mesh', 30_000);
    const removed = identities[2]!.peerId;
    admitted.delete(removed);
    peers[0]!.provider.reviewPeers();
    peers[1]!.provider.reviewPeers();
    await waitUntil(() => peers.slice(0, 2).every((p) => !p.provider.connections().has(removed)), 'the removed peer is cut off', 10_000);
    peers[0]!.doc.getText('t').insert(0, 'after removal');
    await waitUntil(() => peers[1]!.doc.getText('t').toString() === 'after removal', 'the others keep syncing', 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(peers[2]!.doc.getText('t').toString()).toBe('');
    expect(peers.slice(0, 2).every((p) => !p.provider.connections().has(removed))).toBe(true);
  });

  it('refuses an explicit peer id that is not the identity’s', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const identity = await createPeerIdentity();
    expect(() => new PeerclassProvider('r', new Y.Doc(), { signaling: relay!.url, secret: 's', rtc: nodeRtc, WebSocket: NodeWebSocket, identity, peerId: 'someone-else', connect: false }))
      .toThrow(/key-derived/);
  });
});
