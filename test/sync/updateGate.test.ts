import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { UpdateGate, UpdateRejection, UpdateSource, Verdict } from '../../src/sync/docSync.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import { SyncEngine } from '../../src/sync/syncEngine.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

interface Node { id: string; doc: Y.Doc; engine: SyncEngine; rejected: UpdateRejection[]; seen: UpdateSource[] }

/** A line a – b – c; `gates` per peer id. */
function line(gates: Record<string, UpdateGate> = {}): { net: MemoryNetwork; nodes: Record<string, Node>; settle: () => void } {
  const net = new MemoryNetwork({ seed: 3 });
  const nodes: Record<string, Node> = {};
  for (const id of ['a', 'b', 'c']) {
    const doc = new Y.Doc();
    const seen: UpdateSource[] = [];
    const gate = gates[id];
    const engine = new SyncEngine({ peerId: id, doc, awarenessThrottleMs: 0, ...(gate ? { updateGate: (u: Uint8Array, s: UpdateSource) => { seen.push(s); return gate(u, s); } } : {}) });
    const rejected: UpdateRejection[] = [];
    engine.on('rejected', (r) => rejected.push(r));
    nodes[id] = { id, doc, engine, rejected, seen };
  }
  for (const [x, y] of [['a', 'b'], ['b', 'c']] as const) {
    const [lx, ly] = net.connect(x, y);
    nodes[x]!.engine.addLink(lx);
    nodes[y]!.engine.addLink(ly);
  }
  const settle = (): void => {
    for (let i = 0; i < 1000; i++) {
      const n = net.deliverAll();
      vi.advanceTimersByTime(25);
      if (n === 0 && net.pending() === 0) return;
    }
    throw new Error('did not settle');
  };
  settle();
  return { net, nodes, settle };
}

const text = (n: Node): string => n.doc.getText('t').toString();

describe('DocSync update gate', () => {
  it('a refused routed update is neither applied nor forwarded, and is reported once per author and code', () => {
    const refuseA: UpdateGate = (_u, s) => (s.author === 'a' ? { ok: false, code: 'nope', reason: 'a may not write' } : { ok: true });
    const { nodes, settle } = line({ b: refuseA, c: refuseA });
    nodes.a!.doc.getText('t').insert(0, 'x');
    nodes.a!.doc.getText('t').insert(1, 'y');
    settle();
    expect(text(nodes.b!)).toBe('');
    expect(text(nodes.c!)).toBe('');
    expect(nodes.c!.seen.filter((s) => s.author === 'a')).toEqual([]); // never forwarded by b
    expect(nodes.b!.rejected).toHaveLength(1); // once per author and code (the step 2 from a is refused too)
    expect(nodes.b!.rejected[0]).toMatchObject({ author: 'a', from: 'a', code: 'nope', reason: 'a may not write' });
    // The anti-entropy step 2 from a is refused too (attributed to the neighbour a).
    expect(nodes.b!.seen.some((s) => s.author === 'a' && s.via === 'anti-entropy')).toBe(true);
    // b's own edits still flow.
    nodes.b!.doc.getText('t').insert(0, 'b');
    settle();
    expect(text(nodes.c!)).toBe('b');
    expect([...text(nodes.a!)].sort().join('')).toBe('bxy');
  });

  it('a routed update is attributed to its origin, anti-entropy to the neighbour', () => {
    const { nodes, settle } = line({ c: () => ({ ok: true }) });
    nodes.a!.doc.getText('t').insert(0, 'hi');
    settle();
    expect(text(nodes.c!)).toBe('hi');
    expect(nodes.c!.seen).toContainEqual({ author: 'a', via: 'routed' });
    expect(nodes.c!.seen.every((s) => s.via === 'routed' ? s.author === 'a' : s.author === 'b')).toBe(true);
  });

  it('an asynchronous gate keeps the order per link; accepted updates still reach peers beyond (by anti-entropy)', async () => {
    let delay = 50;
    const slow: UpdateGate = async () => {
      const ms = (delay = Math.max(1, delay - 15));
      await new Promise((r) => setTimeout(r, ms));
      return { ok: true };
    };
    const { nodes, net } = line({ b: slow });
    const order: string[] = [];
    nodes.b!.doc.getArray<string>('arr').observe((e) => { for (const d of e.changes.delta) if (d.insert) order.push(...(d.insert as string[])); });
    for (const v of ['1', '2', '3', '4']) nodes.a!.doc.getArray<string>('arr').push([v]);
    for (let i = 0; i < 200; i++) {
      net.deliverAll();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(order).toEqual(['1', '2', '3', '4']);
    expect(nodes.c!.doc.getArray('arr').toArray()).toEqual(['1', '2', '3', '4']);
  });

  it('a pending verdict holds the update (not reported) and asks again after later updates', () => {
    const holdX = { value: true };
    const gate: UpdateGate = (u) => {
      const probe = new Y.Doc();
      Y.applyUpdate(probe, u);
      const held = holdX.value && probe.getText('t').toString().includes('x');
      return held ? { ok: false, code: 'missing-dependency', reason: 'wait', pending: true } : { ok: true };
    };
    const { nodes, settle } = line({ b: gate });
    nodes.a!.doc.getText('t').insert(0, 'x');
    settle();
    expect(text(nodes.b!)).toBe('');
    expect(nodes.b!.rejected).toEqual([]);
    holdX.value = false;
    nodes.a!.doc.getMap('m').set('k', 1); // an accepted update makes b ask again about what it holds
    settle();
    expect(text(nodes.b!)).toBe('x');
    expect(text(nodes.c!)).toBe('x');
  });

  it('a gate that throws refuses the update (code gate-error)', () => {
    const { nodes, settle } = line({ b: () => { throw new Error('boom'); } });
    nodes.a!.doc.getText('t').insert(0, 'x');
    settle();
    expect(text(nodes.b!)).toBe('');
    expect(nodes.b!.rejected[0]?.code).toBe('gate-error');
  });
});
