import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import type { Link } from '../../src/sync/link.js';
import { MESSAGE_ROUTED } from '../../src/protocol/messageTypes.js';
import { makeCluster, shapeEdges, peerId, docFingerprint, settle, type Shape } from './cluster.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

/** Messages one edit costs once the topology has settled. */
function routedPerEdit(shape: Shape, n: number, editor: number, seed: number): { total: number; routed: number; converged: boolean } {
  let r = seed >>> 0;
  const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 4294967296);
  const c = makeCluster(n, { seed });
  try {
    for (const [x, y] of shapeEdges(shape, n, rand)) c.connect(peerId(x), peerId(y));
    settle(c);
    c.net.resetStats();
    c.peers[editor % n]!.doc.getText('text').insert(0, 'hello');
    settle(c);
    const fp = docFingerprint(c.peers[0]!.doc);
    return {
      total: c.net.stats.messages,
      routed: c.net.stats.byType.get(MESSAGE_ROUTED) ?? 0,
      converged: c.peers.every((p) => docFingerprint(p.doc) === fp && p.doc.getText('text').toString() === 'hello'),
    };
  } finally {
    c.destroy();
  }
}

/** y-webrtc-style flood: every peer re-sends every new update to every neighbour but the sender. */
function naiveFloodPerEdit(shape: Shape, n: number): number {
  const net = new MemoryNetwork({ seed: 3 });
  const docs = Array.from({ length: n }, () => new Y.Doc());
  const links: Link[][] = docs.map(() => []);
  for (const [x, y] of shapeEdges(shape, n)) {
    const [lx, ly] = net.connect(peerId(x), peerId(y));
    links[x]!.push(lx);
    links[y]!.push(ly);
  }
  docs.forEach((doc, i) => {
    for (const l of links[i]!) {
      l.onMessage((m) => {
        const before = Y.encodeStateVector(doc).toString();
        Y.applyUpdate(doc, m, l.remoteId);
        if (Y.encodeStateVector(doc).toString() !== before) for (const o of links[i]!) if (o !== l) o.send(m);
      });
    }
    doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (typeof origin !== 'string') for (const o of links[i]!) o.send(u);
    });
  });
  docs[0]!.getText('text').insert(0, 'hello');
  net.deliverAll();
  expect(docs.every((d) => d.getText('text').toString() === 'hello')).toBe(true);
  return net.stats.messages;
}

describe('messages per edit once the topology has settled', () => {
  for (const shape of ['mesh', 'star', 'line'] as const) {
    it(`${shape}: one edit costs exactly N−1 routed messages and nothing else`, () => {
      for (const n of [3, 5, 8, 10]) {
        for (const editor of [0, 1, n - 1]) {
          const { total, routed, converged } = routedPerEdit(shape, n, editor, 7);
          expect(converged).toBe(true);
          expect(routed).toBe(n - 1);
          expect(total).toBe(n - 1);
        }
      }
    });
  }

  it('random connected graphs: N−1 per edit from any peer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), fc.nat(), fc.integer(), (n, editor, seed) => {
        const { total, converged } = routedPerEdit('random', n, editor, seed);
        expect(converged).toBe(true);
        expect(total).toBe(n - 1);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('a naive flood exceeds N−1 in a mesh (the bound above is not vacuous)', () => {
    const n = 6;
    const flood = naiveFloodPerEdit('mesh', n);
    expect(flood).toBeGreaterThan(n - 1);
    expect(flood).toBe((n - 1) * (n - 1));
  });
});
