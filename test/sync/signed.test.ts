import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { createPeerIdentity, type PeerIdentity } from '../../src/identity/index.js';
import { encodeAwarenessMessage } from '../../src/protocol/awarenessMessages.js';
import { MESSAGE_LINK_HELLO, MESSAGE_ROUTED, MESSAGE_SIGNED_ROUTED, MESSAGE_SYNC } from '../../src/protocol/messageTypes.js';
import {
  decodeLinkHello, decodeSignedRouted, encodeLinkHello, encodeSignedRouted, helloSigningBytes, routedSigningBytes,
} from '../../src/protocol/signedMessages.js';
import { encodeRouted, encodeTopology, readMessageType } from '../../src/protocol/syncMessages.js';
import type { Link } from '../../src/sync/link.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import { SyncEngine } from '../../src/sync/syncEngine.js';
import { authOf, FAKED_TIMERS, makeSignedCluster, settleSigned, type SignedCluster } from './signedCluster.js';

beforeEach(() => { vi.useFakeTimers(FAKED_TIMERS); });
let cluster: SignedCluster | null = null;
afterEach(() => { cluster?.destroy(); cluster = null; vi.useRealTimers(); });

function updateInner(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SYNC);
  syncProtocol.writeUpdate(e, update);
  return encoding.toUint8Array(e);
}

function wipeUpdate(text: string): Uint8Array {
  const d = new Y.Doc();
  d.clientID = 666;
  d.getMap('map').set('evil', text);
  return Y.encodeStateAsUpdate(d);
}

/** The edits every honest run makes, so runs with and without an attacker can be compared byte for byte. */
function honestEdits(c: SignedCluster, round: number): void {
  c.peers[round % c.peers.length]!.doc.getText('text').insert(0, `r${round} `);
  c.peers[(round + 1) % c.peers.length]!.doc.getMap('map').set(`k${round}`, round);
}

async function honestState(n: number, rounds: number): Promise<Uint8Array[]> {
  const c = await makeSignedCluster(n);
  try {
    for (let i = 1; i < n; i++) c.connect(0, i);
    await settleSigned(c);
    for (let r = 0; r < rounds; r++) { honestEdits(c, r); await settleSigned(c); }
    return c.peers.map((p) => Y.encodeStateAsUpdate(p.doc));
  } finally {
    c.destroy();
  }
}

describe('signed mode on the in-memory network', () => {
  for (const shape of ['mesh', 'star', 'line'] as const) {
    it(`${shape}: converges, and one edit costs N−1 signed routed messages`, async () => {
      const n = 5;
      const c = cluster = await makeSignedCluster(n);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        if (shape === 'mesh' || (shape === 'star' && i === 0) || (shape === 'line' && j === i + 1)) c.connect(i, j);
      }
      await settleSigned(c);
      c.net.resetStats();
      c.peers[2]!.doc.getText('text').insert(0, 'hello');
      await settleSigned(c);
      expect(c.net.stats.byType.get(MESSAGE_SIGNED_ROUTED)).toBe(n - 1);
      expect(c.net.stats.byType.get(MESSAGE_ROUTED) ?? 0).toBe(0);
      for (const p of c.peers) expect(p.doc.getText('text').toString()).toBe('hello');
      c.peers[4]!.engine.awareness.setLocalState({ name: 'five' });
      await settleSigned(c);
      for (const p of c.peers) expect(p.engine.awareness.getStates().get(c.peers[4]!.engine.awareness.clientID)).toEqual({ name: 'five' });
      for (const p of c.peers) expect(p.drops).toEqual([]);
    });
  }

  it('a late joiner gets the others’ awareness from re-sent signed envelopes', async () => {
    const c = cluster = await makeSignedCluster(3);
    c.connect(0, 1);
    c.peers[0]!.engine.awareness.setLocalState({ name: 'zero' });
    c.peers[1]!.engine.awareness.setLocalState({ name: 'one' });
    await settleSigned(c);
    c.connect(1, 2);
    await settleSigned(c);
    const states = c.peers[2]!.engine.awareness.getStates();
    expect(states.get(c.peers[0]!.engine.awareness.clientID)).toEqual({ name: 'zero' });
    expect(states.get(c.peers[1]!.engine.awareness.clientID)).toEqual({ name: 'one' });
    for (const p of c.peers) expect(p.drops).toEqual([]);
  });
});

interface Attack {
  name: string;
  code: string;
  /** Sends hostile bytes on the attacker's authenticated link to peer 0. */
  run(ctx: { evil: Link; attacker: PeerIdentity; victim: PeerIdentity; captured: Uint8Array[] }): Promise<void>;
}

const attacks: Attack[] = [
  {
    name: 'a forged origin (the attacker signs for a victim id with its own key)',
    code: 'key-mismatch',
    async run({ evil, attacker, victim }) {
      const envelope = { origin: victim.peerId, seq: 9e15, inner: updateInner(wipeUpdate('forged')) };
      const signature = await attacker.sign(routedSigningBytes('class-1', envelope));
      evil.send(encodeSignedRouted({ ...envelope, publicKey: attacker.publicKey, signature }));
    },
  },
  {
    name: 'a forged origin carrying the victim’s real key',
    code: 'bad-signature',
    async run({ evil, attacker, victim }) {
      const envelope = { origin: victim.peerId, seq: 9e15, inner: updateInner(wipeUpdate('forged')) };
      const signature = await attacker.sign(routedSigningBytes('class-1', envelope));
      evil.send(encodeSignedRouted({ ...envelope, publicKey: victim.publicKey, signature }));
    },
  },
  {
    name: 'a tampered payload in a captured honest envelope',
    code: 'bad-signature',
    async run({ evil, captured }) {
      const real = decodeSignedRouted(captured.at(-1)!);
      if (!real.ok) throw new Error('no captured envelope');
      evil.send(encodeSignedRouted({ ...real.value, seq: real.value.seq + 1000, inner: updateInner(wipeUpdate('tampered')) }));
    },
  },
  {
    name: 'an envelope signed in another class (context)',
    code: 'bad-signature',
    async run({ evil, attacker }) {
      const envelope = { origin: attacker.peerId, seq: 9e15, inner: updateInner(wipeUpdate('other class')) };
      const signature = await attacker.sign(routedSigningBytes('class-2', envelope));
      evil.send(encodeSignedRouted({ ...envelope, publicKey: attacker.publicKey, signature }));
    },
  },
  {
    name: 'unsigned routed and topology messages',
    code: 'unsigned',
    async run({ evil, attacker, victim }) {
      evil.send(encodeRouted({ origin: victim.peerId, seq: 9e15, inner: updateInner(wipeUpdate('unsigned')) }));
      evil.send(encodeTopology({ origin: victim.peerId, version: 9e15, neighbours: [attacker.peerId] }));
    },
  },
];

describe('attacks in signed mode: dropped with a typed reason, honest docs byte-identical to a run without the attacker', () => {
  const rounds = 3;
  let expected: Uint8Array[] | null = null;
  const honest = async (): Promise<Uint8Array[]> => (expected ??= await honestState(3, rounds));

  for (const attack of attacks) {
    it(attack.name, async () => {
      const want = await honest();
      const c = cluster = await makeSignedCluster(3);
      for (let i = 1; i < 3; i++) c.connect(0, i);
      // The attacker is a signed member with its own key (it passes the hello as itself), writing raw bytes too.
      const attacker = await createPeerIdentity();
      const attackerEngine = new SyncEngine({ peerId: attacker.peerId, doc: new Y.Doc(), auth: authOf(attacker, 'class-1'), awarenessThrottleMs: 0 });
      const [evil, atVictim] = c.net.connect(attacker.peerId, c.peers[0]!.id);
      const captured: Uint8Array[] = [];
      evil.onMessage((m) => { if (readMessageType(m) === MESSAGE_SIGNED_ROUTED) captured.push(m); });
      attackerEngine.addLink(evil);
      c.peers[0]!.engine.addLink(atVictim);
      const all = { net: c.net, peers: [...c.peers, { engine: attackerEngine }] };
      await settleSigned(all);
      for (let r = 0; r < rounds; r++) {
        honestEdits(c, r);
        await settleSigned(all);
        await attack.run({ evil, attacker, victim: c.peers[1]!.identity, captured });
        await settleSigned(all);
      }
      const failures = c.peers[0]!.failures;
      expect(failures.map((f) => [f.peer, f.reason])).toEqual([[attacker.peerId, attack.code]]);
      expect(c.peers[0]!.drops.filter((d) => d.code === attack.code)).toHaveLength(1);
      expect(c.peers.map((p) => Y.encodeStateAsUpdate(p.doc))).toEqual(want);
      for (const p of c.peers.slice(1)) expect(p.drops).toEqual([]);
      attackerEngine.destroy();
    });
  }
});

describe('link hello', () => {
  /** Connects a fake "peer 1" (a second link with peer 1's id) to peer 0 and answers the hello with `answer`. */
  async function impostor(answer: (nonce: Uint8Array, c: SignedCluster, attacker: PeerIdentity) => Promise<Uint8Array>): Promise<{ c: SignedCluster; closed: boolean }> {
    const c = cluster = await makeSignedCluster(2);
    c.connect(0, 1);
    await settleSigned(c);
    const attacker = await createPeerIdentity();
    const side = new MemoryNetwork();
    const [fake, atVictim] = side.connect(c.peers[1]!.id, c.peers[0]!.id);
    let closed = false;
    atVictim.onClose(() => { closed = true; });
    let answered: Promise<void> | null = null;
    fake.onMessage((m) => {
      const hello = decodeLinkHello(m);
      if (hello.ok && hello.value.kind === 'challenge') answered = answer(hello.value.nonce, c, attacker).then((bytes) => fake.send(bytes));
    });
    fake.send(encodeLinkHello({ kind: 'challenge', nonce: new Uint8Array(16) }));
    c.peers[0]!.engine.addLink(atVictim);
    const both = { net: side, peers: c.peers };
    await settleSigned(both);
    await answered;
    await settleSigned(both);
    await settleSigned(c);
    return { c, closed };
  }

  const cases: Array<[string, string, (nonce: Uint8Array, c: SignedCluster, attacker: PeerIdentity) => Promise<Uint8Array>]> = [
    ['claims peer 1 with its own key', 'key-mismatch', async (nonce, c, attacker) => encodeLinkHello({
      kind: 'response', peerId: c.peers[1]!.id, publicKey: attacker.publicKey,
      signature: await attacker.sign(helloSigningBytes('class-1', c.peers[1]!.id, c.peers[0]!.id, nonce)),
    })],
    ['claims peer 1 with peer 1’s key but cannot sign', 'bad-signature', async (nonce, c, attacker) => encodeLinkHello({
      kind: 'response', peerId: c.peers[1]!.id, publicKey: c.peers[1]!.identity.publicKey,
      signature: await attacker.sign(helloSigningBytes('class-1', c.peers[1]!.id, c.peers[0]!.id, nonce)),
    })],
    ['answers as itself on a link claiming peer 1', 'wrong-peer', async (nonce, c, attacker) => encodeLinkHello({
      kind: 'response', peerId: attacker.peerId, publicKey: attacker.publicKey,
      signature: await attacker.sign(helloSigningBytes('class-1', attacker.peerId, c.peers[0]!.id, nonce)),
    })],
    ['replays peer 1’s answer to another nonce', 'bad-signature', async (_nonce, c) => encodeLinkHello({
      kind: 'response', peerId: c.peers[1]!.id, publicKey: c.peers[1]!.identity.publicKey,
      signature: await c.peers[1]!.identity.sign(helloSigningBytes('class-1', c.peers[1]!.id, c.peers[0]!.id, new Uint8Array(16))),
    })],
  ];
  for (const [name, code, answer] of cases) {
    it(`an impostor that ${name} is refused and its link closed (${code}); the real link stays`, async () => {
      const { c, closed } = await impostor(answer);
      expect(closed).toBe(true);
      expect(c.peers[0]!.failures).toEqual([expect.objectContaining({ peer: c.peers[1]!.id, reason: code, stage: 'hello' })]);
      expect(c.peers[0]!.engine.neighbours()).toEqual([c.peers[1]!.id]);
      c.peers[1]!.doc.getText('text').insert(0, 'still synced');
      await settleSigned(c);
      expect(c.peers[0]!.doc.getText('text').toString()).toBe('still synced');
    });
  }

  it('a link that never answers is closed after the timeout (hello-timeout)', async () => {
    const c = cluster = await makeSignedCluster(1);
    const side = new MemoryNetwork();
    const [silent, atVictim] = side.connect('silent', c.peers[0]!.id);
    let closed = false;
    atVictim.onClose(() => { closed = true; });
    silent.onMessage(() => undefined);
    c.peers[0]!.engine.addLink(atVictim);
    side.deliverAll();
    vi.advanceTimersByTime(10_001);
    expect(closed).toBe(true);
    expect(c.peers[0]!.failures.map((f) => f.reason)).toEqual(['hello-timeout']);
    expect(readMessageType(encodeLinkHello({ kind: 'challenge', nonce: new Uint8Array(16) }))).toBe(MESSAGE_LINK_HELLO);
  });
});

describe('awareness ownership in signed mode', () => {
  it('a member cannot overwrite another peer’s presence by claiming its awareness client id', async () => {
    const c = cluster = await makeSignedCluster(3);
    c.connect(0, 1);
    c.connect(0, 2);
    c.peers[1]!.engine.awareness.setLocalState({ name: 'honest' });
    await settleSigned(c);
    const victimClient = c.peers[1]!.engine.awareness.clientID;
    // Peer 2 turns hostile: a correctly signed message of its own, carrying a state for peer 1's client id.
    const fake = new awarenessProtocol.Awareness(new Y.Doc());
    fake.clientID = victimClient;
    for (let i = 0; i < 5; i++) fake.setLocalState({ name: 'forged' + i });
    const inner = encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(fake, [victimClient]));
    const envelope = { origin: c.peers[2]!.id, seq: 9e15, inner };
    const signature = await c.peers[2]!.identity.sign(routedSigningBytes('class-1', envelope));
    expect(c.net.connected(c.peers[2]!.id, c.peers[0]!.id)).toBe(true);
    // Write straight onto peer 2's link to peer 0, as a modified client would.
    const links = c.net as unknown as { _enqueue(from: string, to: string, m: Uint8Array): void };
    links._enqueue(c.peers[2]!.id, c.peers[0]!.id, encodeSignedRouted({ ...envelope, publicKey: c.peers[2]!.identity.publicKey, signature }));
    await settleSigned(c);
    expect(c.peers[0]!.engine.awareness.getStates().get(victimClient)).toEqual({ name: 'honest' });
    expect(c.peers[0]!.drops.map((d) => d.reason)).toEqual([expect.stringMatching(/claims another peer's client id/)]);
    fake.destroy();
  });
});

describe('restart in signed mode', () => {
  it('a peer restarting with the same key jumps past its old topology version and syncs again', async () => {
    const c = cluster = await makeSignedCluster(3);
    c.connect(0, 1);
    c.connect(1, 2);
    for (let i = 0; i < 3; i++) { c.net.disconnect(c.peers[1]!.id, c.peers[2]!.id); await settleSigned(c); c.connect(1, 2); await settleSigned(c); }
    c.peers[2]!.doc.getText('text').insert(0, 'before ');
    await settleSigned(c);
    // Peer 2 restarts: same identity, fresh engine and document (its old TOPOLOGY versions are ahead of the new one).
    c.net.disconnect(c.peers[1]!.id, c.peers[2]!.id);
    c.peers[2]!.engine.destroy();
    const doc = new Y.Doc();
    const old = c.peers[2]!;
    const engine = new SyncEngine({ peerId: old.id, doc, awarenessThrottleMs: 0, auth: authOf(old.identity, 'class-1'), onDroppedMessage: (d) => old.drops.push(d) });
    c.peers[2] = { ...old, doc, engine };
    c.connect(1, 2);
    await settleSigned(c);
    expect(doc.getText('text').toString()).toBe('before ');
    doc.getText('text').insert(0, 'after ');
    await settleSigned(c);
    expect(c.peers[0]!.doc.getText('text').toString()).toBe('after before ');
    expect(c.peers[0]!.engine.reachablePeers()).toEqual([c.peers[1]!.id, old.id].sort());
    for (const p of c.peers) expect(p.drops).toEqual([]);
  });
});
