/**
 * A class on the in-memory network with write policies on: a teacher `t`, honest students `s1`, `s2`, and optionally
 * an attacker `x` running a gate-less engine whose Y.Doc it edits with raw Yjs (any clientID, any key). Honest peers
 * record their own local updates, so a test can rebuild "the same run without the attacker" and compare.
 */
import { vi } from 'vitest';
import * as Y from 'yjs';
import { chatType } from '../../src/doctypes/chat.js';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import type { PolicyRejection } from '../../src/doctypes/gate.js';
import type { AnyDocType } from '../../src/doctypes/types.js';
import { CLIENT_CLAIMS } from '../../src/doctypes/ownership.js';
import { pollType } from '../../src/doctypes/poll.js';
import { createPresentationType } from '../../src/doctypes/presentation.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import type { Link } from '../../src/sync/link.js';
import { MemoryNetwork } from '../../src/sync/memoryNetwork.js';
import { SyncEngine } from '../../src/sync/syncEngine.js';

export const presentationType = createPresentationType({ countPdfPages: async () => 1 });
export const TYPES: AnyDocType[] = [whiteboardType, chatType, pollType, presentationType];

export interface HonestPeer {
  id: string;
  doc: Y.Doc;
  docs: DocumentSet;
  engine: SyncEngine;
  rejections: PolicyRejection[];
  /** Updates this peer made itself, in order. */
  own: Uint8Array[];
}

export interface Attacker {
  id: string;
  doc: Y.Doc;
  engine: SyncEngine;
  /** Its ends of its links, for raw messages (a forged sync step 2). */
  links: Map<string, Link>;
  /** Writes with a fresh clientID that it claims for itself in the same update (unless `claim` is false). */
  write(fn: (doc: Y.Doc) => void, options?: { clientId?: number; claim?: boolean }): void;
}

export interface PolicyClass {
  net: MemoryNetwork;
  lock: { value: boolean };
  honest: HonestPeer[];
  byId: Map<string, HonestPeer>;
  attacker: Attacker | undefined;
  settle(): void;
  destroy(): void;
}

let nextAttackerClient = 900_000_000;

export function makePolicyClass(options: { attacker?: boolean; shape?: 'mesh' | 'star'; seed?: number; students?: number } = {}): PolicyClass {
  const net = new MemoryNetwork({ seed: options.seed ?? 1 });
  const lock = { value: false };
  const isTeacher = (id: string): boolean => id === 't';
  const ids = ['t', ...Array.from({ length: options.students ?? 2 }, (_, i) => `s${i + 1}`)];
  const honest: HonestPeer[] = ids.map((id, i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i;
    const docs = new DocumentSet(doc, { peerId: id, name: `Name ${id}`, role: isTeacher(id) ? 'teacher' : 'student' }, {
      readOnly: (type) => lock.value && !isTeacher(id) && (type === 'whiteboard' || type === 'presentation'),
      policies: { context: { isTeacher, readOnly: (type) => lock.value && (type === 'whiteboard' || type === 'presentation') } },
    });
    const own: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) => { if (tr.local) own.push(u); });
    for (const t of TYPES) docs.register(t);
    const engine = new SyncEngine({ peerId: id, doc, awarenessThrottleMs: 0, updateGate: docs.gate() });
    const rejections: PolicyRejection[] = [];
    docs.on('rejected', (r) => rejections.push(r));
    return { id, doc, docs, engine, rejections, own };
  });
  const byId = new Map(honest.map((p) => [p.id, p]));
  let attacker: Attacker | undefined;
  if (options.attacker === true) {
    const doc = new Y.Doc();
    const engine = new SyncEngine({ peerId: 'x', doc, awarenessThrottleMs: 0 });
    attacker = {
      id: 'x', doc, engine, links: new Map(),
      write(fn, o = {}) {
        doc.clientID = o.clientId ?? nextAttackerClient++;
        doc.transact(() => {
          if (o.claim !== false) doc.getMap(CLIENT_CLAIMS).set(String(doc.clientID), 'x');
          fn(doc);
        });
      },
    };
  }
  const engines = new Map<string, SyncEngine>(honest.map((p) => [p.id, p.engine]));
  if (attacker) engines.set('x', attacker.engine);
  const connect = (a: string, b: string): void => {
    const [la, lb] = net.connect(a, b);
    engines.get(a)!.addLink(la);
    engines.get(b)!.addLink(lb);
    if (a === 'x') attacker!.links.set(b, la);
    if (b === 'x') attacker!.links.set(a, lb);
  };
  const all = [...engines.keys()];
  if (options.shape === 'star') for (const id of all) { if (id !== 't') connect('t', id); }
  else for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) connect(all[i]!, all[j]!);
  const cls: PolicyClass = {
    net, lock, honest, byId, attacker,
    settle() {
      for (let i = 0; i < 2000; i++) {
        const n = net.deliverAll();
        vi.advanceTimersByTime(25);
        if (n === 0 && net.pending() === 0) return;
      }
      throw new Error('network did not settle');
    },
    destroy() {
      for (const e of engines.values()) e.destroy();
      for (const p of honest) p.docs.destroy();
    },
  };
  cls.settle();
  return cls;
}

/** The doc "the same run without the attacker" ends with: every honest peer's own updates, nothing else. */
export function honestOnly(cls: PolicyClass): Y.Doc {
  const doc = new Y.Doc();
  for (const p of cls.honest) for (const u of p.own) Y.applyUpdate(doc, u);
  return doc;
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sorted(x)]));
}

/** Content + state vector + delete set: equal when two docs hold the same structs and deletions. */
export function fingerprint(doc: Y.Doc): string {
  const roots = ['whiteboard', 'chat', 'poll', 'presentation', CLIENT_CLAIMS, 'peerclass:types'];
  const json = Object.fromEntries(roots.map((r) => [r, r === 'chat' ? doc.getArray(r).toJSON() : doc.getMap(r).toJSON()]));
  const snap = Y.snapshot(doc);
  return JSON.stringify({ json: sorted(json), sv: [...snap.sv].sort((a, b) => a[0] - b[0]), ds: Y.encodeSnapshot(snap).length });
}

/** True when every honest peer's doc equals the honest-only doc (snapshot-equal and same content). */
export function intact(cls: PolicyClass): { ok: boolean; detail: string } {
  const ref = honestOnly(cls);
  const want = fingerprint(ref);
  for (const p of cls.honest) {
    const got = fingerprint(p.doc);
    if (got !== want || !Y.equalSnapshots(Y.snapshot(p.doc), Y.snapshot(ref))) return { ok: false, detail: `${p.id}:\n${got}\nwant:\n${want}` };
  }
  return { ok: true, detail: '' };
}
