import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeCluster, shapeEdges, peerId, docFingerprint, settle, type Cluster } from './cluster.js';

beforeEach(() => { vi.useFakeTimers(); });

let cluster: Cluster | null = null;
afterEach(() => { cluster?.destroy(); cluster = null; vi.useRealTimers(); });

describe('SyncEngine basics', () => {
  it('two peers sync an edit made before and after linking', () => {
    cluster = makeCluster(2);
    const [a, b] = cluster.peers as [typeof cluster.peers[0], typeof cluster.peers[0]];
    a.doc.getText('text').insert(0, 'before');
    cluster.connect(a.id, b.id);
    settle(cluster);
    expect(b.doc.getText('text').toString()).toBe('before');
    expect(a.engine.synced).toBe(true);
    expect(b.engine.synced).toBe(true);
    b.doc.getText('text').insert(0, 'x');
    settle(cluster);
    expect(a.doc.getText('text').toString()).toBe('xbefore');
    expect(a.drops).toEqual([]);
  });

  it('line of 5 converges and knows the graph', () => {
    cluster = makeCluster(5);
    for (const [x, y] of shapeEdges('line', 5)) cluster.connect(peerId(x), peerId(y));
    settle(cluster);
    cluster.peers[4]!.doc.getMap('map').set('k', 1);
    settle(cluster);
    for (const p of cluster.peers) {
      expect(p.doc.getMap('map').get('k')).toBe(1);
      expect(p.engine.reachablePeers()).toEqual(cluster.peers.filter((q) => q !== p).map((q) => q.id));
    }
    const fp = docFingerprint(cluster.peers[0]!.doc);
    for (const p of cluster.peers) expect(docFingerprint(p.doc)).toBe(fp);
  });
});

describe('SyncEngine with real timers and auto-delivery', () => {
  it('a late joiner gets a 2 MiB document and a pre-set awareness state', async () => {
    vi.useRealTimers();
    const { MemoryNetwork } = await import('../../src/sync/memoryNetwork.js');
    const { SyncEngine } = await import('../../src/sync/syncEngine.js');
    const { Awareness } = await import('y-protocols/awareness');
    const Y = await import('yjs');
    const net = new MemoryNetwork({ autoDeliver: true });
    const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
    const big = 'x'.repeat(2 * 1024 * 1024);
    docs[0]!.getText('text').insert(0, big);
    const awarenessOfLate = new Awareness(docs[2]!);
    awarenessOfLate.setLocalState({ name: 'late' });
    const engines = docs.map((doc, i) => new SyncEngine({ peerId: `n${i}`, doc, ...(i === 2 ? { awareness: awarenessOfLate } : {}) }));
    const link = (a: number, b: number) => {
      const [la, lb] = net.connect(`n${a}`, `n${b}`);
      engines[a]!.addLink(la);
      engines[b]!.addLink(lb);
    };
    try {
      link(0, 1);
      link(1, 2); // n2 only reaches n0 through n1
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const done = docs.every((d) => d.getText('text').length === big.length)
          && engines[0]!.awareness.getStates().get(awarenessOfLate.clientID)?.name === 'late';
        if (done) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(docs[2]!.getText('text').toString() === big).toBe(true);
      expect(engines[0]!.awareness.getStates().get(awarenessOfLate.clientID)).toEqual({ name: 'late' });
      expect(engines[2]!.reachablePeers()).toEqual(['n0', 'n1']);
    } finally {
      for (const e of engines) e.destroy();
      awarenessOfLate.destroy();
    }
  });
});

describe('restart with the same peer id', () => {
  it('a new engine reusing an id is heard again (seqs and topology versions move past the old incarnation)', async () => {
    const Y = await import('yjs');
    const { SyncEngine } = await import('../../src/sync/syncEngine.js');
    cluster = makeCluster(3);
    const c = cluster;
    c.connect('p00', 'p01');
    c.connect('p01', 'p02');
    settle(c);
    for (let i = 0; i < 5; i++) c.peers[2]!.doc.getMap('map').set(`k${i}`, i);
    settle(c);
    // p02 restarts: same id, fresh engine and doc.
    c.disconnect('p01', 'p02');
    c.peers[2]!.engine.destroy();
    settle(c);
    vi.advanceTimersByTime(1000);
    const doc = new Y.Doc();
    const engine = new SyncEngine({ peerId: 'p02', doc, awarenessThrottleMs: 0 });
    c.peers[2] = { ...c.peers[2]!, doc, engine };
    c.byId.set('p02', c.peers[2]);
    c.connect('p01', 'p02');
    settle(c);
    expect(doc.getMap('map').get('k4')).toBe(4);
    doc.getText('text').insert(0, 'back');
    settle(c);
    expect(c.peers[0]!.doc.getText('text').toString()).toBe('back');
    expect(c.peers[0]!.engine.reachablePeers()).toEqual(['p01', 'p02']);
  });
});
