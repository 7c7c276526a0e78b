import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { encodeRouted, encodeTopology } from '../../src/protocol/syncMessages.js';
import { MESSAGE_AWARENESS, MESSAGE_SYNC, MESSAGE_TOPOLOGY } from '../../src/protocol/messageTypes.js';
import type { Link } from '../../src/sync/link.js';
import { makeCluster, docFingerprint, settle, type Cluster } from './cluster.js';

beforeEach(() => { vi.useFakeTimers(); });
let cluster: Cluster | null = null;
afterEach(() => { cluster?.destroy(); cluster = null; vi.useRealTimers(); });

function syncUpdateInner(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SYNC);
  syncProtocol.writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

function validUpdate(text: string): Uint8Array {
  const d = new Y.Doc();
  d.getMap('map').set('evil', text);
  return Y.encodeStateAsUpdate(d);
}

/** Two honest peers p00–p01 with some content, plus a raw link 'evil' → p00 that the test writes bytes into. */
function setup(): { c: Cluster; evil: Link } {
  const c = makeCluster(2);
  cluster = c;
  c.connect('p00', 'p01');
  c.peers[0]!.doc.getText('text').insert(0, 'intact');
  const [evil, atP00] = c.net.connect('evil', 'p00');
  c.peers[0]!.engine.addLink(atP00);
  settle(c);
  return { c, evil };
}

const hostileMessages: Array<[string, () => Uint8Array]> = [
  ['empty message', () => new Uint8Array(0)],
  ['unknown message type', () => Uint8Array.of(99, 1, 2, 3)],
  ['unterminated varUint type', () => Uint8Array.of(0xff, 0xff)],
  ['truncated routed envelope', () => encodeRouted({ origin: 'evil', seq: 1, inner: syncUpdateInner(validUpdate('x')) }).slice(0, 12)],
  ['routed envelope with trailing bytes', () => Uint8Array.from([...encodeRouted({ origin: 'evil', seq: 2, inner: syncUpdateInner(validUpdate('x')) }), 7])],
  ['routed envelope with a garbage update', () => encodeRouted({ origin: 'evil', seq: 3, inner: syncUpdateInner(Uint8Array.of(5, 200, 3, 9, 9, 9, 1)) })],
  ['routed envelope with an unknown inner type', () => encodeRouted({ origin: 'evil', seq: 4, inner: Uint8Array.of(77, 1) })],
  ['routed awareness whose state is not JSON', () => {
    const u = encoding.createEncoder();
    encoding.writeVarUint(u, 1); encoding.writeVarUint(u, 12345); encoding.writeVarUint(u, 5); encoding.writeVarString(u, '{not json');
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MESSAGE_AWARENESS); encoding.writeVarUint8Array(e, encoding.toUint8Array(u));
    return encodeRouted({ origin: 'evil', seq: 5, inner: encoding.toUint8Array(e) });
  }],
  ['topology with a huge neighbour count', () => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MESSAGE_TOPOLOGY); encoding.writeVarString(e, 'evil'); encoding.writeVarUint(e, 1); encoding.writeVarUint(e, 1e9);
    return encoding.toUint8Array(e);
  }],
  ['topology with a number where a string belongs', () => Uint8Array.of(MESSAGE_TOPOLOGY, 0xff, 0xff, 0xff, 0xff, 0x0f)],
  ['sync step 2 with garbage', () => Uint8Array.of(MESSAGE_SYNC, 1, 4, 250, 250, 250, 250)],
  ['sync step 1 with a garbage state vector', () => Uint8Array.of(MESSAGE_SYNC, 0, 3, 0xff, 0xff, 0xff)],
  ['unknown sync sub-type', () => Uint8Array.of(MESSAGE_SYNC, 9, 0)],
];

describe('hostile input from a peer', () => {
  for (const [name, make] of hostileMessages) {
    it(`${name}: dropped with a reason, doc intact, sync continues`, () => {
      const { c, evil } = setup();
      const [p0, p1] = [c.peers[0]!, c.peers[1]!];
      const before = docFingerprint(p0.doc);
      expect(() => evil.send(make())).not.toThrow();
      expect(() => settle(c)).not.toThrow();
      expect(p0.drops.length).toBeGreaterThan(0);
      expect(p0.drops.every((d) => d.from === 'evil' && d.reason.length > 0)).toBe(true);
      expect(docFingerprint(p0.doc)).toBe(before);
      expect(docFingerprint(p1.doc)).toBe(before);
      // Honest peers keep syncing, and the offending link still works for valid input.
      p1.doc.getText('text').insert(0, 'after ');
      evil.send(encodeRouted({ origin: 'evil', seq: 1000, inner: syncUpdateInner(validUpdate('E')) }));
      settle(c);
      expect(p0.doc.getText('text').toString()).toContain('after intact');
      expect(p0.doc.getMap('map').get('evil')).toBe('E');
      expect(docFingerprint(p1.doc)).toBe(docFingerprint(p0.doc));
      expect(p1.drops).toEqual([]);
    });
  }

  it('random bytes never throw out of the handler nor change the doc', () => {
    const { c, evil } = setup();
    const before = docFingerprint(c.peers[0]!.doc);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        evil.send(bytes);
        settle(c);
        expect(docFingerprint(c.peers[1]!.doc)).toBe(docFingerprint(c.peers[0]!.doc));
      }),
      { numRuns: 300, seed: 1 },
    );
    // Random bytes essentially never form a valid Yjs update; the content we wrote is still there.
    expect(c.peers[0]!.doc.getText('text').toString()).toBe('intact');
    expect(docFingerprint(c.peers[0]!.doc)).toBe(before);
    expect(c.peers[0]!.drops.length).toBeGreaterThan(250);
  });

  it('a forged topology entry for the receiver itself does not break its own entry', () => {
    const { c, evil } = setup();
    evil.send(encodeTopology({ origin: 'p00', version: 50, neighbours: [] }));
    settle(c);
    c.peers[0]!.doc.getText('text').insert(0, '>');
    settle(c);
    expect(c.peers[1]!.doc.getText('text').toString()).toBe('>intact');
    expect(c.peers[1]!.engine.reachablePeers()).toContain('p00');
  });
});
