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
