import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import { createClassDoc, HISTORY, historyType, takeSnapshot } from '../../src/doctypes/replay.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import type { DocProblem } from '../../src/doctypes/types.js';

function peer(now: () => number) {
  const doc = createClassDoc();
  const problems: DocProblem[] = [];
  const docs = new DocumentSet(doc, { peerId: `p${doc.clientID}`, name: 'T', role: 'teacher' }, { now });
  docs.on('problem', (p) => problems.push(p));
  return { doc, docs, problems, board: docs.register(whiteboardType), history: docs.register(historyType) };
}

describe('lesson replay', () => {
  it('whiteboard.at(snapshot) renders past states, including erased strokes', () => {
    const { doc, board } = peer(() => 0);
    expect(doc.gc).toBe(false);
    const s1 = board.addInk({ pageId: 'main', points: [[0, 0], [5, 5]] });
    const snap1 = takeSnapshot(doc);
    const s2 = board.addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 5, h: 5 });
    board.move(s1, 100, 0);
    const snap2 = takeSnapshot(doc);
    board.erase([s1, s2]);
    expect(board.size).toBe(0);
    expect(board.at(snap1).elements().map((e) => e.id)).toEqual([s1]);
    expect(board.at(snap1).elements()[0]?.x).toBe(0);
    const past2 = board.at(snap2);
    expect(past2.elements().map((e) => e.id).sort()).toEqual([s1, s2].sort());
    expect(past2.elements().find((e) => e.id === s1)?.x).toBe(100);
    expect(past2.exportSvg('main')).toContain(`data-id="${s2}"`);
  });

  it('BoardHistory marks are shared: a late joiner scrubs the board', () => {
    let clock = 1_000;
    const a = peer(() => clock);
    expect(a.history.mark()).toBe(1_000);
    const id1 = a.board.addInk({ pageId: 'main', points: [[0, 0], [5, 5]] });
    clock = 2_000;
    a.history.mark();
    expect(a.history.mark()).toBeNull();
    a.board.addInk({ pageId: 'main', points: [[9, 9], [15, 15]] });
    clock = 3_000;
    a.history.mark();
    a.board.erase(id1);
    clock = 4_000;
    a.history.mark();

    const late = peer(() => 0);
    Y.applyUpdate(late.doc, Y.encodeStateAsUpdate(a.doc));
    expect(late.history.timestamps()).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(late.history.boardAt(500).elements()).toHaveLength(0);
    expect(late.history.boardAt(1_500).elements()).toHaveLength(0);
    expect(late.history.boardAt(2_000).elements().map((e) => e.id)).toEqual([id1]);
    expect(late.history.boardAt(3_500).elements()).toHaveLength(2);
    expect(late.history.boardAt(9_999).elements()).toHaveLength(1);
  });

  it('refuses gc docs and reports corrupt marks', () => {
    const gcDoc = new Y.Doc();
    const docs = new DocumentSet(gcDoc, { peerId: 'x', name: 'x', role: 'teacher' });
    expect(() => docs.register(historyType).mark()).toThrow(/gc: false/);
    expect(() => docs.register(whiteboardType).at(Y.emptySnapshot)).toThrow(/gc: false/);
    const p = peer(() => 5);
    p.doc.getMap(HISTORY).set('s:0000000001:x', new Uint8Array([255, 255, 255]));
    p.doc.getMap(HISTORY).set('s:0000000002:y', 'nope');
    p.history.mark();
    expect(p.history.timestamps()).toEqual([5]);
    expect(p.problems.filter((x) => x.docType === HISTORY)).toHaveLength(2);
  });
});
