import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { BoardView } from './boardView.js';
import { allOf, ALLOW, deny, shared } from './policy.js';
import { defineDocType, HistoryUnavailableError, ReadOnlyError } from './types.js';
import type { DocContext } from './types.js';
import { bytes, isInvalid } from './validate.js';
import { WHITEBOARD } from './whiteboard.js';

/**
 * Create the class Y.Doc with garbage collection off, which lesson replay needs.
 *
 * Cost: with `gc: false` nothing deleted ever leaves the doc. An erased stroke keeps its bytes, and
 * the doc grows with everything ever drawn in the lesson, not with what is on the board now (a
 * lesson of 10,000 strokes with 5,000 erased still costs 10,000 strokes to a late joiner). Each
 * snapshot is small (a state vector plus a delete set, typically tens to a few hundred bytes),
 * but rendering a past state rebuilds a document from the whole history: O(doc size) per view.
 * Use a gc'd doc for classes that do not need replay.
 */
export function createClassDoc(options: { guid?: string } = {}): Y.Doc {
  return new Y.Doc({ gc: false, ...(options.guid === undefined ? {} : { guid: options.guid }) });
}

/** A snapshot of the doc now (state vector + delete set). Needs a `gc: false` doc to be rendered later. */
export function takeSnapshot(doc: Y.Doc): Y.Snapshot {
  return Y.snapshot(doc);
}

/** Name of the history doc type and of its top-level Y.Map. */
export const HISTORY = 'history';
const snapshotBytes = bytes(1024 * 1024);

/** One replay mark. */
export interface HistoryMark {
  /** When the mark was taken (marker's clock). */
  time: number;
  /** The snapshot. */
  snapshot: Y.Snapshot;
}

/** History events. */
export type HistoryEvents = {
  /** A mark was added (locally or by a peer). */
  marks: () => void;
};

/**
 * Lesson replay. Marks (encoded snapshots keyed by time) live in the doc so every peer, including
 * late joiners, can scrub the board from the start of the lesson to now. Requires `createClassDoc()`.
 */
export class BoardHistory extends ObservableV2<HistoryEvents> {
  private readonly map: Y.Map<unknown>;
  private readonly onChange = (): void => this.emit('marks', []);
  private lastMarkedState = '';
  private readonly bad = new Set<string>();

  constructor(private readonly ctx: DocContext) {
    super();
    this.map = ctx.doc.getMap<unknown>(HISTORY);
    this.map.observe(this.onChange);
  }

  /** Record a mark now; returns its time. Skips (returns null) when nothing changed since the last local mark. */
  mark(): number | null {
    this.assertNoGc();
    if (this.ctx.isReadOnly()) throw new ReadOnlyError(HISTORY, 'marking');
    const snap = Y.snapshot(this.ctx.doc);
    const sv = Y.encodeStateVector(this.ctx.doc).join(',') + '|' + snap.ds.clients.size;
    if (sv === this.lastMarkedState) return null;
    const time = this.ctx.now();
    this.map.set(`s:${time.toString(36).padStart(10, '0')}:${this.ctx.localPeerId.slice(0, 64)}`, Y.encodeSnapshot(snap));
    // The mark itself changes the state vector; remember the state after it so an idle class adds no marks.
    this.lastMarkedState = Y.encodeStateVector(this.ctx.doc).join(',') + '|' + Y.snapshot(this.ctx.doc).ds.clients.size;
    return time;
  }

  /** Mark every `intervalMs` while the doc changes. Returns a stop function. */
  autoMark(intervalMs = 10_000): () => void {
    // A timer cannot hand an error to anyone: while the class refuses our marks, skip them instead of throwing.
    const timer = setInterval(() => { if (!this.ctx.isReadOnly()) this.mark(); }, intervalMs);
    return () => clearInterval(timer);
  }

  /** All valid marks, oldest first. */
  marks(): HistoryMark[] {
    const out: HistoryMark[] = [];
    for (const [key, value] of this.map.entries()) {
      if (!key.startsWith('s:')) continue;
      const time = parseInt(key.slice(2, 12), 36);
      const b = snapshotBytes(value);
      let snapshot: Y.Snapshot | undefined;
      if (!isInvalid(b) && Number.isFinite(time)) {
        try {
          snapshot = Y.decodeSnapshot(b);
        } catch {
          snapshot = undefined;
        }
      }
      if (snapshot === undefined) {
        if (!this.bad.has(key)) {
          this.bad.add(key);
          this.ctx.report({ docType: HISTORY, path: key.slice(0, 80), reason: 'not a valid snapshot' });
        }
        continue;
      }
      out.push({ time, snapshot });
    }
    return out.sort((a, b) => a.time - b.time);
  }

  /** Times of all marks, oldest first (the scrub bar's ticks). */
  timestamps(): number[] {
    return this.marks().map((m) => m.time);
  }

  /** The board as of the latest mark at or before `time` (empty board before the first mark). */
  boardAt(time: number): BoardView {
    this.assertNoGc();
    const mark = this.marks().filter((m) => m.time <= time).at(-1);
    const snapshot = mark?.snapshot ?? Y.emptySnapshot;
    const past = Y.createDocFromSnapshot(this.ctx.doc, snapshot);
    try {
      return new BoardView(past.getMap<unknown>(WHITEBOARD));
    } finally {
      past.destroy();
    }
  }

  /** Stop observing. */
  override destroy(): void {
    this.map.unobserve(this.onChange);
    super.destroy();
  }

  private assertNoGc(): void {
    if (this.ctx.doc.gc) throw new HistoryUnavailableError('lesson replay');
  }
}

/** The history doc type. `documents.register(historyType)` returns a {@link BoardHistory}. */
export const historyType = defineDocType<BoardHistory>({
  name: HISTORY, version: 1, create: (ctx) => new BoardHistory(ctx),
  // Marks are keyed `s:<time>:<peer>`: a student writes only marks under its own peer id.
  policy: allOf(shared, (change) => (change.teacher || change.inserts.every((i) => i.place?.topKey?.startsWith('s:') === true && i.place.topKey.endsWith(`:${change.author.slice(0, 64)}`))
    ? ALLOW : deny('invalid', 'a student writes only its own marks'))),
});
