/**
 * The board editor: the write API over one top-level Y.Map of board elements, with per-user undo.
 * The model and its decoder live in boardModel.ts, the validated live cache in boardLive.ts, read-only
 * past states in boardView.ts; this file only turns local calls into validated writes.
 */
import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { encodeInk, MAX_INK_POINTS } from './ink.js';
import type { InkPoint } from './ink.js';
import { LiveElements } from './boardLive.js';
import type { BoardEvents } from './boardLive.js';
import { BOARD_LIMITS, DEFAULT_PAGE_ID, ELEMENT_KEYS, ELEMENT_PREFIX, elementsOnPage, PAGE_PREFIX, readPages, SHAPE_KINDS } from './boardModel.js';
import type { BoardElement, ElementKind, PageInfo, ShapeKind } from './boardModel.js';
import { elementsAt } from './hitTest.js';
import { newDocId } from './ids.js';
import { elementsToSvg } from './svg.js';
import type { SvgOptions } from './svg.js';
import { BoardLockedError, InvalidInputError, PermissionError } from './types.js';
import type { DocContext } from './types.js';
import { color, isInvalid } from './validate.js';

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

const K = ELEMENT_KEYS;
const L = BOARD_LIMITS;
const PAGE_TITLE_LENGTH = 200;

function checkInput<T>(value: T, ok: boolean, what: string): T {
  if (!ok) throw new InvalidInputError(`invalid ${what}: ${String(value).slice(0, 40)}`);
  return value;
}

function checkCoord(v: number): void {
  checkInput(v, Number.isFinite(v) && Math.abs(v) <= L.coordinate, 'coordinate');
}

/**
 * A set of board elements inside one top-level Y.Map (keys `e:<id>`). The whiteboard and the
 * presentation's annotation layers are both Boards. Reads are served from a validated cache;
 * writes go through the local undo origin so {@link Board.undo} only reverts this peer's edits.
 * While `ctx.isReadOnly()` every mutating call throws {@link BoardLockedError}.
 */
export class Board extends ObservableV2<BoardEvents> {
  /** Origin of this peer's board transactions; the undo manager tracks only this. */
  readonly localOrigin: object = { board: true };
  private readonly live: LiveElements;
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
    this.live = new LiveElements(map, (id, reason) => this.ctx.report({ docType: this.docType, path: `${ELEMENT_PREFIX}${id.slice(0, 80)}`, reason }));
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
    return elementsOnPage(this.live.values(), pageId);
  }

  /** One element, if present and valid. */
  element(id: string): BoardElement | undefined {
    return this.live.get(id);
  }

  /** Number of valid elements. */
  get size(): number {
    return this.live.size;
  }

  /** Add a freehand stroke; returns its id. */
  addInk(input: InkInput): string {
    this.assertWritable('drawing');
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
    this.assertWritable('drawing');
    checkInput(input.kind, SHAPE_KINDS.includes(input.kind), 'shape kind');
    const fill = input.fill ?? null;
    if (fill !== null) checkInput(fill, !isInvalid(color(fill)), 'fill');
    return this.insert(input.kind, input.pageId, input.color, input.width ?? 3, [input.x, input.y, input.w, input.h], (m) => m.set(K.fill, fill));
  }

  /** Add a text box; returns its id. */
  addText(input: TextInput): string {
    this.assertWritable('writing text');
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
    this.assertWritable('moving');
    checkCoord(dx);
    checkCoord(dy);
    this.edit(ids, (m, el) => {
      m.set(K.x, el.x + dx);
      m.set(K.y, el.y + dy);
    });
  }

  /** Set an element's box (resize; ink strokes are scaled to fit). */
  resize(id: string, box: { x?: number; y?: number; w: number; h: number }): void {
    this.assertWritable('resizing');
    for (const v of [box.x ?? 0, box.y ?? 0, box.w, box.h]) checkCoord(v);
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
    this.assertWritable('restyling');
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
    this.assertWritable('writing text');
    checkInput(text, typeof text === 'string' && text.length <= L.textLength, 'text');
    this.edit(id, (m, el) => {
      if (el.kind === 'text') m.set(K.text, text);
    });
  }

  /** Draw elements above everything else on their page. */
  bringToFront(ids: string | readonly string[]): void {
    this.assertWritable('reordering');
    let top = this.live.top();
    this.edit(ids, (m) => m.set(K.z, ++top));
  }

  /** Object eraser: remove whole elements (under write policies, a student erases only its own; others are skipped). */
  erase(ids: string | readonly string[]): void {
    this.assertWritable('erasing');
    const list = (typeof ids === 'string' ? [ids] : ids).filter((id) => this.mayChange(id));
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

  /** Add a page after the last one; returns its id. Under write policies pages are the teacher's. */
  addPage(title?: string): string {
    this.assertWritable('adding pages');
    this.assertPages('add pages');
    const pages = this.pages();
    const t = title ?? `Page ${pages.length + 1}`;
    checkInput(t, typeof t === 'string' && t.length <= PAGE_TITLE_LENGTH, 'page title');
    const id = newDocId();
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
    this.assertWritable('renaming pages');
    this.assertPages('rename pages');
    checkInput(title, typeof title === 'string' && title.length <= PAGE_TITLE_LENGTH, 'page title');
    const page = this.pages().find((p) => p.id === id);
    if (page === undefined) return;
    this.ctx.doc.transact(() => this.map.set(PAGE_PREFIX + id, { title, order: page.order }), this.localOrigin);
  }

  /** Remove a page and everything on it. */
  removePage(id: string): void {
    this.assertWritable('removing pages');
    this.assertPages('remove pages');
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

  /** Elements under a point, topmost first (see {@link elementsAt}). For the eraser tool. */
  hitTest(pageId: string, x: number, y: number, tolerance?: number): BoardElement[] {
    return elementsAt(this.elements(pageId), x, y, tolerance);
  }

  /** Undo this peer's last edit. Other peers' edits are never undone. Returns false when nothing to undo. */
  undo(): boolean {
    this.assertWritable('undo');
    return this.undoManager.undo() !== null;
  }

  /** Redo this peer's last undone edit. */
  redo(): boolean {
    this.assertWritable('redo');
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

  private assertWritable(action: string): void {
    if (this.ctx.isReadOnly()) throw new BoardLockedError(action, this.docType);
  }

  private assertPages(action: string): void {
    if (this.ctx.canModify !== undefined && this.ctx.localRole !== 'teacher') throw new PermissionError(action);
  }

  /** Whether write policies let this peer change element `id` (its own, or any for the teacher). */
  private mayChange(id: string): boolean {
    if (this.ctx.canModify === undefined) return true;
    const el = this.live.get(id);
    return el !== undefined && this.ctx.canModify(el.author);
  }

  private insert(kind: ElementKind, pageId: string, col: string | undefined, width: number, box: readonly [number, number, number, number] | null, extra: (m: Y.Map<unknown>) => void): string {
    checkInput(pageId, typeof pageId === 'string' && pageId.length > 0 && pageId.length <= L.idLength, 'page id');
    const c = col ?? '#000000';
    checkInput(c, !isInvalid(color(c)), 'colour');
    checkInput(width, Number.isFinite(width) && width >= 0 && width <= L.strokeWidth, 'width');
    for (const v of box ?? []) checkCoord(v);
    const id = newDocId();
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
      m.set(K.z, this.live.topOf(pageId) + 1);
      m.set(K.author, this.ctx.localPeerId.slice(0, L.idLength));
      extra(m);
    }, this.localOrigin);
    return id;
  }

  private edit(ids: string | readonly string[], fn: (m: Y.Map<unknown>, el: BoardElement) => void): void {
    const list = typeof ids === 'string' ? [ids] : ids;
    this.ctx.doc.transact(() => {
      for (const id of list) {
        const el = this.live.get(id);
        const m = this.map.get(ELEMENT_PREFIX + id);
        if (el === undefined || !(m instanceof Y.Map) || !this.mayChange(id)) continue;
        fn(m as Y.Map<unknown>, el);
      }
    }, this.localOrigin);
  }

  private onEvents(events: Array<Y.YEvent<Y.AbstractType<unknown>>>, tr: Y.Transaction): void {
    const change = this.live.apply(events, tr.origin === this.localOrigin || tr.origin === this.undoManager);
    if (change === null) return;
    try {
      this.emit('change', [change]);
    } catch (err) {
      // A renderer's bug must not break Yjs' observer chain (other observers would miss the event).
      queueMicrotask(() => { throw err; });
    }
  }
}
