import { inkPath } from 'peerclass';
import type { Board, BoardElement, InkElement, ShapeKind } from 'peerclass';
import { buildPath } from './renderer.js';
import { dragFrom, toBoard } from './viewport.js';
import type { Viewport } from './viewport.js';

/** A whiteboard tool. */
export type Tool = 'pen' | ShapeKind | 'text' | 'eraser' | 'pan';

/** A tool as the toolbar shows it. */
export interface ToolInfo {
  id: Tool;
  label: string;
  /** Keyboard shortcut (upper case). */
  key: string;
  icon: string;
}

export const TOOLS: readonly ToolInfo[] = [
  { id: 'pen', label: 'Pen', key: 'P', icon: '✎' },
  { id: 'rect', label: 'Rectangle', key: 'R', icon: '▭' },
  { id: 'ellipse', label: 'Ellipse', key: 'O', icon: '◯' },
  { id: 'line', label: 'Line', key: 'L', icon: '╱' },
  { id: 'arrow', label: 'Arrow', key: 'A', icon: '➚' },
  { id: 'text', label: 'Text', key: 'T', icon: 'T' },
  { id: 'eraser', label: 'Eraser', key: 'E', icon: '⌫' },
  { id: 'pan', label: 'Pan', key: 'H', icon: '↔' },
];
export const COLORS: readonly string[] = ['#1b1f24', '#d32f2f', '#1f5fbf', '#2e7d32', '#f57c00', '#8e24aa'];
export const WIDTHS: readonly number[] = [2, 4, 8, 16];

/** The tool a plain key press selects, if any. */
export function toolForKey(key: string): Tool | undefined {
  return TOOLS.find((t) => t.key === key.toUpperCase())?.id;
}

/** One pointer position in screen coordinates (CSS px relative to the canvas). */
export interface PointerSample {
  sx: number;
  sy: number;
  pressure: number;
  pointerType: string;
}

/** Where the text tool was clicked: board coordinates and the screen position for the input box. */
export interface TextAnchor {
  x: number;
  y: number;
  sx: number;
  sy: number;
}

/** What the tools work on; the view component supplies it. */
export interface ToolHost {
  readonly board: Board;
  page(): string;
  style(): { color: string; width: number };
  view(): Viewport;
  setView(view: Viewport): void;
  /** Runs a board edit, reporting why it failed (e.g. the teacher locked the board). */
  edit(fn: () => void): void;
  /** The text tool wants a text typed at `at`; the host commits it with {@link BoardTools.addText}. */
  askText(at: TextAnchor): void;
}

type Gesture =
  | { kind: 'ink'; points: Array<[number, number, number]> }
  | { kind: 'shape'; shape: ShapeKind; x: number; y: number; x2: number; y2: number }
  | { kind: 'pan'; sx: number; sy: number; start: Viewport }
  | { kind: 'erase' };

/** Most points kept in one stroke (the board's limit). */
const MAX_INK_POINTS = 10_000;
/** Eraser reach, CSS px. */
const ERASER_PX = 6;
/** A shape dragged less than this (board units) in both directions is a click, not a shape. */
const MIN_SHAPE = 2;

/** Pen pressure when the device reports one, else a neutral value (mice and touch report 0 or 0.5). */
function pressureOf(p: PointerSample): number {
  return p.pressure > 0 && p.pointerType === 'pen' ? p.pressure : 0.5;
}

/**
 * Turns pointer gestures into board edits: a pen stroke, a shape, erasing, a pan, a text anchor.
 * Free of the DOM apart from painting the in-progress preview on a canvas context.
 */
export class BoardTools {
  private gesture: Gesture | null = null;

  constructor(private readonly host: ToolHost) {}

  /** A gesture starts with `tool`. */
  down(tool: Tool, p: PointerSample): void {
    const at = toBoard(this.host.view(), p.sx, p.sy);
    this.gesture = null;
    switch (tool) {
      case 'pan':
        this.gesture = { kind: 'pan', sx: p.sx, sy: p.sy, start: this.host.view() };
        break;
      case 'pen':
        this.gesture = { kind: 'ink', points: [[at.x, at.y, pressureOf(p)]] };
        break;
      case 'eraser':
        this.gesture = { kind: 'erase' };
        this.eraseAt(at.x, at.y);
        break;
      case 'text':
        this.host.askText({ x: at.x, y: at.y, sx: p.sx, sy: p.sy });
        break;
      default:
        this.gesture = { kind: 'shape', shape: tool, x: at.x, y: at.y, x2: at.x, y2: at.y };
    }
  }

  /**
   * The pointer moved through `samples` (coalesced events, oldest first; at least one).
   * Returns what needs repainting: the in-progress preview, the view (a pan), or nothing.
   */
  move(samples: readonly PointerSample[]): 'preview' | 'view' | null {
    const g = this.gesture;
    const last = samples[samples.length - 1];
    if (g === null || last === undefined) return null;
    if (g.kind === 'pan') {
      this.host.setView(dragFrom(g.start, last.sx - g.sx, last.sy - g.sy));
      return 'view';
    }
    const view = this.host.view();
    const at = toBoard(view, last.sx, last.sy);
    if (g.kind === 'erase') {
      this.eraseAt(at.x, at.y);
      return null;
    }
    if (g.kind === 'ink') {
      for (const s of samples) {
        const q = toBoard(view, s.sx, s.sy);
        g.points.push([q.x, q.y, pressureOf(s)]);
      }
    } else {
      g.x2 = at.x;
      g.y2 = at.y;
    }
    return 'preview';
  }

  /** The gesture ends (pointer up or cancelled): commits a stroke or shape. */
  up(): void {
    const g = this.gesture;
    this.gesture = null;
    if (g?.kind === 'ink') this.commitInk(g.points);
    else if (g?.kind === 'shape') this.commitShape(g);
  }

  /** Adds the text the {@link ToolHost.askText} request produced. */
  addText(at: TextAnchor, text: string): void {
    if (text.trim() === '') return;
    const { color, width } = this.host.style();
    this.host.edit(() => this.host.board.addText({ pageId: this.host.page(), x: at.x, y: at.y, text, color, fontSize: 12 + width * 3 }));
  }

  /** Paints the in-progress stroke or shape on `ctx` (a canvas over the board of the same size), clearing it first. */
  paintPreview(ctx: CanvasRenderingContext2D, dpr: number): void {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    const g = this.gesture;
    if (g === null || g.kind === 'pan' || g.kind === 'erase') return;
    const v = this.host.view();
    const k = v.scale * dpr;
    ctx.setTransform(k, 0, 0, k, -v.x * k, -v.y * k);
    const { color, width } = this.host.style();
    const base = { id: 'preview', pageId: this.host.page(), color, width, x: 0, y: 0, w: 0, h: 0, z: 0, author: '' };
    if (g.kind === 'ink') {
      const el: InkElement = { ...base, kind: 'ink', points: g.points.map(([x, y, pressure]) => ({ x, y, pressure })) };
      ctx.fillStyle = color;
      ctx.fill(new Path2D(inkPath(el)));
      return;
    }
    const el: BoardElement = { ...base, kind: g.shape, x: g.x, y: g.y, w: g.x2 - g.x, h: g.y2 - g.y, fill: null };
    const path = buildPath(el);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    if (path) ctx.stroke(path);
  }

  private eraseAt(x: number, y: number): void {
    const board = this.host.board;
    const hits = board.hitTest(this.host.page(), x, y, ERASER_PX / this.host.view().scale);
    if (hits.length > 0) this.host.edit(() => board.erase(hits.map((h) => h.id)));
  }

  private commitInk(points: Array<[number, number, number]>): void {
    const first = points[0];
    if (first === undefined) return;
    // A click leaves a dot: a stroke needs two points.
    const pts = points.length === 1 ? [first, [first[0] + 0.5, first[1], 0.5] as [number, number, number]] : points;
    const { color, width } = this.host.style();
    this.host.edit(() => this.host.board.addInk({ pageId: this.host.page(), points: pts.slice(0, MAX_INK_POINTS), color, width }));
  }

  private commitShape(g: Extract<Gesture, { kind: 'shape' }>): void {
    let { x, y } = g;
    let w = g.x2 - g.x;
    let h = g.y2 - g.y;
    if (Math.abs(w) < MIN_SHAPE && Math.abs(h) < MIN_SHAPE) return;
    if (g.shape === 'rect' || g.shape === 'ellipse') {
      // Boxes are stored with a positive size; lines and arrows keep their direction.
      x = Math.min(g.x, g.x2);
      y = Math.min(g.y, g.y2);
      w = Math.abs(w);
      h = Math.abs(h);
    }
    const { color, width } = this.host.style();
    this.host.edit(() => this.host.board.addShape({ pageId: this.host.page(), kind: g.shape, x, y, w, h, color, width }));
  }
}
