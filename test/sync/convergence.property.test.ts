import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { makeCluster, shapeEdges, peerId, docFingerprint, settle, TICK_MS, type Shape, type SimPeer } from './cluster.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

type Op =
  | { kind: 'text'; peer: number; pos: number; value: string; del: number }
  | { kind: 'map'; peer: number; key: string; value: number }
  | { kind: 'array'; peer: number; value: number; del: boolean }
  | { kind: 'awareness'; peer: number; value: number }
  | { kind: 'deliver'; steps: number }
  | { kind: 'partition'; cut: number }
  | { kind: 'heal' }
  | { kind: 'tick' }
  | { kind: 'join'; to: number }
  | { kind: 'link'; a: number; b: number }
  | { kind: 'unlink'; a: number; b: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), peer: fc.nat(), pos: fc.nat(), value: fc.string({ maxLength: 4 }), del: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant('map' as const), peer: fc.nat(), key: fc.constantFrom('a', 'b', 'c'), value: fc.integer() }),
  fc.record({ kind: fc.constant('array' as const), peer: fc.nat(), value: fc.integer(), del: fc.boolean() }),
  fc.record({ kind: fc.constant('awareness' as const), peer: fc.nat(), value: fc.integer() }),
  fc.record({ kind: fc.constant('deliver' as const), steps: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('partition' as const), cut: fc.nat() }),
  fc.record({ kind: fc.constant('heal' as const) }),
  fc.record({ kind: fc.constant('tick' as const) }),
  fc.record({ kind: fc.constant('join' as const), to: fc.nat() }),
  fc.record({ kind: fc.constant('link' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('unlink' as const), a: fc.nat(), b: fc.nat() }),
);

/** Whether peers 0..n-1 stay connected without edge `drop`. */
function connectedWithout(n: number, edges: Set<string>, drop: string): boolean {
  const adj = new Map<number, number[]>();
  for (const e of edges) {
    if (e === drop) continue;
    const [x, y] = e.split('-').map(Number) as [number, number];
    adj.set(x, [...(adj.get(x) ?? []), y]);
    adj.set(y, [...(adj.get(y) ?? []), x]);
  }
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) for (const m of adj.get(stack.pop()!) ?? []) if (!seen.has(m)) { seen.add(m); stack.push(m); }
  return seen.size === n;
}

function applyEdit(p: SimPeer, op: Op): void {
  if (op.kind === 'text') {
    const t = p.doc.getText('text');
    const pos = op.pos % (t.length + 1);
    if (op.del > 0 && t.length > pos) t.delete(pos, Math.min(op.del, t.length - pos));
    t.insert(pos, op.value);
  } else if (op.kind === 'map') {
    p.doc.getMap('map').set(op.key, op.value);
  } else if (op.kind === 'array') {
    const a = p.doc.getArray<number>('array');
    if (op.del && a.length > 0) a.delete(0, 1);
    else a.push([op.value]);
  } else if (op.kind === 'awareness') {
    p.engine.awareness.setLocalState({ peer: p.id, value: op.value });
  }
}

function expectConverged(peers: SimPeer[]): void {
  const fp = docFingerprint(peers[0]!.doc);
  for (const p of peers) expect(docFingerprint(p.doc)).toBe(fp);
  for (const p of peers) {
    for (const q of peers) {
      if (p === q) continue;
      expect(p.engine.awareness.getStates().get(q.engine.awareness.clientID)).toEqual(q.engine.awareness.getLocalState());
    }
    expect(p.engine.reachablePeers()).toEqual(peers.filter((q) => q !== p).map((q) => q.id));
    expect(p.drops).toEqual([]);
  }
}

describe('convergence over random topologies, edits, delivery orders and partitions', () => {
  it('every doc and awareness converges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }),
        fc.constantFrom<Shape>('mesh', 'star', 'line', 'random'),
        fc.integer(),
        fc.array(opArb, { maxLength: 60 }),
        fc.nat({ max: 4 }),
        (n, shape, seed, ops, lateWanted) => {
          // Late joiners start alone (editing offline) and join the group at a random point.
          const late = Math.min(lateWanted, n - 2);
          let joined = n - late;
          const c = makeCluster(n, { seed });
          try {
            let r = seed >>> 0;
            const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 4294967296);
            const edges = new Set<string>();
            for (const p of c.peers) p.engine.awareness.setLocalState({ peer: p.id, value: 0 });
            const join = (to: number) => {
              const a = joined++;
              const b = (to >>> 0) % a;
              edges.add(`${b}-${a}`);
              c.connect(peerId(a), peerId(b));
            };
            for (const [x, y] of shapeEdges(shape, joined, rand)) {
              c.connect(peerId(x), peerId(y));
              edges.add(`${Math.min(x, y)}-${Math.max(x, y)}`);
            }
            for (const op of ops) {
              switch (op.kind) {
                case 'deliver': for (let i = 0; i < op.steps; i++) c.net.deliverOne(); break;
                case 'partition': {
                  const cut = 1 + (op.cut % (n - 1));
                  c.net.partition(c.peers.slice(0, cut).map((p) => p.id), c.peers.slice(cut).map((p) => p.id));
                  break;
                }
                case 'heal': c.net.heal(); break;
                case 'tick': vi.advanceTimersByTime(TICK_MS); break;
                case 'join': if (joined < n) join(op.to); break;
                case 'link': case 'unlink': {
                  const a = op.a % joined; const b = op.b % joined;
                  if (a === b) break;
                  const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
                  if (op.kind === 'link' && !edges.has(key)) { edges.add(key); c.connect(peerId(a), peerId(b)); }
                  if (op.kind === 'unlink' && edges.has(key) && connectedWithout(joined, edges, key)) { edges.delete(key); c.disconnect(peerId(a), peerId(b)); }
                  break;
                }
                default: applyEdit(c.peers[op.peer % n]!, op);
              }
            }
            while (joined < n) join(seed);
            c.net.heal();
            settle(c);
            expectConverged(c.peers);
            for (const p of c.peers) expect(p.engine.synced).toBe(true);
          } finally {
            c.destroy();
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});
