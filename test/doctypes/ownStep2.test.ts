import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { encodeOwnStep2 } from '../../src/doctypes/gate.js';

function clientsOf(update: Uint8Array): { structs: number[]; ds: number[] } {
  const { structs, ds } = Y.decodeUpdate(update);
  return {
    structs: [...new Set(structs.map((s) => s.id.client))].sort(),
    ds: [...(ds as unknown as { clients: Map<number, unknown[]> }).clients.keys()].sort(),
  };
}

it('a student\'s step 2 carries only its own structs and deletions, pending updates included', () => {
  const mine = new Y.Doc();
  mine.clientID = 1;
  const other = new Y.Doc();
  other.clientID = 2;
  other.getArray('a').push(['o1', 'o2']);
  Y.applyUpdate(mine, Y.encodeStateAsUpdate(other));
  mine.getArray('a').push(['m1', 'm2']);
  mine.getArray('a').delete(0, 1); // deletes other's o1
  mine.getArray('a').delete(1, 1); // o2 is index 0 now … delete m1 (own)
  other.getArray('a').push(['o3']);
  const gapFirst = Y.encodeStateAsUpdate(other);
  other.getArray('a').push(['o4']);
  const later = Y.diffUpdate(Y.encodeStateAsUpdate(other), Y.encodeStateVectorFromUpdate(gapFirst));
  Y.applyUpdate(mine, later); // waits for o3: pending in mine's store
  expect(mine.store.pendingStructs).not.toBeNull();

  const step2 = encodeOwnStep2(mine, Y.encodeStateVector(new Y.Doc()), (c) => c === 1);
  expect(clientsOf(step2)).toEqual({ structs: [1], ds: [1] });
  // The full step 2 carries both clients (sanity check of the setup).
  expect(clientsOf(Y.encodeStateAsUpdate(mine)).structs).toEqual([1, 2]);

  // A receiver that has other's content gets ours from it and converges on the own part.
  const receiver = new Y.Doc();
  Y.applyUpdate(receiver, Y.encodeStateAsUpdate(other));
  Y.applyUpdate(receiver, step2);
  expect(receiver.getArray('a').toArray().filter((v) => String(v).startsWith('m'))).toEqual(['m2']);
});
