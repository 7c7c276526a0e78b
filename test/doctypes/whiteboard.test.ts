import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BoardLockedError, InvalidInputError } from '../../src/doctypes/types.js';
import { whiteboardType, WHITEBOARD } from '../../src/doctypes/whiteboard.js';
import { decodeInk, encodeInk } from '../../src/doctypes/ink.js';
import type { BoardChange } from '../../src/doctypes/boardLive.js';
import { makePeer, sync } from './util.js';

const stroke = (n: number, x0 = 10, y0 = 10) => Array.from({ length: n }, (_, i) => ({ x: x0 + i * 1.5, y: y0 + Math.sin(i / 3) * 20 }));

describe('ink encoding', () => {
  it('round-trips quantized points and stays compact', () => {
    const pts = stroke(30).map((p, i) => ({ ...p, pressure: (i % 10) / 10 }));
    const data = encodeInk(pts);
    const back = decodeInk(data);
    expect(back).toHaveLength(30);
    for (let i = 0; i < 30; i++) {
      expect(Math.abs(back[i]!.x - pts[i]!.x)).toBeLessThanOrEqual(0.125);
      expect(Math.abs(back[i]!.pressure - pts[i]!.pressure)).toBeLessThan(0.01);
    }
    // 30 points with pressure: far below one float64 pair per point (480 bytes).
    expect(data.length).toBeLessThan(150);
  });
  it('rejects truncated and oversized payloads', () => {
    const data = encodeInk(stroke(20));
    expect(() => decodeInk(data.slice(0, data.length - 3))).toThrow();
    expect(() => decodeInk(new Uint8Array([1, 0, 0xff, 0xff, 0x03]))).toThrow();
    expect(() => decodeInk(new Uint8Array([9]))).toThrow();
  });
});

describe('whiteboard', () => {
  it('syncs ink, shapes and text between peers with typed change events', () => {
    const a = makePeer('teacher');
    const b = makePeer();
    const wa = a.docs.register(whiteboardType);
    const wb = b.docs.register(whiteboardType);
    const changes: BoardChange[] = [];
    wb.on('change', (c) => changes.push(c));
    const ink = wa.addInk({ pageId: 'main', points: stroke(30), color: '#ff0000', width: 4 });
    const rect = wa.addShape({ pageId: 'main', kind: 'rect', x: 5, y: 5, w: 50, h: 40, fill: '#00ff00' });
    const text = wa.addText({ pageId: 'main', x: 100, y: 100, text: 'a < b & "c"' });
    sync(a.doc, b.doc);
    expect(wb.elements('main').map((e) => e.id).sort()).toEqual([ink, rect, text].sort());
    expect(changes.flatMap((c) => c.added).sort()).toEqual([ink, rect, text].sort());
    expect(changes.every((c) => !c.local)).toBe(true);
    const el = wb.element(ink);
    expect(el?.kind).toBe('ink');
    if (el?.kind === 'ink') expect(el.points).toHaveLength(30);

    changes.length = 0;
    wb.move(ink, 100, 50);
    wb.resize(rect, { w: 10, h: 20 });
    wb.setStyle(text, { color: '#0000ff' });
    expect(changes.flatMap((c) => c.updated).sort()).toEqual([ink, rect, text].sort());
    expect(changes.every((c) => c.local)).toBe(true);
    sync(a.doc, b.doc);
    const moved = wa.element(ink);
    expect(moved?.x).toBeCloseTo((el?.x ?? 0) + 100);
    if (moved?.kind === 'ink' && el?.kind === 'ink') expect(moved.points[0]!.y).toBeCloseTo(el.points[0]!.y + 50);
    expect(wa.element(rect)?.w).toBe(10);
    expect(wa.element(text)?.color).toBe('#0000ff');

    wa.erase(ink);
    sync(a.doc, b.doc);
    expect(wb.element(ink)).toBeUndefined();
    expect(wb.size).toBe(2);
  });

  it('resizing an ink stroke scales its points into the new box', () => {
    const a = makePeer();
    const w = a.docs.register(whiteboardType);
    const id = w.addInk({ pageId: 'main', points: [[0, 0], [10, 20], [20, 10]] });
    w.resize(id, { x: 100, y: 100, w: 40, h: 10 });
    const el = w.element(id);
    if (el?.kind !== 'ink') throw new Error('not ink');
    expect(el.points.map((p) => [p.x, p.y])).toEqual([[100, 100], [120, 110], [140, 105]]);
  });

  it('manages pages and exports escaped SVG with smoothed strokes', () => {
    const a = makePeer();
    const w = a.docs.register(whiteboardType);
    expect(w.pages().map((p) => p.id)).toEqual(['main']);
    const p2 = w.addPage('Second');
    expect(w.pages().map((p) => p.title)).toEqual(['Page 1', 'Second']);
    w.addInk({ pageId: p2, points: stroke(10) });
    w.addShape({ pageId: p2, kind: 'arrow', x: 0, y: 0, w: 30, h: 30 });
    w.addText({ pageId: p2, x: 1, y: 1, text: '<script>' });
    w.addShape({ pageId: 'main', kind: 'ellipse', x: 0, y: 0, w: 30, h: 30 });
    const svg = w.exportSvg(p2);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<path data-id=');
    expect(svg).toMatch(/d="M[\d.-]+,[\d.-]+ Q/);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<ellipse');
    w.removePage(p2);
    expect(w.elements(p2)).toHaveLength(0);
    expect(w.elements('main')).toHaveLength(1);
  });

  it('board lock: students get BoardLockedError, teachers keep drawing', () => {
    const t = makePeer('teacher');
    const s = makePeer('student');
    t.locked.value = true;
    s.locked.value = true;
    const wt = t.docs.register(whiteboardType);
    const ws = s.docs.register(whiteboardType);
    expect(() => ws.addInk({ pageId: 'main', points: stroke(3) })).toThrow(BoardLockedError);
    expect(() => ws.erase('x')).toThrow(BoardLockedError);
    expect(() => ws.undo()).toThrow(BoardLockedError);
    expect(wt.addInk({ pageId: 'main', points: stroke(3) })).toMatch(/./);
    s.locked.value = false;
    expect(ws.addInk({ pageId: 'main', points: stroke(3) })).toMatch(/./);
  });

  it('rejects bad local input with InvalidInputError', () => {
    const w = makePeer().docs.register(whiteboardType);
    expect(() => w.addInk({ pageId: 'main', points: [] })).toThrow(InvalidInputError);
    expect(() => w.addInk({ pageId: 'main', points: [[NaN, 1]] })).toThrow(InvalidInputError);
    expect(() => w.addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 1, h: 1, color: 'red"/><script>' })).toThrow(InvalidInputError);
    expect(() => w.addText({ pageId: 'main', x: 0, y: 0, text: 'x'.repeat(20_000) })).toThrow(InvalidInputError);
    expect(w.size).toBe(0);
  });

  it('undo in one peer never removes another peer\'s stroke', () => {
    const a = makePeer();
    const b = makePeer();
    const wa = a.docs.register(whiteboardType);
    const wb = b.docs.register(whiteboardType);
    const mine1 = wa.addInk({ pageId: 'main', points: stroke(5) });
    const theirs = wb.addInk({ pageId: 'main', points: stroke(5, 50) });
    sync(a.doc, b.doc);
    const mine2 = wa.addInk({ pageId: 'main', points: stroke(5, 90) });
    const theirs2 = wb.addInk({ pageId: 'main', points: stroke(5, 120) });
    sync(a.doc, b.doc);
    // b moves my stroke; my undo of my own strokes must not touch b's strokes.
    expect(wa.undo()).toBe(true);
    expect(wa.undo()).toBe(true);
    expect(wa.undo()).toBe(false);
    sync(a.doc, b.doc);
    for (const w of [wa, wb]) {
      expect(w.element(mine1)).toBeUndefined();
      expect(w.element(mine2)).toBeUndefined();
      expect(w.element(theirs)).toBeDefined();
      expect(w.element(theirs2)).toBeDefined();
    }
    expect(wa.redo()).toBe(true);
    sync(a.doc, b.doc);
    expect(wb.element(mine1)).toBeDefined();
    // b's undo only removes b's last stroke.
    wb.undo();
    sync(a.doc, b.doc);
    expect(wa.element(theirs2)).toBeUndefined();
    expect(wa.element(theirs)).toBeDefined();
    expect(wa.element(mine1)).toBeDefined();
  });

  it('hitTest finds strokes under the eraser', () => {
    const w = makePeer().docs.register(whiteboardType);
    const id = w.addInk({ pageId: 'main', points: [[0, 0], [10, 0], [20, 0]], width: 2 });
    w.addShape({ pageId: 'main', kind: 'rect', x: 100, y: 100, w: 10, h: 10 });
    expect(w.hitTest('main', 10, 1).map((e) => e.id)).toEqual([id]);
    expect(w.hitTest('main', 10, 30)).toHaveLength(0);
  });
});

describe('whiteboard hostile remote content', () => {
  it('skips and reports wrong shapes, huge strings and wrong types; keeps working', () => {
    const evil = new Y.Doc();
    const m = evil.getMap<unknown>(WHITEBOARD);
    const good = makePeer();
    const w = good.docs.register(whiteboardType);
    const mine = w.addInk({ pageId: 'main', points: stroke(4) });
    evil.transact(() => {
      m.set('e:notamap', 'hello');
      m.set('e:number', 42);
      const wrongKind = new Y.Map<unknown>();
      m.set('e:wrongkind', wrongKind);
      for (const [k, v] of Object.entries({ k: 'virus', pg: 'main', c: '#000', sw: 1, x: 0, y: 0, w: 0, h: 0, z: 1, a: 'x' })) wrongKind.set(k, v);
      const huge = new Y.Map<unknown>();
      m.set('e:huge', huge);
      for (const [k, v] of Object.entries({ k: 'text', pg: 'main', c: '#000', sw: 1, x: 0, y: 0, w: 0, h: 0, z: 1, a: 'x', t: 'x'.repeat(1_000_000), fs: 12 })) huge.set(k, v);
      const badInk = new Y.Map<unknown>();
      m.set('e:badink', badInk);
      for (const [k, v] of Object.entries({ k: 'ink', pg: 'main', c: '#000', sw: 1, x: 0, y: 0, w: 0, h: 0, z: 1, a: 'x', p: new Uint8Array([1, 0, 200, 200, 1]) })) badInk.set(k, v);
      const nan = new Y.Map<unknown>();
      m.set('e:nan', nan);
      for (const [k, v] of Object.entries({ k: 'rect', pg: 'main', c: 'red" onload="x', sw: '3', x: 0, y: 0, w: 0, h: 0, z: 1, a: 'x' })) nan.set(k, v);
      m.set('p:badpage', { title: 5 });
      const ok = new Y.Map<unknown>();
      m.set('e:remoteok', ok);
      for (const [k, v] of Object.entries({ k: 'rect', pg: 'main', c: '#123', sw: 2, x: 1, y: 2, w: 3, h: 4, z: 5, a: 'evil', f: null })) ok.set(k, v);
    });
    Y.applyUpdate(good.doc, Y.encodeStateAsUpdate(evil), 'remote');
    expect(w.elements().map((e) => e.id).sort()).toEqual([mine, 'remoteok'].sort());
    const paths = good.problems.map((p) => p.path);
    for (const id of ['notamap', 'number', 'wrongkind', 'huge', 'badink', 'nan']) expect(paths).toContain(`e:${id}`);
    expect(good.problems.every((p) => p.docType === WHITEBOARD)).toBe(true);
    expect(w.pages().map((p) => p.id)).toEqual(['main']);
    expect(good.problems.map((p) => p.path)).toContain('p:badpage');
    // A late joiner that loads the hostile state reports it too, and the app still works.
    const late = makePeer();
    Y.applyUpdate(late.doc, Y.encodeStateAsUpdate(good.doc));
    const wl = late.docs.register(whiteboardType);
    expect(wl.size).toBe(2);
    expect(late.problems.length).toBeGreaterThanOrEqual(6);
    wl.addShape({ pageId: 'main', kind: 'line', x: 0, y: 0, w: 5, h: 5 });
    expect(wl.size).toBe(3);
    expect(() => wl.exportSvg('main')).not.toThrow();
    // A remote fix of a bad element makes it appear.
    evil.transact(() => (m.get('e:nan') as Y.Map<unknown>).set('c', '#fff'));
    evil.transact(() => (m.get('e:nan') as Y.Map<unknown>).set('sw', 3));
    Y.applyUpdate(good.doc, Y.encodeStateAsUpdate(evil, Y.encodeStateVector(good.doc)));
    expect(w.element('nan')?.color).toBe('#fff');
  });
});
