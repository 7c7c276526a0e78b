import * as Y from 'yjs';
import { vi } from 'vitest';
import { SyncEngine } from '../../src/sync/syncEngine.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';

/** One simulated peer. */
export interface SimPeer {
  id: string;
  doc: Y.Doc;
  engine: SyncEngine;
  drops: Array<{ from: string; reason: string }>;
}

/** A set of engines over one MemoryNetwork. */
export interface Cluster {
  net: MemoryNetwork;
  peers: SimPeer[];
  byId: Map<string, SimPeer>;
  connect(a: string, b: string): void;
  disconnect(a: string, b: string): void;
  destroy(): void;
}

/** Peer ids that sort like their index. */
export function peerId(i: number): string {
  return `p${String(i).padStart(2, '0')}`;
}

export function makeCluster(n: number, options: { seed?: number } = {}): Cluster {
  const net = new MemoryNetwork({ seed: options.seed ?? 1 });
  const peers: SimPeer[] = [];
  for (let i = 0; i < n; i++) {
    const id = peerId(i);
    const doc = new Y.Doc();
    const drops: SimPeer['drops'] = [];
    const engine = new SyncEngine({ peerId: id, doc, awarenessThrottleMs: 0, onDroppedMessage: (d) => drops.push(d) });
    peers.push({ id, doc, engine, drops });
  }
  const byId = new Map(peers.map((p) => [p.id, p]));
  return {
    net,
    peers,
    byId,
    connect(a, b) {
      const [la, lb] = net.connect(a, b);
      byId.get(a)!.engine.addLink(la);
      byId.get(b)!.engine.addLink(lb);
    },
    disconnect(a, b) {
      net.disconnect(a, b);
    },
    destroy() {
      for (const p of peers) p.engine.destroy();
    },
  };
}

export type Shape = 'mesh' | 'star' | 'line' | 'random';

/** Edge list of a connected graph of the given shape over peer indexes 0..n-1. `rand` drives 'random'. */
export function shapeEdges(shape: Shape, n: number, rand: () => number = Math.random): Array<[number, number]> {
  const edges: Array<[number, number]> = [];
  if (shape === 'mesh') for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push([i, j]);
  if (shape === 'star') for (let i = 1; i < n; i++) edges.push([0, i]);
  if (shape === 'line') for (let i = 1; i < n; i++) edges.push([i - 1, i]);
  if (shape === 'random') {
    // A random spanning tree plus some extra edges: connected by construction.
    for (let i = 1; i < n; i++) edges.push([Math.floor(rand() * i), i]);
    const extra = Math.floor(rand() * n);
    for (let k = 0; k < extra; k++) {
      const a = Math.floor(rand() * n);
      const b = Math.floor(rand() * n);
      if (a !== b && !edges.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) edges.push([a, b]);
    }
  }
  return edges;
}

/** A snapshot that differs whenever two docs differ in content or state vector. */
export function docFingerprint(doc: Y.Doc): string {
  return JSON.stringify({
    text: doc.getText('text').toString(),
    map: Object.entries(doc.getMap('map').toJSON()).sort(([a], [b]) => (a < b ? -1 : 1)),
    array: doc.getArray('array').toJSON(),
    sv: [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort((a, b) => a[0] - b[0]),
  });
}

/** Engines defer anti-entropy to timers: tests run with fake timers and settle by delivering and advancing time. */
export const TICK_MS = 25;

/** Delivers everything and runs due timers until the network is quiet. Needs vi.useFakeTimers(); no partition active. */
export function settle(c: Cluster, maxRounds = 2000): number {
  let total = 0;
  for (let i = 0; i < maxRounds; i++) {
    const n = c.net.deliverAll();
    total += n;
    vi.advanceTimersByTime(TICK_MS);
    if (n === 0 && c.net.pending() === 0) return total;
  }
  throw new Error('network did not settle');
}
