import * as Y from 'yjs';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import type { DocProblem, Role } from '../../src/doctypes/types.js';

export interface Peer {
  doc: Y.Doc;
  docs: DocumentSet;
  problems: DocProblem[];
  locked: { value: boolean };
}

let counter = 0;

/**
 * A peer with its own Y.Doc and DocumentSet. `locked.value` is the teacher's board lock, turned into the
 * read-only gate the way the Classroom does it: students may not write the whiteboard or slide annotations.
 */
export function makePeer(role: Role = 'student', opts: { gc?: boolean; peerId?: string; now?: () => number } = {}): Peer {
  const doc = new Y.Doc({ gc: opts.gc ?? true });
  const locked = { value: false };
  const peerId = opts.peerId ?? `peer-${++counter}`;
  const docs = new DocumentSet(doc, { peerId, name: `Name ${peerId}`, role }, { readOnly: (type) => locked.value && role === 'student' && (type === 'whiteboard' || type === 'presentation'), ...(opts.now ? { now: opts.now } : {}) });
  const problems: DocProblem[] = [];
  docs.on('problem', (p) => problems.push(p));
  return { doc, docs, problems, locked };
}

/** Two-way full sync between docs via state vectors (what sync step 1/2 does). */
export function sync(...docs: Y.Doc[]): void {
  for (const a of docs) {
    for (const b of docs) {
      if (a === b) continue;
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'remote');
    }
  }
}

/** Forward every future update of `from` to `to` (a live one-way link). Returns an unlink function. */
export function link(from: Y.Doc, to: Y.Doc): () => void {
  const h = (u: Uint8Array, origin: unknown): void => {
    if (origin !== to) Y.applyUpdate(to, u, from);
  };
  from.on('update', h);
  return () => from.off('update', h);
}
