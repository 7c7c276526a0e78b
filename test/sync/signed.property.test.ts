import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { createPeerIdentity, type PeerIdentity } from '../../src/identity/index.js';
import { MESSAGE_SIGNED_ROUTED, MESSAGE_SYNC } from '../../src/protocol/messageTypes.js';
import { decodeSignedRouted, encodeSignedRouted, routedSigningBytes } from '../../src/protocol/signedMessages.js';
import { encodeRouted, encodeTopology, readMessageType } from '../../src/protocol/syncMessages.js';
import type { Link } from '../../src/sync/link.js';
import { SyncEngine } from '../../src/sync/syncEngine.js';
import { authOf, FAKED_TIMERS, makeSignedCluster, settleSigned, type SignedCluster } from './signedCluster.js';

beforeEach(() => { vi.useFakeTimers(FAKED_TIMERS); });
afterEach(() => { vi.useRealTimers(); });

type Action = { kind: 'edit'; peer: number; text: string } | { kind: 'attack'; attack: number; victim: number; seq: number };

const N = 4;
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), peer: fc.nat(N - 1), text: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('attack' as const), attack: fc.nat(5), victim: fc.nat(N - 1), seq: fc.nat(1e6) }),
);

function updateInner(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SYNC);
  syncProtocol.writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

function hostileUpdate(seq: number): Uint8Array {
  const d = new Y.Doc();
  d.clientID = 777;
  d.getText('text').insert(0, `EVIL${seq}`);
  d.getMap('map').set('evil', seq);
  return Y.encodeStateAsUpdate(d);
}

/** One forged / tampered / unsigned message, sent on the attacker's authenticated link. */
async function attack(kind: number, evil: Link, attacker: PeerIdentity, victim: PeerIdentity, seq: number, captured: Uint8Array[]): Promise<void> {
  const envelope = { origin: victim.peerId, seq: 8e15 + seq, inner: updateInner(hostileUpdate(seq)) };
  if (kind === 0) evil.send(encodeSignedRouted({ ...envelope, publicKey: attacker.publicKey, signature: await attacker.sign(routedSigningBytes('class-1', envelope)) }));
  if (kind === 1) evil.send(encodeSignedRouted({ ...envelope, publicKey: victim.publicKey, signature: await attacker.sign(routedSigningBytes('class-1', envelope)) }));
  if (kind === 2) {
    const own = { ...envelope, origin: attacker.peerId };
    evil.send(encodeSignedRouted({ ...own, publicKey: attacker.publicKey, signature: await attacker.sign(routedSigningBytes('class-2', own)) }));
  }
  if (kind === 3) evil.send(encodeRouted(envelope));
  if (kind === 4) evil.send(encodeTopology({ origin: victim.peerId, version: 8e15 + seq, neighbours: [attacker.peerId] }));
  if (kind === 5 && captured.length > 0) {
    // A real envelope replayed with a new seq and another payload: the signature no longer covers it.
    const real = decodeSignedRouted(captured[seq % captured.length]!);
    if (real.ok) evil.send(encodeSignedRouted({ ...real.value, seq: real.value.seq + 1, inner: envelope.inner }));
  }
}

async function runScript(actions: Action[], withAttacker: boolean): Promise<{ states: Uint8Array[]; refused: number }> {
  const c: SignedCluster = await makeSignedCluster(N);
  const attacker = await createPeerIdentity();
  const attackerEngine = new SyncEngine({ peerId: attacker.peerId, doc: new Y.Doc(), auth: authOf(attacker, 'class-1'), awarenessThrottleMs: 0 });
  try {
    for (let i = 1; i < N; i++) c.connect(i - 1, i);
    c.connect(0, N - 1);
    const all = { net: c.net, peers: [...c.peers, { engine: attackerEngine }] };
    const captured: Uint8Array[] = [];
    let evil: Link | null = null;
    if (withAttacker) {
      const [mine, atVictim] = c.net.connect(attacker.peerId, c.peers[1]!.id);
      mine.onMessage((m) => { if (readMessageType(m) === MESSAGE_SIGNED_ROUTED) captured.push(m); });
      attackerEngine.addLink(mine);
      c.peers[1]!.engine.addLink(atVictim);
      evil = mine;
    }
    await settleSigned(all);
    for (const a of actions) {
      if (a.kind === 'edit') c.peers[a.peer]!.doc.getText('text').insert(0, a.text);
      else if (evil) await attack(a.attack, evil, attacker, c.peers[a.victim]!.identity, a.seq, captured);
      await settleSigned(all);
    }
    return { states: c.peers.map((p) => Y.encodeStateAsUpdate(p.doc)), refused: c.peers[1]!.failures.length };
  } finally {
    attackerEngine.destroy();
    c.destroy();
  }
}

describe('signed mode, property: hostile messages never change honest state', () => {
  it('random honest edits interleaved with forged, tampered, replayed and unsigned messages', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
      const honest = await runScript(actions, false);
      const attacked = await runScript(actions, true);
      expect(attacked.states).toEqual(honest.states);
      if (actions.some((a) => a.kind === 'attack' && a.attack !== 5)) expect(attacked.refused).toBeGreaterThan(0);
    }), { numRuns: 12, seed: 11 });
  });
});
