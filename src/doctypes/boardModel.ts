/**
 * The board's document model: element and page types, how they are stored in a Y.Map, and the decoder that
 * validates what peers wrote. Everything that reads a board (the live editor, past views, SVG export,
 * presentation annotations) goes through {@link readElement}, so they all agree on what is valid.
 */
import * as Y from 'yjs';
import { decodeInk } from './ink.js';
import type { InkPoint } from './ink.js';
import { bytes, color, fields, isInvalid, nullable, num, object, oneOf, optional, str } from './validate.js';

/** Kinds of board elements. */
export const ELEMENT_KINDS = ['ink', 'rect', 'ellipse', 'line', 'arrow', 'text'] as const;
/** A board element kind. */
export type ElementKind = (typeof ELEMENT_KINDS)[number];
/** Shape kinds (a box given by x, y, w, h; for line and arrow, (x, y) → (x + w, y + h)). */
export type ShapeKind = 'rect' | 'ellipse' | 'line' | 'arrow';
/** The shape kinds, for checking input. */
export const SHAPE_KINDS: readonly ShapeKind[] = Object.freeze(['rect', 'ellipse', 'line', 'arrow']);

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

/** The elements of one page (or all, when `pageId` is undefined), in drawing order. */
export function elementsOnPage(elements: Iterable<BoardElement>, pageId?: string): BoardElement[] {
  const out: BoardElement[] = [];
  for (const el of elements) if (pageId === undefined || el.pageId === pageId) out.push(el);
  return out.sort(drawingOrder);
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
