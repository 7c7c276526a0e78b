import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { decodeInk, encodeInk, MAX_INK_POINTS } from './ink.js';
import type { InkPoint } from './ink.js';
import { elementsToSvg } from './svg.js';
import type { SvgOptions } from './svg.js';
import { BoardLockedError, InvalidInputError } from './types.js';
import type { DocContext } from './types.js';
import { bytes, color, fields, isInvalid, nullable, num, object, oneOf, optional, str } from './validate.js';

/** Kinds of board elements. */
export const ELEMENT_KINDS = ['ink', 'rect', 'ellipse', 'line', 'arrow', 'text'] as const;
/** A board element kind. */
export type ElementKind = (typeof ELEMENT_KINDS)[number];
/** Shape kinds (a box given by x, y, w, h; for line and arrow, (x, y) → (x + w, y + h)). */
export type ShapeKind = 'rect' | 'ellipse' | 'line' | 'arrow';

/** Limits applied to local input and to remote content. */
export const BOARD_LIMITS = Object.freeze({
  coordinate: 1_000_000,
  strokeWidth: 200,
  fontSize: 500,
  textLength: 10_000,
  idLength: 64,
  inkBytes: 64 * 1024,
});

/** Fields every element has. */
export interface ElementBase {
  /** Element id (unique in the board). */
  id: string;
  /** Page (or slide) the element is on. */
  pageId: string;
  /** Stroke / text colour. */
  color: string;
  /** Stroke width in board units. */
  width: number;
  /** Left of the element's box. */
  x: number;
  /** Top of the element's box. */
  y: number;
  /** Width of the box (line/arrow: dx, may be negative). */
  w: number;
  /** Height of the box (line/arrow: dy, may be negative). */
  h: number;
  /** Stacking order: higher is drawn later. */
  z: number;
  /** Peer id of the author (claimed). */
  author: string;
}

/** Freehand ink. `points` are absolute board coordinates after move/resize. */
export interface InkElement extends ElementBase {
  kind: 'ink';
  points: InkPoint[];
}

/** Rectangle, ellipse, line or arrow. */
export interface ShapeElement extends ElementBase {
  kind: ShapeKind;
  /** Fill colour, or null for none (ignored for line and arrow). */
  fill: string | null;
}

/** Text box; `w` and `h` are the box the text was laid out in (0 = auto). */
export interface TextElement extends ElementBase {
  kind: 'text';
  text: string;
  fontSize: number;
}

/** Any board element. */
export type BoardElement = InkElement | ShapeElement | TextElement;

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

/** Input for {@link Board.addInk}. Points as `{x, y, pressure?}` or `[x, y, pressure?]`. */
export interface InkInput {
  pageId: string;
  points: ReadonlyArray<{ x: number; y: number; pressure?: number } | readonly [number, number, number?]>;
  color?: string;
  width?: number;
}

/** Input for {@link Board.addShape}. */
export interface ShapeInput {
  pageId: string;
  kind: ShapeKind;
  x: number;
  y: number;
  w: number;
  h: number;
  color?: string;
  width?: number;
  fill?: string | null;
}

/** Input for {@link Board.addText}. */
export interface TextInput {
  pageId: string;
  x: number;
  y: number;
  text: string;
  color?: string;
  fontSize?: number;
  w?: number;
  h?: number;
}

/** Style changes for {@link Board.setStyle}. */
export interface StyleInput {
  color?: string;
  width?: number;
  fill?: string | null;
}

/**
 * Stored keys of an element Y.Map. Short on purpose: Yjs stores the key with every map entry,
 * and a board holds thousands of elements.
 */
export const ELEMENT_KEYS = Object.freeze({
  kind: 'k', pageId: 'pg', color: 'c', width: 'sw', x: 'x', y: 'y', w: 'w', h: 'h', z: 'z', author: 'a',
  points: 'p', fill: 'f', text: 't', fontSize: 'fs',
});
/** Key prefix of elements in the owning top-level map. */
export const ELEMENT_PREFIX = 'e:';
/** Key prefix of page records in the owning top-level map. */
export const PAGE_PREFIX = 'p:';
/** The page every board has, even before anyone adds a page record. */
export const DEFAULT_PAGE_ID = 'main';

/** A board page. */
export interface PageInfo {
  id: string;
  title: string;
  /** Sort key (pages are listed by order, then id). */
  order: number;
}

const pageShape = { title: str(200), order: num() };

/** Read the page records of a board map (plain objects under `p:<id>`); the default page when there are none. */
export function readPages(map: Y.Map<unknown>, onInvalid?: (id: string, reason: string) => void): PageInfo[] {
  const out: PageInfo[] = [];
  map.forEach((value, key) => {
    if (!key.startsWith(PAGE_PREFIX)) return;
    const id = key.slice(PAGE_PREFIX.length);
    const r = object(pageShape)(value);
    if (isInvalid(r) || id.length === 0 || id.length > BOARD_LIMITS.idLength) onInvalid?.(id, isInvalid(r) ? r.reason : 'bad page id');
    else out.push({ id, title: r.title, order: r.order });
  });
  if (out.length === 0) out.push({ id: DEFAULT_PAGE_ID, title: 'Page 1', order: 0 });
  return out.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const K = ELEMENT_KEYS;
const L = BOARD_LIMITS;
const coord = num(-L.coordinate, L.coordinate);
// Fields that edits rewrite may be missing: undoing an erase restores the element map, but not a
// field value that a peer overwrote concurrently (Yjs redoes only items the undone transaction deleted).
// Such elements fall back to defaults (ink: the stroke's original box) instead of disappearing.
const maybeCoord = optional(nullable(coord), null);
const baseShape = {
  [K.kind]: oneOf(ELEMENT_KINDS),
  [K.pageId]: str(L.idLength, 1),
  [K.color]: optional(color, '#000000'),
  [K.width]: optional(num(0, L.strokeWidth), 3),
  [K.x]: maybeCoord,
  [K.y]: maybeCoord,
  [K.w]: maybeCoord,
  [K.h]: maybeCoord,
  [K.z]: optional(num(), 0),
  [K.author]: str(L.idLength),
};
const inkShape = { [K.points]: bytes(L.inkBytes) };
const boxShape = { [K.fill]: optional(nullable(color), null) };
const textShape = { [K.text]: optional(str(L.textLength), ''), [K.fontSize]: optional(num(1, L.fontSize), 20) };

/** Result of reading one stored element: the element, or why it was refused. */
export type ElementRead = { ok: true; element: BoardElement } | { ok: false; reason: string };

function inkBox(points: readonly InkPoint[]): { minX: number; minY: number; w: number; h: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  if (points.length === 0) return { minX: 0, minY: 0, w: 0, h: 0 };
  return { minX, minY, w: maxX - minX, h: maxY - minY };
}

/**
 * Validate and decode one stored element (a Y.Map under `e:<id>`). Exported so snapshots and
 * other doc types (presentation annotations) read the exact same model.
 */
export function readElement(id: string, value: unknown): ElementRead {
  if (!(value instanceof Y.Map)) return { ok: false, reason: 'element is not a Y.Map' };
  if (id.length === 0 || id.length > L.idLength) return { ok: false, reason: 'bad element id' };
  const map = value as Y.Map<unknown>;
  const get = (k: string): unknown => map.get(k);
  const base = fields(baseShape, get);
  if (isInvalid(base)) return { ok: false, reason: base.reason };
  const common: ElementBase = {
    id,
    pageId: base[K.pageId],
    color: base[K.color],
    width: base[K.width],
    x: base[K.x] ?? 0,
    y: base[K.y] ?? 0,
    w: base[K.w] ?? 0,
    h: base[K.h] ?? 0,
    z: base[K.z],
    author: base[K.author],
  };
  const kind = base[K.kind];
  if (kind === 'ink') {
    const ink = fields(inkShape, get);
    if (isInvalid(ink)) return { ok: false, reason: ink.reason };
    let local: InkPoint[];
    try {
      local = decodeInk(ink[K.points]);
    } catch (err) {
      return { ok: false, reason: `points: ${(err as Error).message}` };
    }
    // Stored points are relative to the stroke's original box; x/y/w/h place and scale it.
    const box = inkBox(local);
    if (base[K.x] === null) common.x = box.minX;
    if (base[K.y] === null) common.y = box.minY;
    if (base[K.w] === null) common.w = box.w;
    if (base[K.h] === null) common.h = box.h;
    const sx = box.w === 0 ? 1 : common.w / box.w;
    const sy = box.h === 0 ? 1 : common.h / box.h;
    const points = local.map((p) => ({ x: common.x + (p.x - box.minX) * sx, y: common.y + (p.y - box.minY) * sy, pressure: p.pressure }));
    return { ok: true, element: { ...common, kind, points } };
  }
  if (kind === 'text') {
    const t = fields(textShape, get);
    if (isInvalid(t)) return { ok: false, reason: t.reason };
    return { ok: true, element: { ...common, kind, text: t[K.text], fontSize: t[K.fontSize] } };
  }
  const s = fields(boxShape, get);
  if (isInvalid(s)) return { ok: false, reason: s.reason };
  return { ok: true, element: { ...common, kind, fill: s[K.fill] } };
}

/** Sort elements in drawing order (z, then id so every peer agrees on ties). */
export function drawingOrder(a: BoardElement, b: BoardElement): number {
  return a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Read every valid element of a board map; invalid ones go to `onInvalid`. Used for snapshots. */
export function readAllElements(map: Y.Map<unknown>, onInvalid?: (id: string, reason: string) => void): Map<string, BoardElement> {
  const out = new Map<string, BoardElement>();
  map.forEach((value, key) => {
    if (!key.startsWith(ELEMENT_PREFIX)) return;
    const id = key.slice(ELEMENT_PREFIX.length);
    const r = readElement(id, value);
    if (r.ok) out.set(id, r.element);
    else onInvalid?.(id, r.reason);
  });
  return out;
}

/** A fresh element id: random, so concurrent peers never collide. */
export function newElementId(): string {
  const buf = new Uint8Array(9);
  globalThis.crypto.getRandomValues(buf);
  let s = '';
  for (const b of buf) s += b.toString(36).padStart(2, '0');
  // 12 characters from 6 random bytes (48 bits): collision-free in practice, and short because every element key carries it.
  return s.slice(0, 12);
}

function checkInput<T>(value: T, ok: boolean, what: string): T {
  if (!ok) throw new InvalidInputError(`invalid ${what}: ${String(value).slice(0, 40)}`);
  return value;
}

/** A read-only board state, e.g. the board at a past snapshot. */
export class BoardView {
  private readonly byId: Map<string, BoardElement>;
  private readonly pageList: PageInfo[];

  /** Read a board map once (later changes to it are not reflected). */
  constructor(map: Y.Map<unknown>) {
    this.byId = readAllElements(map);
    this.pageList = readPages(map);
  }

  /** Elements of a page (or all), in drawing order. */
  elements(pageId?: string): BoardElement[] {
    return [...this.byId.values()].filter((e) => pageId === undefined || e.pageId === pageId).sort(drawingOrder);
  }

  /** Page list. */
  pages(): PageInfo[] {
    return this.pageList.slice();
  }

  /** SVG of one page. */
  exportSvg(pageId: string = DEFAULT_PAGE_ID, options?: SvgOptions): string {
    return elementsToSvg(this.elements(pageId), options);
  }
}

/**
 * A set of board elements inside one top-level Y.Map (keys `e:<id>`). The whiteboard and the
 * presentation's annotation layers are both Boards. Reads are served from a validated cache;
 * writes go through the local undo origin so {@link Board.undo} only reverts this peer's edits.
 */
export class Board extends ObservableV2<BoardEvents> {
  /** Origin of this peer's board transactions; the undo manager tracks only this. */
  readonly localOrigin: object = { board: true };
  private readonly cache = new Map<string, BoardElement>();
  /** Highest z seen per page; never lowered, so new elements always land on top without scanning the board. */
  private readonly topZ = new Map<string, number>();
  private readonly undoManager: Y.UndoManager;
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction) => void;

  constructor(
    private readonly ctx: DocContext,
    /** The top-level map this board lives in. */
    readonly map: Y.Map<unknown>,
    private readonly docType: string,
    options: { captureTimeout?: number } = {},
  ) {
    super();
    for (const [id, el] of readAllElements(map, (id, reason) => this.report(id, reason))) this.remember(id, el);
    this.undoManager = new Y.UndoManager(map, {
      trackedOrigins: new Set([this.localOrigin]),
      // One stroke = one undo step unless the caller groups edits.
      captureTimeout: options.captureTimeout ?? 0,
    });
    this.observer = (events, tr) => this.onEvents(events, tr);
    map.observeDeep(this.observer);
  }

  /** Elements of a page (or of all pages), in drawing order. */
  elements(pageId?: string): BoardElement[] {
    const out: BoardElement[] = [];
    for (const el of this.cache.values()) if (pageId === undefined || el.pageId === pageId) out.push(el);
    return out.sort(drawingOrder);
  }

  /** One element, if present and valid. */
  element(id: string): BoardElement | undefined {
    return this.cache.get(id);
  }

  /** Number of valid elements. */
  get size(): number {
    return this.cache.size;
  }

  /** Add a freehand stroke; returns its id. */
  addInk(input: InkInput): string {
    this.assertUnlocked('drawing');
    if (input.points.length === 0 || input.points.length > MAX_INK_POINTS) throw new InvalidInputError(`a stroke needs 1..${MAX_INK_POINTS} points`);
    const pts: InkPoint[] = input.points.map((p) => {
      const [x, y, pr] = Array.isArray(p) ? p : [(p as { x: number }).x, (p as { y: number }).y, (p as { pressure?: number }).pressure];
      checkInput(x, Number.isFinite(x) && Math.abs(x) <= L.coordinate, 'x');
      checkInput(y, Number.isFinite(y) && Math.abs(y) <= L.coordinate, 'y');
      return { x, y, pressure: pr !== undefined && Number.isFinite(pr) ? Math.max(0, Math.min(1, pr)) : 0.5 };
    });
    const data = encodeInk(pts);
    // No x/y/w/h for a fresh stroke: readers derive its box from the points, which saves four map
    // entries per stroke. Move/resize write them later.
    return this.insert('ink', input.pageId, input.color, input.width ?? 3, null, (m) => m.set(K.points, data));
  }

  /** Add a rectangle, ellipse, line or arrow; returns its id. */
  addShape(input: ShapeInput): string {
    this.assertUnlocked('drawing');
    checkInput(input.kind, ['rect', 'ellipse', 'line', 'arrow'].includes(input.kind), 'shape kind');
    const fill = input.fill ?? null;
    if (fill !== null) checkInput(fill, !isInvalid(color(fill)), 'fill');
    return this.insert(input.kind, input.pageId, input.color, input.width ?? 3, [input.x, input.y, input.w, input.h], (m) => m.set(K.fill, fill));
  }

  /** Add a text box; returns its id. */
  addText(input: TextInput): string {
    this.assertUnlocked('writing text');
    checkInput(input.text, typeof input.text === 'string' && input.text.length <= L.textLength, 'text');
    const fontSize = input.fontSize ?? 20;
    checkInput(fontSize, Number.isFinite(fontSize) && fontSize >= 1 && fontSize <= L.fontSize, 'font size');
    return this.insert('text', input.pageId, input.color, 0, [input.x, input.y, input.w ?? 0, input.h ?? 0], (m) => {
      m.set(K.text, input.text);
      m.set(K.fontSize, fontSize);
    });
  }

  /** Move elements by (dx, dy). Unknown ids are skipped. */
  move(ids: string | readonly string[], dx: number, dy: number): void {
    this.assertUnlocked('moving');
    this.checkCoord(dx);
    this.checkCoord(dy);
    this.edit(ids, (m, el) => {
      m.set(K.x, el.x + dx);
      m.set(K.y, el.y + dy);
    });
  }

  /** Set an element's box (resize; ink strokes are scaled to fit). */
  resize(id: string, box: { x?: number; y?: number; w: number; h: number }): void {
    this.assertUnlocked('resizing');
    for (const v of [box.x ?? 0, box.y ?? 0, box.w, box.h]) this.checkCoord(v);
    this.edit(id, (m, el) => {
      if (box.x !== undefined) m.set(K.x, box.x);
      if (box.y !== undefined) m.set(K.y, box.y);
      // Negative sizes only make sense for lines and arrows (they encode direction).
      const flip = el.kind === 'line' || el.kind === 'arrow';
      m.set(K.w, flip ? box.w : Math.abs(box.w));
      m.set(K.h, flip ? box.h : Math.abs(box.h));
    });
  }

  /** Change colour, width or fill. */
  setStyle(ids: string | readonly string[], style: StyleInput): void {
    this.assertUnlocked('restyling');
    if (style.color !== undefined) checkInput(style.color, !isInvalid(color(style.color)), 'colour');
    if (style.fill != null) checkInput(style.fill, !isInvalid(color(style.fill)), 'fill');
    if (style.width !== undefined) checkInput(style.width, Number.isFinite(style.width) && style.width >= 0 && style.width <= L.strokeWidth, 'width');
    this.edit(ids, (m, el) => {
      if (style.color !== undefined) m.set(K.color, style.color);
      if (style.width !== undefined) m.set(K.width, style.width);
      if (style.fill !== undefined && el.kind !== 'ink' && el.kind !== 'text') m.set(K.fill, style.fill);
    });
  }

  /** Replace a text element's text. */
  setText(id: string, text: string): void {
    this.assertUnlocked('writing text');
    checkInput(text, typeof text === 'string' && text.length <= L.textLength, 'text');
    this.edit(id, (m, el) => {
      if (el.kind === 'text') m.set(K.text, text);
    });
  }

  /** Draw elements above everything else on their page. */
  bringToFront(ids: string | readonly string[]): void {
    this.assertUnlocked('reordering');
    let top = 0;
    for (const z of this.topZ.values()) top = Math.max(top, z);
    this.edit(ids, (m) => m.set(K.z, ++top));
  }

  /** Object eraser: remove whole elements. */
  erase(ids: string | readonly string[]): void {
    this.assertUnlocked('erasing');
    const list = typeof ids === 'string' ? [ids] : ids;
    this.ctx.doc.transact(() => {
      for (const id of list) this.map.delete(ELEMENT_PREFIX + id);
    }, this.localOrigin);
  }

  /** Remove every element of a page. */
  clearPage(pageId: string): void {
    this.erase(this.elements(pageId).map((e) => e.id));
  }

  /** Pages in order (the default page when none was added). */
  pages(): PageInfo[] {
    return readPages(this.map, (id, reason) => this.ctx.report({ docType: this.docType, path: PAGE_PREFIX + id.slice(0, 80), reason }));
  }

  /** Add a page after the last one; returns its id. */
  addPage(title?: string): string {
    this.assertUnlocked('adding pages');
    const pages = this.pages();
    const t = title ?? `Page ${pages.length + 1}`;
    checkInput(t, typeof t === 'string' && t.length <= 200, 'page title');
    const id = newElementId();
    const order = Math.max(0, ...pages.map((p) => p.order)) + 1;
    this.ctx.doc.transact(() => {
      // Materialise the implicit default page so it keeps its place once real pages exist.
      if (!this.map.has(PAGE_PREFIX + DEFAULT_PAGE_ID) && pages.length === 1 && pages[0]?.id === DEFAULT_PAGE_ID) {
        this.map.set(PAGE_PREFIX + DEFAULT_PAGE_ID, { title: 'Page 1', order: 0 });
      }
      this.map.set(PAGE_PREFIX + id, { title: t, order });
    }, this.localOrigin);
    return id;
  }

  /** Rename a page. */
  renamePage(id: string, title: string): void {
    this.assertUnlocked('renaming pages');
    checkInput(title, typeof title === 'string' && title.length <= 200, 'page title');
    const page = this.pages().find((p) => p.id === id);
    if (page === undefined) return;
    this.ctx.doc.transact(() => this.map.set(PAGE_PREFIX + id, { title, order: page.order }), this.localOrigin);
  }

  /** Remove a page and everything on it. */
  removePage(id: string): void {
    this.assertUnlocked('removing pages');
    const ids = this.elements(id).map((e) => e.id);
    this.ctx.doc.transact(() => {
      for (const e of ids) this.map.delete(ELEMENT_PREFIX + e);
      this.map.delete(PAGE_PREFIX + id);
    }, this.localOrigin);
  }

  /** SVG of one page, strokes smoothed with perfect-freehand. */
  exportSvg(pageId: string = DEFAULT_PAGE_ID, options?: SvgOptions): string {
    return elementsToSvg(this.elements(pageId), options);
  }

  /** Elements whose box (grown by the stroke width and `tolerance`) contains the point; topmost first. For the eraser tool. */
  hitTest(pageId: string, x: number, y: number, tolerance = 4): BoardElement[] {
    const out: BoardElement[] = [];
    for (const el of this.elements(pageId)) {
      const pad = el.width / 2 + tolerance;
      const x0 = Math.min(el.x, el.x + el.w) - pad;
      const x1 = Math.max(el.x, el.x + el.w) + pad;
      const y0 = Math.min(el.y, el.y + el.h) - pad;
      const y1 = Math.max(el.y, el.y + el.h) + pad;
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      if (el.kind === 'ink' && !el.points.some((p) => Math.hypot(p.x - x, p.y - y) <= pad)) continue;
      out.push(el);
    }
    return out.reverse();
  }

  /** Undo this peer's last edit. Other peers' edits are never undone. Returns false when nothing to undo. */
  undo(): boolean {
    this.assertUnlocked('undo');
    return this.undoManager.undo() !== null;
  }

  /** Redo this peer's last undone edit. */
  redo(): boolean {
    this.assertUnlocked('redo');
    return this.undoManager.redo() !== null;
  }

  /** Whether {@link Board.undo} has something to revert. */
  canUndo(): boolean {
    return this.undoManager.canUndo();
  }

  /** Whether {@link Board.redo} has something to reapply. */
  canRedo(): boolean {
    return this.undoManager.canRedo();
  }

  /** Start a new undo step (edits within the capture timeout merge otherwise). */
  stopCapturing(): void {
    this.undoManager.stopCapturing();
  }

  /** Group several edits into one transaction and one undo step. */
  batch(fn: () => void): void {
    this.ctx.doc.transact(fn, this.localOrigin);
  }

  /** Stop observing the doc. */
  override destroy(): void {
    this.map.unobserveDeep(this.observer);
    this.undoManager.destroy();
    super.destroy();
  }

  private assertUnlocked(action: string): void {
    if (this.ctx.localRole !== 'teacher' && this.ctx.isBoardLocked()) throw new BoardLockedError(action);
  }

  private checkCoord(v: number): void {
    checkInput(v, Number.isFinite(v) && Math.abs(v) <= L.coordinate, 'coordinate');
  }

  private insert(kind: ElementKind, pageId: string, col: string | undefined, width: number, box: readonly [number, number, number, number] | null, extra: (m: Y.Map<unknown>) => void): string {
    checkInput(pageId, typeof pageId === 'string' && pageId.length > 0 && pageId.length <= L.idLength, 'page id');
    const c = col ?? '#000000';
    checkInput(c, !isInvalid(color(c)), 'colour');
    checkInput(width, Number.isFinite(width) && width >= 0 && width <= L.strokeWidth, 'width');
    for (const v of box ?? []) this.checkCoord(v);
    const id = newElementId();
    const top = this.topZ.get(pageId) ?? 0;
    const m = new Y.Map<unknown>();
    this.ctx.doc.transact(() => {
      this.map.set(ELEMENT_PREFIX + id, m);
      m.set(K.kind, kind);
      m.set(K.pageId, pageId);
      m.set(K.color, c);
      m.set(K.width, width);
      if (box !== null) {
        m.set(K.x, box[0]);
        m.set(K.y, box[1]);
        m.set(K.w, box[2]);
        m.set(K.h, box[3]);
      }
      m.set(K.z, top + 1);
      m.set(K.author, this.ctx.localPeerId.slice(0, L.idLength));
      extra(m);
    }, this.localOrigin);
    return id;
  }

  private edit(ids: string | readonly string[], fn: (m: Y.Map<unknown>, el: BoardElement) => void): void {
    const list = typeof ids === 'string' ? [ids] : ids;
    this.ctx.doc.transact(() => {
      for (const id of list) {
        const el = this.cache.get(id);
        const m = this.map.get(ELEMENT_PREFIX + id);
        if (el === undefined || !(m instanceof Y.Map)) continue;
        fn(m as Y.Map<unknown>, el);
      }
    }, this.localOrigin);
  }

  private remember(id: string, el: BoardElement): void {
    this.cache.set(id, el);
    if (el.z > (this.topZ.get(el.pageId) ?? 0)) this.topZ.set(el.pageId, el.z);
  }

  private report(id: string, reason: string): void {
    this.ctx.report({ docType: this.docType, path: `${ELEMENT_PREFIX}${id.slice(0, 80)}`, reason });
  }

  private onEvents(events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction): void {
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
    if (touched.size === 0 && !pages) return;
    const change: BoardChange = { added: [], updated: [], removed: [], pages, local: tr.origin === this.localOrigin || tr.origin === this.undoManager };
    for (const key of touched) {
      const id = key.slice(ELEMENT_PREFIX.length);
      const had = this.cache.has(id);
      const value = this.map.get(key);
      if (value === undefined) {
        if (had) {
          this.cache.delete(id);
          change.removed.push(id);
        }
        continue;
      }
      const r = readElement(id, value);
      if (r.ok) {
        this.remember(id, r.element);
        (had ? change.updated : change.added).push(id);
      } else {
        this.report(id, r.reason);
        if (had) {
          this.cache.delete(id);
          change.removed.push(id);
        }
      }
    }
    if (change.added.length + change.updated.length + change.removed.length === 0 && !pages) return;
    try {
      this.emit('change', [change]);
    } catch (err) {
      // A renderer's bug must not break Yjs' observer chain (other observers would miss the event).
      queueMicrotask(() => { throw err; });
    }
  }
}
