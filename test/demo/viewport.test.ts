import { describe, expect, it } from 'vitest';
import { clampScale, dragFrom, fitWidth, HOME, MAX_SCALE, MIN_SCALE, scrollBy, toBoard, toScreen, wheelView, zoomAt } from '../../demo/src/board/viewport.js';

describe('board viewport maths (demo)', () => {
  it('maps screen to board and back', () => {
    const v = { x: 10, y: -5, scale: 2 };
    const b = toBoard(v, 40, 30);
    expect(b).toEqual({ x: 30, y: 10 });
    expect(toScreen(v, b.x, b.y)).toEqual({ x: 40, y: 30 });
  });

  it('zooms about the pointer: the board point under it stays put, scale clamped', () => {
    const v = { x: 3, y: 7, scale: 1.5 };
    const before = toBoard(v, 120, 80);
    const z = zoomAt(v, 4, 120, 80);
    expect(z.scale).toBe(4);
    const after = toBoard(z, 120, 80);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
    expect(zoomAt(v, 1000, 0, 0).scale).toBe(MAX_SCALE);
    expect(clampScale(0)).toBe(MIN_SCALE);
  });

  it('a drag moves the board with the pointer; a wheel scrolls, with Ctrl it zooms', () => {
    const start = { x: 0, y: 0, scale: 2 };
    const dragged = dragFrom(start, 20, -10);
    expect(toScreen(dragged, 0, 0)).toEqual({ x: 20, y: -10 });
    expect(scrollBy(HOME, 5, 6)).toEqual({ x: 5, y: 6, scale: 1 });
    expect(wheelView(HOME, { deltaX: 0, deltaY: 30, ctrlKey: false, metaKey: false }, 0, 0)).toEqual({ x: 0, y: 30, scale: 1 });
    expect(wheelView(HOME, { deltaX: 0, deltaY: -300, ctrlKey: true, metaKey: false }, 0, 0).scale).toBeCloseTo(Math.E);
  });

  it('fits a width with a margin on each side', () => {
    const v = fitWidth(532, 500);
    expect(v.scale).toBeCloseTo(1);
    expect(toScreen(v, 0, 0)).toEqual({ x: 16, y: 16 });
    expect(toScreen(v, 500, 0).x).toBeCloseTo(516);
    // A phone: the right edge stays 16 px inside too.
    const phone = fitWidth(375, 960);
    expect(toScreen(phone, 0, 0).x).toBeCloseTo(16);
    expect(toScreen(phone, 960, 0).x).toBeCloseTo(359);
  });
});
