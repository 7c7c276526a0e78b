/** Pan and zoom: screen = (board - origin) * scale. */
export interface Viewport {
  x: number;
  y: number;
  scale: number;
}

/** Zoom limits of the board view. */
export const MIN_SCALE = 0.1;
export const MAX_SCALE = 8;
/** One zoom button step. */
export const ZOOM_STEP = 1.25;
/** Wheel delta (px) that zooms by a factor of e with Ctrl/⌘ held. */
const WHEEL_ZOOM_PX = 300;
/** Margin (CSS px) kept around a fitted width (slides). */
const FIT_MARGIN = 16;

/** The view before any pan or zoom. */
export const HOME: Viewport = Object.freeze({ x: 0, y: 0, scale: 1 });

/** `scale` within [MIN_SCALE, MAX_SCALE]. */
export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Screen (CSS px relative to the canvas) to board coordinates. */
export function toBoard(v: Viewport, sx: number, sy: number): { x: number; y: number } {
  return { x: sx / v.scale + v.x, y: sy / v.scale + v.y };
}

/** Zooms to `scale` (clamped) keeping the board point under the screen point (sx, sy) in place. */
export function zoomAt(v: Viewport, scale: number, sx: number, sy: number): Viewport {
  const next = clampScale(scale);
  const anchor = toBoard(v, sx, sy);
  return { scale: next, x: anchor.x - sx / next, y: anchor.y - sy / next };
}

/** Scrolls by a screen distance (a wheel or trackpad delta). */
export function scrollBy(v: Viewport, dsx: number, dsy: number): Viewport {
  return { ...v, x: v.x + dsx / v.scale, y: v.y + dsy / v.scale };
}

/** The view of a drag that started at `start` and has moved the pointer by (dsx, dsy) screen px: the board follows it. */
export function dragFrom(start: Viewport, dsx: number, dsy: number): Viewport {
  return { ...start, x: start.x - dsx / start.scale, y: start.y - dsy / start.scale };
}

/** What a wheel event does: Ctrl/⌘ (and trackpad pinch, which browsers report so) zooms about the pointer, else it scrolls. */
export function wheelView(v: Viewport, e: Pick<WheelEvent, 'deltaX' | 'deltaY' | 'ctrlKey' | 'metaKey'>, sx: number, sy: number): Viewport {
  if (e.ctrlKey || e.metaKey) return zoomAt(v, v.scale * Math.exp(-e.deltaY / WHEEL_ZOOM_PX), sx, sy);
  return scrollBy(v, e.deltaX, e.deltaY);
}

/** The view showing `boardWidth` board units (plus a margin) across `screenWidth` CSS px, from the board's top-left. */
export function fitWidth(screenWidth: number, boardWidth: number): Viewport {
  // The margin is in screen px on both sides (it was added in board units, so narrow screens cut the right edge off).
  const scale = clampScale(Math.max(1, screenWidth - 2 * FIT_MARGIN) / boardWidth);
  return { x: -FIT_MARGIN / scale, y: -FIT_MARGIN / scale, scale };
}

/** Board coordinates to screen (CSS px relative to the canvas). */
export function toScreen(v: Viewport, x: number, y: number): { x: number; y: number } {
  return { x: (x - v.x) * v.scale, y: (y - v.y) * v.scale };
}

/** The view showing the board rectangle (x, y, w, h) whole and centred on a `screenWidth`×`screenHeight` canvas. */
export function fitRect(rect: { x: number; y: number; w: number; h: number }, screenWidth: number, screenHeight: number): Viewport {
  const scale = clampScale(Math.min(screenWidth / rect.w, screenHeight / rect.h));
  return { scale, x: rect.x + rect.w / 2 - screenWidth / (2 * scale), y: rect.y + rect.h / 2 - screenHeight / (2 * scale) };
}
