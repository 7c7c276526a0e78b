/**
 * What a Yjs update would do to a document, worked out before it is applied: every inserted struct placed in the
 * document tree (its top-level type, the key under it, its depth) and the delete set resolved against the current
 * doc (only deletions that would change something). Write policies judge this view; see PROTOCOL.md, "Write policies".
 */
import * as Y from 'yjs';

/** Where a struct sits: its top-level shared type and the entry directly under it that holds it. */
export interface Place {
  /** Name of the top-level shared type (the doc type's name). */
  root: string;
  /** Key of the top-level map entry this struct is or lies under; null in a top-level array or text. */
  topKey: string | null;
  /** Id of the item directly in the root that this struct is (depth 0) or lies under. */
  top: Y.ID;
  /** 0: directly in the root; 1: inside a nested type held by the root; and so on. */
  depth: number;
  /** The struct's own map key (`parentSub`), or null in an array / text. */
  key: string | null;
}

/** An inserted struct. */
export interface InsertedStruct {
  id: Y.ID;
  length: number;
  /** Where it goes; null when its parent is gone (garbage collected: it integrates as deleted content). */
  place: Place | null;
  /** Its content: the values of `ContentAny`/`ContentJSON`, the nested type of `ContentType`, the string, the bytes. */
  values: readonly unknown[];
  /** `ContentType` (a nested Y.Map, Y.Array…), `ContentAny`/`ContentJSON` values, or anything else. */
  kind: 'type' | 'values' | 'other';
  /** The item it was inserted right of (for a map entry: the value it overwrites), if any. */
  origin: Y.ID | null;
}

/** An item the update would delete (it exists here and is not deleted yet). */
export interface DeletedStruct {
  id: Y.ID;
  length: number;
  place: Place | null;
  /** Current content values (see {@link InsertedStruct.values}). */
  values: readonly unknown[];
}

/** A decoded, resolved update. */
export interface UpdateView {
  inserts: InsertedStruct[];
  /** Garbage-collected ranges the update carries (deleted content, no place). */
  gcs: Array<{ id: Y.ID; length: number }>;
  deletes: DeletedStruct[];
  /** Deleted ranges of structs this peer does not have (Yjs would keep them pending and apply them on arrival). */
  unknownDeletes: Array<{ client: number; clock: number; length: number }>;
  /** Some insert builds on a struct that is neither here nor in the update: judge it once that arrives. */
  missingDependency: boolean;
}

type Struct = Y.Item | Y.GC | Y.Skip;

function contentOf(item: Y.Item): { values: readonly unknown[]; kind: InsertedStruct['kind'] } {
  const c: unknown = item.content;
  if (c instanceof Y.ContentAny || c instanceof Y.ContentJSON) return { values: c.arr, kind: 'values' };
  if (c instanceof Y.ContentType) return { values: [c.type], kind: 'type' };
  if (c instanceof Y.ContentString) return { values: [c.str], kind: 'other' };
  if (c instanceof Y.ContentBinary) return { values: [c.content], kind: 'other' };
  if (c instanceof Y.ContentEmbed) return { values: [c.embed], kind: 'other' };
  return { values: [], kind: 'other' };
}

function isId(v: unknown): v is Y.ID {
  return v instanceof Y.ID;
}

/** Place of an item already in the document. */
export function placeOfDocItem(item: Y.Item): Place | null {
  let cur = item;
  let depth = 0;
  for (;;) {
    const parent = cur.parent;
    if (!(parent instanceof Y.AbstractType)) return null;
    const holder: Y.Item | null = parent._item;
    if (holder === null) {
      let root: string;
      try {
        root = Y.findRootTypeKey(parent);
      } catch {
        return null;
      }
      return { root, topKey: cur.parentSub, top: cur.id, depth, key: item.parentSub };
    }
    cur = holder;
    depth++;
  }
}

/** The struct of the doc holding `id`, or undefined when this peer does not have that clock yet. */
export function docStruct(doc: Y.Doc, id: Y.ID): Y.Item | Y.GC | undefined {
  if (id.clock >= Y.getState(doc.store, id.client)) return undefined;
  const structs = doc.store.clients.get(id.client);
  if (structs === undefined) return undefined;
  return structs[Y.findIndexSS(structs, id.clock)] as Y.Item | Y.GC | undefined;
}

/**
 * Decodes `update` and resolves it against `doc` (which it does not change). Throws when Yjs cannot decode it
 * (the sync codecs already reject such updates before a gate sees them).
 */
export function viewUpdate(doc: Y.Doc, update: Uint8Array): UpdateView {
  const { structs, ds } = Y.decodeUpdate(update) as { structs: Struct[]; ds: { clients: Map<number, Array<{ clock: number; len: number }>> } };
  const byClient = new Map<number, Y.Item[]>();
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    let list = byClient.get(s.id.client);
    if (list === undefined) byClient.set(s.id.client, (list = []));
    list.push(s);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  const inUpdate = (id: Y.ID): Y.Item | undefined => {
    const list = byClient.get(id.client);
    if (list === undefined) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid] as Y.Item;
      if (id.clock < s.id.clock) hi = mid - 1;
      else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
      else return s;
    }
    return undefined;
  };

  type Resolved = Place | null | 'missing';
  const memo = new Map<Y.Item, Resolved>();
  // What an item's place derives from: a place already known, or another struct of the update to resolve first.
  const derive = (item: Y.Item): { done: Resolved } | { after: Y.Item } => {
    const parent: unknown = item.parent;
    if (typeof parent === 'string') return { done: { root: parent, topKey: item.parentSub, top: item.id, depth: 0, key: item.parentSub } };
    const ref = isId(parent) ? parent : item.origin ?? item.rightOrigin;
    if (ref === null) return { done: 'missing' };
    let holder: Resolved;
    const u = inUpdate(ref);
    if (u !== undefined && ref.clock >= Y.getState(doc.store, ref.client)) {
      const known = memo.get(u);
      if (known === undefined) return { after: u };
      holder = known;
    } else {
      const d = docStruct(doc, ref);
      holder = d === undefined ? 'missing' : d instanceof Y.Item ? placeOfDocItem(d) : null;
    }
    if (holder === 'missing' || holder === null) return { done: holder };
    if (isId(parent)) return { done: { root: holder.root, topKey: holder.topKey, top: holder.top, depth: holder.depth + 1, key: item.parentSub } };
    // A sibling (origin / right origin): same parent and key; at depth 0 the item is its own top-level entry.
    return { done: holder.depth === 0 ? { root: holder.root, topKey: holder.key, top: item.id, depth: 0, key: holder.key } : holder };
  };
  // Iterative (an update may chain thousands of items): a cycle of references is left unresolved ('missing').
  const placeOf = (start: Y.Item): Resolved => {
    const stack: Y.Item[] = [start];
    const onStack = new Set<Y.Item>(stack);
    while (stack.length > 0) {
      const item = stack[stack.length - 1] as Y.Item;
      const step = memo.has(item) ? { done: memo.get(item) as Resolved } : derive(item);
      if ('after' in step) {
        if (onStack.has(step.after)) {
          for (const i of stack) memo.set(i, 'missing');
          break;
        }
        stack.push(step.after);
        onStack.add(step.after);
        continue;
      }
      memo.set(item, step.done);
      stack.pop();
      onStack.delete(item);
    }
    return memo.get(start) as Resolved;
  };

  const view: UpdateView = { inserts: [], gcs: [], deletes: [], unknownDeletes: [], missingDependency: false };
  for (const s of structs) {
    const known = Y.getState(doc.store, s.id.client);
    if (s.id.clock + s.length <= known) continue; // already here: Yjs skips it
    if (s instanceof Y.GC) view.gcs.push({ id: s.id, length: s.length });
    if (!(s instanceof Y.Item)) continue;
    const place = placeOf(s);
    if (place === 'missing') {
      view.missingDependency = true;
      continue;
    }
    const { values, kind } = contentOf(s);
    view.inserts.push({ id: s.id, length: s.length, place, values, kind, origin: s.origin });
  }

  for (const [client, ranges] of ds.clients) {
    const state = Y.getState(doc.store, client);
    const structsHere = doc.store.clients.get(client) ?? [];
    for (const { clock, len } of ranges) {
      const end = clock + len;
      // Part known here: the items it would delete.
      if (clock < state && structsHere.length > 0) {
        for (let i = Y.findIndexSS(structsHere, clock); i < structsHere.length; i++) {
          const st = structsHere[i] as Y.Item | Y.GC;
          if (st.id.clock >= end) break;
          if (!(st instanceof Y.Item) || st.deleted) continue;
          view.deletes.push({ id: st.id, length: st.length, place: placeOfDocItem(st), values: contentOf(st).values });
        }
      }
      // Part beyond our state: new in this update, or unknown (pending in Yjs).
      let c = Math.max(clock, state);
      while (c < end) {
        const u = inUpdate(Y.createID(client, c));
        if (u === undefined) {
          const next = (byClient.get(client) ?? []).find((x) => x.id.clock > c)?.id.clock ?? end;
          const stop = Math.min(next, end);
          view.unknownDeletes.push({ client, clock: c, length: stop - c });
          c = stop;
          continue;
        }
        const place = placeOf(u);
        view.deletes.push({ id: u.id, length: u.length, place: place === 'missing' ? null : place, values: contentOf(u).values });
        c = u.id.clock + u.length;
      }
    }
  }
  return view;
}
