// Property: random honest edits interleaved with random hostile updates (seeded) leave every honest peer with exactly
// the state of the same run without the hostile updates (the honest peers' own updates, nothing else).
import * as prng from 'lib0/prng';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { chatType } from '../../src/doctypes/chat.js';
import { CLIENT_CLAIMS } from '../../src/doctypes/ownership.js';
import { pollType } from '../../src/doctypes/poll.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import { encodeSyncMessage } from '../../src/protocol/docSyncMessages.js';
import { intact, makePolicyClass, type HonestPeer, type PolicyClass } from './policyHarness.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function honestStep(cls: PolicyClass, p: HonestPeer, gen: prng.PRNG): void {
  const board = p.docs.get(whiteboardType);
  const chat = p.docs.get(chatType);
  const poll = p.docs.get(pollType);
  const mine = board.elements().filter((e) => p.id === 't' || e.author === p.id).map((e) => e.id);
  const r = prng.int32(gen, 0, 99);
  try {
    if (r < 30) board.addShape({ pageId: 'main', kind: 'rect', x: prng.int32(gen, 0, 100), y: 0, w: 5, h: 5 });
    else if (r < 40 && mine.length > 0) board.move(prng.oneOf(gen, mine), 3, -2);
    else if (r < 45 && mine.length > 0) board.erase(prng.oneOf(gen, mine));
    else if (r < 50 && mine.length > 0) board.setStyle(prng.oneOf(gen, mine), { color: '#ff0000' });
    else if (r < 65) chat.send(`msg ${prng.uint32(gen, 0, 1000)}`);
    else if (r < 75 && poll.current() !== undefined) poll.vote(poll.current()!.id, prng.int32(gen, 0, 1));
    else if (p.id === 't' && r < 80) poll.open('Q?', ['a', 'b']);
    else if (p.id === 't' && r < 85 && chat.messages().length > 0) chat.pin(prng.oneOf(gen, chat.messages()).id);
    else if (p.id === 't' && r < 88 && chat.messages().length > 0) chat.delete(prng.oneOf(gen, chat.messages()).id);
    else if (p.id === 't' && r < 92) board.addPage();
    else if (p.id === 't' && r < 95) {
      // The lock flips between settled rounds: every peer knows it before anyone writes again.
      cls.settle();
      cls.lock.value = !cls.lock.value;
    }
  } catch (err) {
    if (!(err instanceof Error) || !/locked|read-only|only the teacher|no poll|closed/.test(err.message)) throw err;
  }
}

function hostileStep(cls: PolicyClass, gen: prng.PRNG): void {
  const x = cls.attacker!;
  const victim = prng.oneOf(gen, cls.honest);
  // Every attack writes something hostile (an update with only the attacker's own claim would be legitimate).
  const keys = [...x.doc.getMap('whiteboard').keys()].filter((k) => cls.honest.some((p) => p.doc.getMap('whiteboard').has(k)));
  const onKeys: Array<() => void> = keys.length === 0 ? [] : [
    () => x.write((d) => d.getMap('whiteboard').delete(prng.oneOf(gen, keys))),
    () => x.write((d) => { const k = prng.oneOf(gen, keys); const m = d.getMap('whiteboard').get(k); if (m instanceof Y.Map) m.set('x', 9999); else d.getMap('whiteboard').set(k, 1); }),
    () => x.write((d) => { const m = new Y.Map<unknown>(); d.getMap('whiteboard').set(prng.oneOf(gen, keys), m); m.set('a', 'x'); }),
  ];
  const attacks: Array<() => void> = [
    ...onKeys,
    () => x.write((d) => { const m = new Y.Map<unknown>(); d.getMap('whiteboard').set(`e:f${prng.uint32(gen, 0, 1e6)}`, m); m.set('a', victim.id); }),
    () => x.write((d) => d.getArray('chat').push([{ k: 'm', id: 'f', text: 'forged', by: victim.id, name: 'n', role: victim.id === 't' ? 'teacher' : 'student', t: 1 }])),
    () => x.write((d) => { if (d.getArray('chat').length > 0) d.getArray('chat').delete(0, 1); else d.getArray('chat').push([{ k: 'pin' }]); }),
    () => x.write((d) => d.getArray('chat').push([{ k: 'pin', target: 'any', pinned: true, by: 'x', role: 'student', t: 1 }])),
    () => x.write((d) => d.getMap('poll').set(`q:f${prng.uint32(gen, 0, 1e6)}`, { question: 'f', options: ['a', 'b'], role: 'teacher', t: 1 })),
    () => x.write((d) => { d.getMap('poll').set(`v:${[...d.getMap('poll').keys()].find((k) => k.startsWith('q:'))?.slice(2) ?? 'p'}:${victim.id}`, 0); }),
    () => x.write((d) => d.getMap('presentation').set('st:x', { slide: null, follow: false, vx: 0, vy: 0, zoom: 0, role: 'teacher', t: 9e15 })),
    () => x.write((d) => d.getArray('chat').push([{ k: 'm', id: 'g', text: 'x', by: 'x', name: 'x', role: 'student', t: 1 }]), { clientId: victim.doc.clientID, claim: false }),
    () => x.write((d) => d.getMap(CLIENT_CLAIMS).set(String(victim.doc.clientID), 'x')),
    () => {
      // A raw step 2 carrying the victim's clientID (forged content under someone else's name) and the attacker's deletes.
      const forger = new Y.Doc();
      Y.applyUpdate(forger, Y.encodeStateAsUpdate(x.doc));
      forger.clientID = victim.doc.clientID;
      forger.getMap('poll').set('q:forged', { question: 'f', options: ['a', 'b'], role: 'teacher', t: 1 });
      for (const k of forger.getMap('whiteboard').keys()) forger.getMap('whiteboard').delete(k);
      for (const [peer, link] of x.links) link.send(encodeSyncMessage('step2', Y.encodeStateAsUpdate(forger, Y.encodeStateVector(cls.byId.get(peer)!.doc))));
    },
  ];
  prng.oneOf(gen, attacks)();
}

describe('write policies: random honest edits + random hostile updates', () => {
  for (const shape of ['mesh', 'star'] as const) {
    for (const seed of (process.env.POLICY_SEEDS ?? '1,2,3').split(',').map(Number)) {
      it(`${shape}, seed ${seed}: honest state equals the run without the hostile updates`, () => {
        const gen = prng.create(seed);
        const cls = makePolicyClass({ attacker: true, shape, seed });
        for (let step = 0; step < 80; step++) {
          for (let k = prng.int32(gen, 1, 3); k > 0; k--) honestStep(cls, prng.oneOf(gen, cls.honest), gen);
          if (prng.bool(gen)) hostileStep(cls, gen);
          // Deliver only part of the traffic sometimes: honest edits race each other and the attacker's.
          if (prng.int32(gen, 0, 3) === 0) cls.settle();
          else for (let i = prng.int32(gen, 0, 20); i > 0 && cls.net.deliverOne(); i--);
        }
        cls.lock.value = false;
        cls.settle();
        const r = intact(cls);
        expect(r.ok, r.detail).toBe(true);
        expect(cls.honest.every((p) => p.rejections.every((rej) => rej.author === 'x')), JSON.stringify(cls.honest.map((p) => p.rejections.filter((rej) => rej.author !== 'x')))).toBe(true);
        cls.destroy();
      });
    }
  }
});
