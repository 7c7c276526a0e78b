import * as Y from 'yjs';
import { Board } from './board.js';
import { BoardView } from './boardView.js';
import { boardPolicy } from './boardPolicy.js';
import { defineDocType, HistoryUnavailableError } from './types.js';
import type { DocContext } from './types.js';

/** Name of the whiteboard doc type and of its top-level Y.Map. */
export const WHITEBOARD = 'whiteboard';

/**
 * The shared whiteboard: pages of ink, shapes and text, per-user undo, the board lock (the class's read-only gate, see `DocContext.isReadOnly`), SVG export,
 * and {@link Whiteboard.at} to view a past state (needs a `gc: false` doc, see `createClassDoc`).
 */
export class Whiteboard extends Board {
  constructor(private readonly context: DocContext) {
    super(context, context.doc.getMap<unknown>(WHITEBOARD), WHITEBOARD);
  }

  /**
   * The board as it was at `snapshot` (from `takeSnapshot`). Read-only. Costs a full document
   * rebuild from the history kept in the doc, so cache views when scrubbing.
   */
  at(snapshot: Y.Snapshot): BoardView {
    if (this.context.doc.gc) throw new HistoryUnavailableError('a past state of the board');
    const past = Y.createDocFromSnapshot(this.context.doc, snapshot);
    try {
      return new BoardView(past.getMap<unknown>(WHITEBOARD));
    } finally {
      past.destroy();
    }
  }
}

/** The whiteboard doc type. `documents.register(whiteboardType)` returns a {@link Whiteboard}. */
export const whiteboardType = defineDocType<Whiteboard>({
  name: WHITEBOARD,
  version: 1,
  create: (ctx) => new Whiteboard(ctx),
  // Elements shared (students change only their own), pages the teacher's, nothing from students while locked.
  policy: boardPolicy(),
});
