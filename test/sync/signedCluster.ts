import * as Y from 'yjs';
import { vi } from 'vitest';
import { createPeerIdentity, type PeerIdentity } from '../../src/identity/index.js';
import type { AuthFailure, EnvelopeAuth } from '../../src/sync/envelopeAuth.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import { SyncEngine } from '../../src/sync/syncEngine.js';

/** One simulated peer in signed mode. */
export interface SignedPeer {
  id: string;
  identity: PeerIdentity;
  doc: Y.Doc;
  engine: SyncEngine;
  drops: Array<{ from: string; reason: string; code?: string }>;
  failures: AuthFailure[];
}

/** Signed-mode engines over one MemoryNetwork; peers are addressed by index (ids are key-derived). */
export interface SignedCluster {
  net: MemoryNetwork;
  peers: SignedPeer[];
  connect(a: number, b: number): void;
  destroy(): void;
}

/** Timers the signed tests fake: not microtasks or setImmediate, which WebCrypto's promises need. */
export const FAKED_TIMERS: { toFake: Array<'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date'> } = {
  toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
};

/** The auth of an identity in class `context`. */
export function authOf(identity: PeerIdentity, context: string): EnvelopeAuth {
  return { peerId: identity.peerId, publicKey: identity.publicKey, sign: (b) => identity.sign(b), context };
}

export async function makeSignedCluster(n: number, options: { seed?: number; context?: string; identities?: PeerIdentity[] } = {}): Promise<SignedCluster> {
  const net = new MemoryNetwork({ seed: options.seed ?? 1 });
  const peers: SignedPeer[] = [];
  for (let i = 0; i < n; i++) {
    const identity = options.identities?.[i] ?? await createPeerIdentity();
    const doc = new Y.Doc();
    // Fixed client ids: two runs with the same edits give byte-identical documents.
    doc.clientID = 1000 + i;
    const drops: SignedPeer['drops'] = [];
    const failures: AuthFailure[] = [];
    const engine = new SyncEngine({
      peerId: identity.peerId, doc, awarenessThrottleMs: 0, auth: authOf(identity, options.context ?? 'class-1'),
      onDroppedMessage: (d) => drops.push(d),
    });
    engine.on('auth-failure', (f) => failures.push(f));
    peers.push({ id: identity.peerId, identity, doc, engine, drops, failures });
  }
  return {
    net,
    peers,
    connect(a, b) {
      const [la, lb] = net.connect(peers[a]!.id, peers[b]!.id);
      peers[a]!.engine.addLink(la);
      peers[b]!.engine.addLink(lb);
    },
    destroy() {
      for (const p of peers) p.engine.destroy();
    },
  };
}

/** Delivers, waits for signing/verifying, runs due timers, until the network is quiet. Needs FAKED_TIMERS. */
export async function settleSigned(c: { net: MemoryNetwork; peers: Array<{ engine: SyncEngine }> }, maxRounds = 2000): Promise<number> {
  let total = 0;
  const idle = async (): Promise<void> => { await Promise.all(c.peers.map((p) => p.engine.whenIdle())); };
  for (let i = 0; i < maxRounds; i++) {
    const n = c.net.deliverAll();
    total += n;
    await idle();
    vi.advanceTimersByTime(25);
    await idle();
    if (n === 0 && c.net.pending() === 0) return total;
  }
  throw new Error('network did not settle');
}
