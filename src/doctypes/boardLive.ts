/**
 * The live, validated element cache behind a {@link Board}: filled once from the map, then kept current from
 * Yjs events, so reads never re-decode the board and renderers learn exactly which elements changed.
 */
import * as Y from 'yjs';
import { ELEMENT_PREFIX, PAGE_PREFIX, readAllElements, readElement } from './boardModel.js';
import type { BoardElement } from './boardModel.js';

/** Which elements a change touched, so renderers redraw only those. */
export interface BoardChange {
  added: string[];
  updated: string[];
  removed: string[];
  /** True when page records (titles, order, added/removed pages) changed. */
  pages: boolean;
  /** True when the change was made by this peer (including its undo/redo). */
  local: boolean;
}

/** Board events. */
export type BoardEvents = {
  /** Elements were added, changed or removed (locally or by a peer). */
  change: (change: BoardChange) => void;
};

/** Valid elements of one board map by id, and the top z per page. */
export class LiveElements {
  private readonly cache = new Map<string, BoardElement>();
  /** Highest z seen per page; never lowered, so new elements land on top without scanning the board. */
  private readonly topZ = new Map<string, number>();

  /** `onInvalid` hears about every stored element that fails validation, now and on later changes. */
  constructor(private readonly map: Y.Map<unknown>, private readonly onInvalid: (id: string, reason: string) => void) {
    for (const [id, el] of readAllElements(map, onInvalid)) this.remember(id, el);
  }

  /** Number of valid elements. */
  get size(): number {
    return this.cache.size;
  }

  /** One valid element. */
  get(id: string): BoardElement | undefined {
    return this.cache.get(id);
  }

  /** Every valid element, in no particular order. */
  values(): IterableIterator<BoardElement> {
    return this.cache.values();
  }

  /** Highest z on `pageId` (0 when empty). */
  topOf(pageId: string): number {
    return this.topZ.get(pageId) ?? 0;
  }

  /** Highest z on any page. */
  top(): number {
    let top = 0;
    for (const z of this.topZ.values()) top = Math.max(top, z);
    return top;
  }

  /** Bring the cache up to date with a deep-observer batch; returns what changed, or null when nothing visible did. */
  apply(events: ReadonlyArray<Y.YEvent<Y.AbstractType<unknown>>>, local: boolean): BoardChange | null {
    const touched = new Set<string>();
    let pages = false;
    for (const ev of events) {
      if (ev.target === this.map) {
        for (const key of (ev as Y.YMapEvent<unknown>).keysChanged) {
          if (key === null) continue;
          if (key.startsWith(ELEMENT_PREFIX)) touched.add(key);
          else if (key.startsWith(PAGE_PREFIX)) pages = true;
        }
      } else {
        const top = ev.path[0];
        if (typeof top === 'string' && top.startsWith(ELEMENT_PREFIX)) touched.add(top);
      }
    }
    if (touched.size === 0 && !pages) return null;
    const change: BoardChange = { added: [], updated: [], removed: [], pages, local };
    for (const key of touched) {
      const id = key.slice(ELEMENT_PREFIX.length);
      const had = this.cache.has(id);
      const value = this.map.get(key);
      const r = value === undefined ? undefined : readElement(id, value);
      if (r?.ok === true) {
        this.remember(id, r.element);
        (had ? change.updated : change.added).push(id);
        continue;
      }
      if (r !== undefined) this.onInvalid(id, r.reason);
      // Deleted, or overwritten with something invalid: either way renderers must drop it.
      if (had) {
        this.cache.delete(id);
        change.removed.push(id);
      }
    }
    return change.added.length + change.updated.length + change.removed.length === 0 && !pages ? null : change;
  }

  private remember(id: string, el: BoardElement): void {
    this.cache.set(id, el);
    if (el.z > this.topOf(el.pageId)) this.topZ.set(el.pageId, el.z);
  }
}
