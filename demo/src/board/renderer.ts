import { inkPath } from 'peerclass';
import type { BoardChange, BoardElement } from 'peerclass';
import type { Viewport } from './viewport.js';

/** What the renderer reads: a Board (whiteboard or slide annotations) or a past view of one. */
export interface BoardSource {
  elements(pageId?: string): BoardElement[];
  element?(id: string): BoardElement | undefined;
}

interface Cached {
  /** Element as it was when the path was built (a changed element gets a new object from the board). */
  el: BoardElement;
  path: Path2D | null;
  /** Bounds in board units, padded by the stroke width, for culling. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Paints one page of a board on a canvas. Ink outlines (perfect-freehand) are computed once per
 * element version and kept as Path2D; an added element on top of the page is painted alone, and
 * anything else (update, removal, pan, zoom) repaints from the cached paths, skipping elements outside the view.
 */
/** A 2D context the renderer paints with: the board is painted in offscreen buffers, then shown. */
export type BoardContext2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export class BoardRenderer {
  /** The visible canvas; only ever receives whole-frame blits of {@link front}. */
  private readonly screen: CanvasRenderingContext2D;
  /**
   * Painting happens in an offscreen front buffer. A pan shifts it into the back buffer and swaps: copying a
   * canvas onto itself makes Chromium snapshot it first (~5 ms at 1280×800), a blit between buffers is ~1 ms.
   */
  private front: OffscreenCanvas;
  private back: OffscreenCanvas;
  private ctx: BoardContext2D;
  private readonly cache = new Map<string, Cached>();
  private view: Viewport = { x: 0, y: 0, scale: 1 };
  private pageId: string;
  private cssWidth = 1;
  private cssHeight = 1;
  private dpr = 1;
  private topZ = -Infinity;
  private frame: number | null = null;
  /**
   * The page's elements in paint order as of the last full redraw (plus incremental additions). Reading
   * them back from the board walks the Yjs structure (~8 ms for 10k strokes), too slow for every pan frame.
   */
  private ordered: Cached[] | null = null;
  /** Paints requested by the last full redraw, for tests and the benchmark. */
  fullRedraws = 0;
  /** Elements painted alone (incremental path). */
  incrementalPaints = 0;
  /** Background under the page (slides paint their image here). */
  background: ((ctx: BoardContext2D) => void) | null = null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private source: BoardSource,
    pageId: string,
  ) {
    const screen = canvas.getContext('2d');
    if (screen === null) throw new Error('2d canvas not available');
    this.screen = screen;
    this.front = new OffscreenCanvas(canvas.width, canvas.height);
    this.back = new OffscreenCanvas(canvas.width, canvas.height);
    this.ctx = context(this.front);
    this.pageId = pageId;
  }

  /** Show another board (e.g. a past state while replaying). */
  setSource(source: BoardSource): void {
    this.source = source;
    this.cache.clear();
    this.ordered = null;
    this.redraw();
  }

  /** Show another page. */
  setPage(pageId: string): void {
    if (pageId === this.pageId) return;
    this.pageId = pageId;
    this.ordered = null;
    this.redraw();
  }

  /** Current page. */
  get page(): string {
    return this.pageId;
  }

  /** Current viewport. */
  get viewport(): Viewport {
    return { ...this.view };
  }

  /**
   * Pan/zoom, then repaint. A pan at the same zoom shifts the pixels already on the canvas and paints
   * only the strips that came into view, so its cost does not grow with the number of elements.
   */
  setViewport(view: Viewport): void {
    const old = this.view;
    const k = old.scale * this.dpr;
    const dx = Math.round((old.x - view.x) * k);
    const dy = Math.round((old.y - view.y) * k);
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (view.scale !== old.scale || this.frame !== null || Math.abs(dx) >= w || Math.abs(dy) >= h || this.fullRedraws === 0) {
      this.view = { ...view };
      this.redraw();
      return;
    }
    // Snap to whole device pixels so the shifted copy stays sharp.
    this.view = { scale: view.scale, x: old.x - dx / k, y: old.y - dy / k };
    if (dx === 0 && dy === 0) return;
    const previous = this.front;
    [this.front, this.back] = [this.back, this.front];
    this.ctx = context(this.front);
    const ctx = this.ctx;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalCompositeOperation = 'copy';
    ctx.drawImage(previous, dx, dy);
    ctx.restore();
    if (dx > 0) this.paintRegion(0, 0, dx, h);
    if (dx < 0) this.paintRegion(w + dx, 0, w, h);
    if (dy > 0) this.paintRegion(0, 0, w, dy);
    if (dy < 0) this.paintRegion(0, h + dy, w, h);
    this.present();
  }

  /** Shows the front buffer on the visible canvas. */
  private present(): void {
    this.screen.save();
    this.screen.setTransform(1, 0, 0, 1, 0, 0);
    this.screen.globalCompositeOperation = 'copy';
    this.screen.drawImage(this.front, 0, 0);
    this.screen.restore();
  }

  /** Match the canvas' backing store to its CSS size. */
  resize(cssWidth: number, cssHeight: number, dpr = globalThis.devicePixelRatio || 1): void {
    this.cssWidth = Math.max(1, Math.floor(cssWidth));
    this.cssHeight = Math.max(1, Math.floor(cssHeight));
    this.dpr = dpr;
    this.canvas.width = Math.round(this.cssWidth * dpr);
    this.canvas.height = Math.round(this.cssHeight * dpr);
    for (const b of [this.front, this.back]) {
      b.width = this.canvas.width;
      b.height = this.canvas.height;
    }
    this.redraw();
  }

  /** Screen (CSS px relative to the canvas) to board coordinates. */
  toBoard(sx: number, sy: number): { x: number; y: number } {
    return { x: sx / this.view.scale + this.view.x, y: sy / this.view.scale + this.view.y };
  }

  /** Board coordinates to screen (CSS px). */
  toScreen(x: number, y: number): { x: number; y: number } {
    return { x: (x - this.view.x) * this.view.scale, y: (y - this.view.y) * this.view.scale };
  }

  /**
   * React to a board change: newly added elements that land on top of this page are painted alone;
   * anything else schedules one full repaint from cached paths.
   */
  applyChange(change: BoardChange): void {
    for (const id of change.updated) this.cache.delete(id);
    for (const id of change.removed) this.cache.delete(id);
    let full = change.updated.length > 0 || change.removed.length > 0 || this.frame !== null;
    const added: BoardElement[] = [];
    if (!full) {
      for (const id of change.added) {
        const el = this.lookup(id);
        if (el === undefined || el.pageId !== this.pageId) continue;
        if (el.z < this.topZ) {
          full = true;
          break;
        }
        added.push(el);
      }
    }
    if (full) {
      this.ordered = null;
      this.scheduleRedraw();
      return;
    }
    this.ctx.save();
    this.applyTransform();
    for (const el of added) {
      this.paint(el);
      // On top of everything painted so far, so appending keeps paint order.
      this.ordered?.push(this.cached(el));
      this.incrementalPaints++;
    }
    this.ctx.restore();
    if (added.length === 0) return;
    // The same few elements on the visible canvas: cheaper than blitting the whole frame for one stroke.
    const buffer = this.ctx;
    this.ctx = this.screen;
    this.ctx.save();
    this.applyTransform();
    for (const el of added) this.paintCached(this.cached(el));
    this.ctx.restore();
    this.ctx = buffer;
  }

  /** Repaint on the next animation frame (coalesces bursts of changes). */
  scheduleRedraw(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.redraw();
    });
  }

  /** Repaint the whole visible page now. */
  redraw(): void {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    this.fullRedraws++;
    this.topZ = -Infinity;
    // A full redraw re-reads the board: callers use it after changes that did not come through applyChange.
    this.ordered = null;
    this.paintRegion(0, 0, this.canvas.width, this.canvas.height);
    this.present();
  }

  /** Repaint a rectangle of the canvas (device pixels): only elements whose bounds meet it. */
  private paintRegion(px0: number, py0: number, px1: number, py1: number): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.beginPath();
    ctx.rect(px0, py0, px1 - px0, py1 - py0);
    ctx.clip();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(px0, py0, px1 - px0, py1 - py0);
    this.applyTransform();
    this.background?.(ctx);
    const k = this.view.scale * this.dpr;
    const vx0 = this.view.x + px0 / k;
    const vy0 = this.view.y + py0 / k;
    const vx1 = this.view.x + px1 / k;
    const vy1 = this.view.y + py1 / k;
    let list = this.ordered;
    if (list === null) {
      list = [];
      for (const el of this.source.elements(this.pageId)) {
        if (el.z > this.topZ) this.topZ = el.z;
        list.push(this.cached(el));
      }
      this.ordered = list;
    }
    for (const c of list) {
      if (c.x1 < vx0 || c.x0 > vx1 || c.y1 < vy0 || c.y0 > vy1) continue;
      this.paintCached(c);
    }
    ctx.restore();
  }

  /** Stop pending frames. */
  destroy(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  private lookup(id: string): BoardElement | undefined {
    if (this.source.element !== undefined) return this.source.element(id);
    return this.source.elements().find((e) => e.id === id);
  }

  private applyTransform(): void {
    const s = this.view.scale * this.dpr;
    this.ctx.setTransform(s, 0, 0, s, -this.view.x * s, -this.view.y * s);
  }

  private paint(el: BoardElement): void {
    if (el.z > this.topZ) this.topZ = el.z;
    this.paintCached(this.cached(el));
  }

  private cached(el: BoardElement): Cached {
    const hit = this.cache.get(el.id);
    if (hit !== undefined && hit.el === el) return hit;
    const pad = el.width + (el.kind === 'text' ? 0 : 2);
    let x0 = Math.min(el.x, el.x + el.w) - pad;
    let y0 = Math.min(el.y, el.y + el.h) - pad;
    let x1 = Math.max(el.x, el.x + el.w) + pad;
    let y1 = Math.max(el.y, el.y + el.h) + pad;
    if (el.kind === 'text') {
      // Text boxes may be auto-sized (w/h 0): estimate from the text.
      const lines = el.text.split('\n');
      x1 = Math.max(x1, el.x + Math.max(...lines.map((l) => l.length)) * el.fontSize * 0.7);
      y1 = Math.max(y1, el.y + lines.length * el.fontSize * 1.3);
    }
    if (el.kind === 'ink' && el.points.length > 0) {
      x0 = Math.min(x0, ...el.points.map((p) => p.x)) - pad;
      y0 = Math.min(y0, ...el.points.map((p) => p.y)) - pad;
      x1 = Math.max(x1, ...el.points.map((p) => p.x)) + pad;
      y1 = Math.max(y1, ...el.points.map((p) => p.y)) + pad;
    }
    const c: Cached = { el, path: buildPath(el), x0, y0, x1, y1 };
    this.cache.set(el.id, c);
    return c;
  }

  private paintCached(c: Cached): void {
    const ctx = this.ctx;
    const el = c.el;
    if (el.kind === 'ink') {
      if (c.path === null) return;
      ctx.fillStyle = el.color;
      ctx.fill(c.path);
      return;
    }
    if (el.kind === 'text') {
      ctx.fillStyle = el.color;
      ctx.font = `${el.fontSize}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      el.text.split('\n').forEach((line, i) => ctx.fillText(line, el.x, el.y + i * el.fontSize * 1.25));
      return;
    }
    if (c.path === null) return;
    ctx.lineWidth = el.width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = el.color;
    if ((el.kind === 'rect' || el.kind === 'ellipse') && el.fill !== null) {
      ctx.fillStyle = el.fill;
      ctx.fill(c.path);
    }
    ctx.stroke(c.path);
  }
}

function context(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('2d offscreen canvas not available');
  return ctx;
}

/** Path of an element in board coordinates (null for text, painted with fillText). */
export function buildPath(el: BoardElement): Path2D | null {
  switch (el.kind) {
    case 'ink': {
      const d = inkPath(el);
      return d === '' ? null : new Path2D(d);
    }
    case 'rect': {
      const p = new Path2D();
      p.rect(el.x, el.y, el.w, el.h);
      return p;
    }
    case 'ellipse': {
      const p = new Path2D();
      p.ellipse(el.x + el.w / 2, el.y + el.h / 2, Math.abs(el.w / 2), Math.abs(el.h / 2), 0, 0, Math.PI * 2);
      return p;
    }
    case 'line':
    case 'arrow': {
      const p = new Path2D();
      const x2 = el.x + el.w;
      const y2 = el.y + el.h;
      p.moveTo(el.x, el.y);
      p.lineTo(x2, y2);
      if (el.kind === 'arrow') {
        const a = Math.atan2(el.h, el.w);
        const head = Math.max(10, el.width * 4);
        p.moveTo(x2, y2);
        p.lineTo(x2 - head * Math.cos(a - 0.45), y2 - head * Math.sin(a - 0.45));
        p.moveTo(x2, y2);
        p.lineTo(x2 - head * Math.cos(a + 0.45), y2 - head * Math.sin(a + 0.45));
      }
      return p;
    }
    case 'text':
      return null;
  }
}
