import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { viewUpdate } from '../../src/doctypes/updateView.js';

const updateOf = (doc: Y.Doc, fn: () => void): Uint8Array => {
  const out: Uint8Array[] = [];
  const h = (u: Uint8Array): void => { out.push(u); };
  doc.on('update', h);
  doc.transact(fn);
  doc.off('update', h);
  return Y.mergeUpdates(out);
};

it('places every struct of a long chain (items found through their origins, no recursion limit)', () => {
  const doc = new Y.Doc();
  const chat = doc.getArray<unknown>('chat');
  const u = updateOf(doc, () => {
    for (let i = 0; i < 12_000; i++) chat.push([new Y.Map()]); // one item each: origin = the previous one
    chat.push([{ k: 'm', by: 't' }]);
  });
  const view = viewUpdate(new Y.Doc(), u);
  expect(view.missingDependency).toBe(false);
  expect(view.inserts.every((i) => i.place?.root === 'chat' && i.place.depth === 0)).toBe(true);
  expect(view.inserts.at(-1)?.values).toEqual([{ k: 'm', by: 't' }]);
});

it('finds the top-level entry of a field set inside a nested map, and what an update would delete', () => {
  const doc = new Y.Doc();
  const board = doc.getMap<unknown>('whiteboard');
  const el = new Y.Map<unknown>();
  board.set('e:1', el);
  el.set('x', 1);
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  const u = updateOf(other, () => { (other.getMap('whiteboard').get('e:1') as Y.Map<unknown>).set('x', 2); });
  const view = viewUpdate(doc, u);
  expect(view.inserts).toHaveLength(1);
  expect(view.inserts[0]?.place).toMatchObject({ root: 'whiteboard', topKey: 'e:1', depth: 1, key: 'x' });
  expect(view.deletes.map((d) => [d.place?.topKey, d.place?.key, d.values])).toEqual([['e:1', 'x', [1]]]);
});

it('an insert building on a struct that is neither here nor in the update is unresolved (missing dependency)', () => {
  const a = new Y.Doc();
  a.getArray('chat').push(['first']);
  const b = new Y.Doc();
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  const u = updateOf(b, () => b.getArray('chat').push(['second']));
  expect(viewUpdate(new Y.Doc(), u).missingDependency).toBe(true);
  expect(viewUpdate(a, u).missingDependency).toBe(false);
});
