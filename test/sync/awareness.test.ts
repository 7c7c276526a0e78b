import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { SyncEngine } from '../../src/sync/syncEngine.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import { MESSAGE_ROUTED, MESSAGE_SIGNED_CONTROL } from '../../src/protocol/messageTypes.js';
import { makeCluster, settle, type Cluster } from './cluster.js';

beforeEach(() => { vi.useFakeTimers(); });
let cluster: Cluster | null = null;
afterEach(() => { cluster?.destroy(); cluster = null; vi.useRealTimers(); });

function star(n: number): Cluster {
  const c = makeCluster(n);
  cluster = c;
  for (const p of c.peers) p.engine.awareness.setLocalState({ name: p.id });
  for (let i = 1; i < n; i++) c.connect('p00', c.peers[i]!.id);
  settle(c);
  return c;
}

describe('awareness', () => {
  it('spreads every state through the hub, and a vanished peer is removed everywhere', () => {
    const c = star(4);
    const gone = c.peers[3]!;
    for (const p of c.peers) expect(p.engine.awareness.getStates().size).toBe(4);
    const events: string[][] = [];
    c.peers[1]!.engine.on('reachable', (peers) => events.push(peers));
    c.disconnect('p00', gone.id);
    settle(c);
    for (const p of c.peers.slice(0, 3)) {
      expect(p.engine.awareness.getStates().has(gone.engine.awareness.clientID)).toBe(false);
      expect(p.engine.awareness.getStates().size).toBe(3);
      expect(p.engine.reachablePeers()).not.toContain(gone.id);
    }
    expect(events.at(-1)).toEqual(['p00', 'p02']);
    // It comes back: its state reappears (the clock did not change, so this needs the removal to forget it).
    c.connect('p00', gone.id);
    settle(c);
    for (const p of c.peers) expect(p.engine.awareness.getStates().get(gone.engine.awareness.clientID)).toEqual({ name: gone.id });
  });

  it('is routed like updates: one local change costs N−1 messages', () => {
    const c = star(6);
    c.net.resetStats();
    c.peers[2]!.engine.awareness.setLocalStateField('cursor', 5);
    settle(c);
    expect(c.net.stats.messages).toBe(5);
    expect(c.net.stats.byType.get(MESSAGE_ROUTED)).toBe(5);
    for (const p of c.peers) expect(p.engine.awareness.getStates().get(c.peers[2]!.engine.awareness.clientID)).toEqual({ name: 'p02', cursor: 5 });
  });

  it('coalesces bursts of local changes to at most one send per throttle interval', () => {
    const net = new MemoryNetwork();
    const a = new SyncEngine({ peerId: 'a', doc: new Y.Doc(), awarenessThrottleMs: 50 });
    const b = new SyncEngine({ peerId: 'b', doc: new Y.Doc(), awarenessThrottleMs: 50 });
    const [la, lb] = net.connect('a', 'b');
    a.addLink(la); b.addLink(lb);
    for (let i = 0; i < 20; i++) { net.deliverAll(); vi.advanceTimersByTime(100); }
    expect(net.pending()).toBe(0);
    net.resetStats();
    for (let i = 0; i < 100; i++) { a.awareness.setLocalStateField('x', i); vi.advanceTimersByTime(1); }
    vi.advanceTimersByTime(100);
    net.deliverAll();
    const sends = net.stats.byType.get(MESSAGE_ROUTED) ?? 0;
    expect(net.stats.messages).toBe(sends);
    // 100 changes over ~100 ms with a 50 ms throttle: a handful of sends, and the last value arrives.
    expect(sends).toBeGreaterThanOrEqual(2);
    expect(sends).toBeLessThanOrEqual(4);
    expect(b.awareness.getStates().get(a.awareness.clientID)).toMatchObject({ x: 99 });
    a.destroy(); b.destroy();
  });
});

describe('synced event', () => {
  it('is false until every link has finished step 1 / step 2, and true after', () => {
    const c = makeCluster(3);
    cluster = c;
    const seen: boolean[] = [];
    c.peers[0]!.engine.on('synced', (s) => seen.push(s));
    expect(c.peers[0]!.engine.synced).toBe(false);
    c.connect('p00', 'p01');
    c.net.deliverAll();
    expect(c.peers[0]!.engine.synced).toBe(true);
    c.connect('p00', 'p02');
    expect(c.peers[0]!.engine.synced).toBe(false);
    settle(c);
    expect(c.peers[0]!.engine.synced).toBe(true);
    expect(seen).toEqual([true, false, true]);
    c.disconnect('p00', 'p01');
    c.disconnect('p00', 'p02');
    expect(c.peers[0]!.engine.synced).toBe(false);
    expect(seen.at(-1)).toBe(false);
  });
});

describe('application channels', () => {
  it('are routed once to every peer and the handler can stop forwarding', () => {
    const c = star(5);
    const got = new Map<string, Array<{ origin: string; from: string; text: string }>>();
    let hubVerdict: 'forward' | 'drop' = 'forward';
    for (const p of c.peers) {
      got.set(p.id, []);
      p.engine.registerChannel(MESSAGE_SIGNED_CONTROL, (payload, meta) => {
        got.get(p.id)!.push({ ...meta, text: new TextDecoder().decode(payload) });
        return p.id === 'p00' ? hubVerdict : 'forward';
      });
    }
    c.net.resetStats();
    c.peers[1]!.engine.broadcast(MESSAGE_SIGNED_CONTROL, new TextEncoder().encode('lock'));
    settle(c);
    expect(c.net.stats.messages).toBe(4);
    expect(got.get('p01')).toEqual([]);
    for (const id of ['p00', 'p02', 'p03', 'p04']) expect(got.get(id)).toEqual([{ origin: 'p01', from: id === 'p00' ? 'p01' : 'p00', text: 'lock' }]);
    hubVerdict = 'drop';
    c.peers[1]!.engine.broadcast(MESSAGE_SIGNED_CONTROL, new TextEncoder().encode('again'));
    settle(c);
    expect(got.get('p00')!.length).toBe(2);
    expect(got.get('p02')!.length).toBe(1);
    expect(() => c.peers[0]!.engine.registerChannel(0, () => 'drop')).toThrow();
  });
});
