/** Which board elements lie under a point: the eraser and selection tools ask this on every pointer move. */
import type { BoardElement } from './boardModel.js';

/** How far (board units) beyond an element's stroke a pointer still counts as touching it, by default. */
export const DEFAULT_HIT_TOLERANCE = 4;

/**
 * Elements whose box, grown by half the stroke width and `tolerance`, contains (x, y); topmost first.
 * `elements` must be in drawing order (as `Board.elements` returns them). An ink stroke must also have a
 * sample point that close: a diagonal stroke's box is mostly empty, and erasing across it would be surprising.
 */
export function elementsAt(elements: readonly BoardElement[], x: number, y: number, tolerance = DEFAULT_HIT_TOLERANCE): BoardElement[] {
  const out: BoardElement[] = [];
  for (const el of elements) {
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
