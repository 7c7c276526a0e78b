// Runs in Chromium (bundled by bench/render.ts): the demo's BoardRenderer over a 10,000-stroke whiteboard.
import * as Y from 'yjs';
import { BoardRenderer } from '../demo/src/board/renderer.js';
import { DocumentSet, whiteboardType } from '../src/index.js';

interface RenderResult {
  strokes: number;
  remoteStrokePaintMs: number;
  remoteStrokePaintP95Ms: number;
  incrementalPaints: number;
  panFrameP95Ms: number;
  panFrameMedianMs: number;
  initialPaintMs: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

/** Read one pixel so the canvas really finishes painting before the clock stops. */
function flush(ctx: CanvasRenderingContext2D): void {
  ctx.getImageData(0, 0, 1, 1);
}

/** `width`×`height` CSS pixels at device pixel ratio `dpr`: the desktop window, or a phone (375×812 at 3). */
async function run(strokes: number, panFrames: number, remote: number, width = 1280, height = 800, dpr = 1): Promise<RenderResult> {
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const doc = new Y.Doc();
  const board = new DocumentSet(doc, { peerId: 'local', name: 'Local', role: 'teacher' }).register(whiteboardType);
  const stroke = (): Array<[number, number, number]> => {
    const x = rand() * 3800;
    const y = rand() * 2400;
    const pts: Array<[number, number, number]> = [];
    for (let i = 0; i < 24; i++) pts.push([x + i * 4 + rand() * 3, y + Math.sin(i / 3) * 20 + rand() * 3, 0.5]);
    return pts;
  };
  board.batch(() => {
    for (let i = 0; i < strokes; i++) board.addInk({ pageId: 'main', points: stroke(), color: '#1b1f24', width: 3 });
  });
  // The remote peer holds a synced replica, as it would in class.
  const remoteDoc = new Y.Doc();
  Y.applyUpdate(remoteDoc, Y.encodeStateAsUpdate(doc));
  const remoteBoard = new DocumentSet(remoteDoc, { peerId: 'remote', name: 'Remote', role: 'student' }).register(whiteboardType);
  const canvas = document.createElement('canvas');
  canvas.style.cssText = `width:${width}px;height:${height}px`;
  document.body.append(canvas);
  const renderer = new BoardRenderer(canvas, board, 'main');
  // Zoomed out so the whole board is visible: every stroke is painted on each pan frame (the worst case).
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  let t0 = performance.now();
  renderer.resize(width, height, dpr);
  renderer.setViewport({ x: 0, y: 0, scale: 0.32 * (width / 1280) });
  flush(ctx);
  const initialPaintMs = performance.now() - t0;
  board.on('change', (c) => renderer.applyChange(c));

  const remoteTimes: number[] = [];
  for (let i = 0; i < remote; i++) {
    const before = Y.encodeStateVector(remoteDoc);
    remoteBoard.addInk({ pageId: 'main', points: stroke(), color: '#d32f2f', width: 4 });
    const update = Y.encodeStateAsUpdate(remoteDoc, before);
    await new Promise((r) => requestAnimationFrame(r));
    t0 = performance.now();
    Y.applyUpdate(doc, update, 'remote');
    flush(ctx);
    remoteTimes.push(performance.now() - t0);
  }

  const panTimes: number[] = [];
  for (let i = 0; i < panFrames; i++) {
    await new Promise((r) => requestAnimationFrame(r));
    const v = renderer.viewport;
    t0 = performance.now();
    renderer.setViewport({ ...v, x: v.x + (i % 60 < 30 ? 8 : -8) });
    flush(ctx);
    panTimes.push(performance.now() - t0);
  }
  return {
    strokes: board.size,
    remoteStrokePaintMs: percentile(remoteTimes, 0.5),
    remoteStrokePaintP95Ms: percentile(remoteTimes, 0.95),
    incrementalPaints: renderer.incrementalPaints,
    panFrameP95Ms: percentile(panTimes, 0.95),
    panFrameMedianMs: percentile(panTimes, 0.5),
    initialPaintMs,
  };
}

(globalThis as unknown as { runRenderBench: typeof run }).runRenderBench = run;
