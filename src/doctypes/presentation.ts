import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { Board } from './board.js';
import { boardPolicy } from './boardPolicy.js';
import { newDocId } from './ids.js';
import { countPdfPagesWithPdfjs } from './pdfPages.js';
import { defineDocType, InvalidInputError, PermissionError, ReadOnlyError } from './types.js';
import type { DocContext, DocProblemCode, DocType } from './types.js';
import { bool, bytes, int, isInvalid, nullable, num, object, oneOf, str } from './validate.js';

/** Name of the presentation doc type and of its top-level Y.Map. */
export const PRESENTATION = 'presentation';
/** PDF bytes are stored in chunks of this size: each chunk is one Yjs item, so progress is visible and transport messages stay bounded. */
export const PDF_CHUNK_SIZE = 64 * 1024;
/** Limits on decks. */
export const DECK_LIMITS = Object.freeze({ pdfBytes: 100 * 1024 * 1024, imageBytes: 8 * 1024 * 1024, slides: 1000 });

/** A deck of slides. */
export interface Deck {
  id: string;
  title: string;
  kind: 'pdf' | 'images';
  slideCount: number;
  /** PDF: number of chunks the deck has; images: number of slides. */
  parts: number;
  /** Parts present in this peer's doc so far (late joiners and slow links see this grow). */
  receivedParts: number;
  /** All parts are here. */
  complete: boolean;
  byteLength: number;
  createdAt: number;
}

/** One slide; its id is the page id of its annotation layer. */
export interface Slide {
  id: string;
  deckId: string;
  index: number;
}

/** The shared viewing state set by the teacher. */
export interface PresentationState {
  slideId: string | null;
  /** Students' views follow the teacher's slide and viewport. */
  follow: boolean;
  viewport: { x: number; y: number; zoom: number } | null;
}

/** Import progress: parts written so far out of the total. */
export type ImportProgress = (done: number, total: number) => void;

/** Presentation events. */
export type PresentationEvents = {
  /** A deck appeared, was removed, or received parts. */
  decks: () => void;
  /** The teacher's slide / follow / viewport changed. */
  state: (state: PresentationState) => void;
};

/** Options of {@link createPresentationType}. */
export interface PresentationOptions {
  /**
   * Count the pages of a PDF, throwing when it is not one. Default: pdfjs-dist's legacy build,
   * loaded on first use (works in Node and browsers). Inject your own to reuse a loaded pdfjs.
   */
  countPdfPages?: (pdf: Uint8Array) => Promise<number>;
}

const deckRecord = object({
  title: str(200),
  kind: oneOf(['pdf', 'images'] as const),
  slides: int(1, DECK_LIMITS.slides),
  parts: int(1, Math.ceil(DECK_LIMITS.pdfBytes / PDF_CHUNK_SIZE)),
  bytes: int(0, DECK_LIMITS.pdfBytes),
  t: num(),
});
const imageRecord = object({ mime: oneOf(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/svg+xml'] as const), data: bytes(DECK_LIMITS.imageBytes) });
const stateRecord = object({
  slide: nullable(str(200, 1)),
  follow: bool,
  vx: num(), vy: num(), zoom: num(0, 1000),
  role: oneOf(['teacher'] as const),
  t: num(),
});
const chunkCheck = bytes(PDF_CHUNK_SIZE);
// Tells a student's forged viewing state apart from garbage in problem reports.
const teacherClaim = object({ role: oneOf(['teacher'] as const) });

/** Supported image types for image decks. */
export type SlideImageMime = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif' | 'image/svg+xml';

/**
 * The presentation: decks (PDF bytes in 64 KiB chunks, or one image per slide) shared through the
 * doc so late joiners get them, the teacher's current slide and follow state, and an annotation
 * {@link Board} whose page ids are slide ids. Laser pointers live in awareness (see `setLaser`).
 *
 * Keys in the `presentation` map: `d:<deck>` deck record, `pdf:<deck>` Y.Array of chunks,
 * `img:<deck>:<i>` image slides, `st:<peer>` viewing state per teacher (the newest wins, so a
 * student's write cannot overwrite the teacher's), `e:<id>` annotation elements.
 */
export class Presentation extends ObservableV2<PresentationEvents> {
  /** Annotation layers: one page per slide (`pageId` = slide id). Per-user undo applies, and the class's read-only gate for `presentation` (board lock) refuses edits. */
  readonly annotations: Board;
  private readonly map: Y.Map<unknown>;
  private readonly origin: object = { presentation: true };
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  private lastState = '';
  private readonly reported = new Set<string>();

  constructor(private readonly ctx: DocContext, private readonly options: PresentationOptions = {}) {
    super();
    this.map = ctx.doc.getMap<unknown>(PRESENTATION);
    this.annotations = new Board(ctx, this.map, PRESENTATION);
    this.lastState = JSON.stringify(this.current());
    this.observer = (events) => this.onEvents(events);
    this.map.observeDeep(this.observer);
  }

  /** Teacher: import a PDF. Validates it with pdfjs, then writes it chunk by chunk (one transaction per chunk). */
  async importPdf(pdf: Uint8Array, opts: { title?: string; onProgress?: ImportProgress } = {}): Promise<Deck> {
    this.assertTeacher('import slides');
    if (pdf.length === 0 || pdf.length > DECK_LIMITS.pdfBytes) throw new InvalidInputError(`PDF must be 1..${DECK_LIMITS.pdfBytes} bytes`);
    let pages: number;
    try {
      pages = await (this.options.countPdfPages ?? countPdfPagesWithPdfjs)(pdf);
    } catch (err) {
      throw new InvalidInputError(`not a readable PDF: ${(err as Error).message}`);
    }
    if (!Number.isInteger(pages) || pages < 1 || pages > DECK_LIMITS.slides) throw new InvalidInputError(`PDF must have 1..${DECK_LIMITS.slides} pages`);
    const id = newDocId();
    const parts = Math.ceil(pdf.length / PDF_CHUNK_SIZE);
    const chunks = new Y.Array<Uint8Array>();
    this.ctx.doc.transact(() => {
      this.map.set(`pdf:${id}`, chunks);
      this.map.set(`d:${id}`, { title: opts.title ?? 'Slides', kind: 'pdf', slides: pages, parts, bytes: pdf.length, t: this.ctx.now() });
    }, this.origin);
    for (let i = 0; i < parts; i++) {
      // Separate transactions: the sync engine ships each chunk as its own update, and the UI stays responsive.
      this.ctx.doc.transact(() => chunks.push([pdf.slice(i * PDF_CHUNK_SIZE, (i + 1) * PDF_CHUNK_SIZE)]), this.origin);
      opts.onProgress?.(i + 1, parts);
      await new Promise((r) => setTimeout(r, 0));
    }
    return this.deck(id) as Deck;
  }

  /** Teacher: import a deck of images, one per slide. */
  async importImages(images: ReadonlyArray<{ bytes: Uint8Array; mime: SlideImageMime }>, opts: { title?: string; onProgress?: ImportProgress } = {}): Promise<Deck> {
    this.assertTeacher('import slides');
    if (images.length === 0 || images.length > DECK_LIMITS.slides) throw new InvalidInputError(`a deck has 1..${DECK_LIMITS.slides} slides`);
    for (const img of images) {
      if (isInvalid(imageRecord({ mime: img.mime, data: img.bytes }))) throw new InvalidInputError(`unsupported image (type ${img.mime}, ${img.bytes.length} bytes)`);
    }
    const id = newDocId();
    const total = images.reduce((s, i) => s + i.bytes.length, 0);
    this.ctx.doc.transact(() => {
      this.map.set(`d:${id}`, { title: opts.title ?? 'Slides', kind: 'images', slides: images.length, parts: images.length, bytes: Math.min(total, DECK_LIMITS.pdfBytes), t: this.ctx.now() });
    }, this.origin);
    for (let i = 0; i < images.length; i++) {
      const img = images[i] as { bytes: Uint8Array; mime: SlideImageMime };
      this.ctx.doc.transact(() => this.map.set(`img:${id}:${i}`, { mime: img.mime, data: img.bytes }), this.origin);
      opts.onProgress?.(i + 1, images.length);
      await new Promise((r) => setTimeout(r, 0));
    }
    return this.deck(id) as Deck;
  }

  /** Teacher: remove a deck with its slides' annotations. */
  removeDeck(deckId: string): void {
    this.assertTeacher('remove slides');
    const deck = this.deck(deckId);
    this.ctx.doc.transact(() => {
      for (const key of [...this.map.keys()]) {
        if (key === `d:${deckId}` || key === `pdf:${deckId}` || key.startsWith(`img:${deckId}:`)) this.map.delete(key);
      }
      if (deck !== undefined) for (const s of this.slidesOf(deck)) for (const e of this.annotations.elements(s.id)) this.map.delete(`e:${e.id}`);
    }, this.origin);
  }

  /** All valid decks, oldest first. */
  decks(): Deck[] {
    const out: Deck[] = [];
    for (const key of this.map.keys()) {
      if (!key.startsWith('d:')) continue;
      const d = this.deck(key.slice(2));
      if (d !== undefined) out.push(d);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** One deck with its receive progress. */
  deck(deckId: string): Deck | undefined {
    const r = deckRecord(this.map.get(`d:${deckId}`));
    if (isInvalid(r)) {
      if (this.map.has(`d:${deckId}`)) this.reportOnce(`d:${deckId}`, r.reason);
      return undefined;
    }
    let received = 0;
    if (r.kind === 'pdf') {
      const arr = this.map.get(`pdf:${deckId}`);
      received = arr instanceof Y.Array ? Math.min(arr.length, r.parts) : 0;
    } else {
      for (let i = 0; i < r.slides; i++) if (this.map.has(`img:${deckId}:${i}`)) received++;
    }
    return {
      id: deckId, title: r.title, kind: r.kind, slideCount: r.slides, parts: r.parts, receivedParts: received,
      complete: received === r.parts, byteLength: r.bytes, createdAt: r.t,
    };
  }

  /** Every slide of every deck, in deck order. */
  slides(): Slide[] {
    return this.decks().flatMap((d) => this.slidesOf(d));
  }

  /** The PDF bytes of a complete deck, or null while parts are missing or invalid. */
  pdfBytes(deckId: string): Uint8Array | null {
    const deck = this.deck(deckId);
    const arr = this.map.get(`pdf:${deckId}`);
    if (deck === undefined || deck.kind !== 'pdf' || !deck.complete || !(arr instanceof Y.Array)) return null;
    const out = new Uint8Array(deck.byteLength);
    let offset = 0;
    const items = (arr as Y.Array<unknown>).toArray().slice(0, deck.parts);
    for (let i = 0; i < items.length; i++) {
      const c = chunkCheck(items[i]);
      if (isInvalid(c) || offset + c.length > out.length) {
        this.reportOnce(`pdf:${deckId}[${i}]`, isInvalid(c) ? c.reason : 'chunks exceed declared size');
        return null;
      }
      out.set(c, offset);
      offset += c.length;
    }
    if (offset !== out.length) {
      this.reportOnce(`pdf:${deckId}`, 'chunks do not add up to the declared size');
      return null;
    }
    return out;
  }

  /** The image of an image-deck slide. */
  slideImage(slideId: string): { mime: SlideImageMime; bytes: Uint8Array } | undefined {
    const [deckId, index] = slideId.split('/');
    const key = `img:${deckId ?? ''}:${index ?? ''}`;
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    const r = imageRecord(value);
    if (isInvalid(r)) {
      this.reportOnce(key, r.reason);
      return undefined;
    }
    return { mime: r.mime, bytes: r.data };
  }

  /** The teacher's viewing state (newest teacher record wins). */
  current(): PresentationState {
    let best: { t: number; key: string; s: PresentationState } | undefined;
    for (const [key, value] of this.map.entries()) {
      if (!key.startsWith('st:')) continue;
      const r = stateRecord(value);
      if (isInvalid(r)) {
        this.reportOnce(key, r.reason, typeof value === 'object' && value !== null && isInvalid(teacherClaim(value)) ? 'not-teacher' : 'invalid');
        continue;
      }
      if (best === undefined || r.t > best.t || (r.t === best.t && key > best.key)) {
        best = { t: r.t, key, s: { slideId: r.slide, follow: r.follow, viewport: r.zoom > 0 ? { x: r.vx, y: r.vy, zoom: r.zoom } : null } };
      }
    }
    return best?.s ?? { slideId: null, follow: true, viewport: null };
  }

  /** Teacher: show a slide (and optionally a viewport) to everyone following. */
  goTo(slideId: string, viewport?: { x: number; y: number; zoom: number }): void {
    this.assertTeacher('change the slide');
    this.writeState({ ...this.current(), slideId, viewport: viewport ?? null });
  }

  /** Teacher: turn "follow the teacher" on or off. */
  setFollow(follow: boolean): void {
    this.assertTeacher('change follow mode');
    this.writeState({ ...this.current(), follow });
  }

  /** Stop observing. */
  override destroy(): void {
    this.map.unobserveDeep(this.observer);
    this.annotations.destroy();
    super.destroy();
  }

  private slidesOf(deck: Deck): Slide[] {
    return Array.from({ length: deck.slideCount }, (_, index) => ({ id: `${deck.id}/${index}`, deckId: deck.id, index }));
  }

  private writeState(s: PresentationState): void {
    const v = s.viewport;
    if (v !== null && ![v.x, v.y, v.zoom].every(Number.isFinite)) throw new InvalidInputError('bad viewport');
    const record = { slide: s.slideId, follow: s.follow, vx: v?.x ?? 0, vy: v?.y ?? 0, zoom: v?.zoom ?? 0, role: 'teacher', t: Math.max(this.ctx.now(), this.latestStateTime() + 1) };
    this.ctx.doc.transact(() => this.map.set(`st:${this.ctx.localPeerId.slice(0, 64)}`, record), this.origin);
  }

  private latestStateTime(): number {
    let t = 0;
    for (const [key, value] of this.map.entries()) {
      const r = key.startsWith('st:') ? stateRecord(value) : undefined;
      if (r !== undefined && !isInvalid(r)) t = Math.max(t, r.t);
    }
    return t;
  }

  private assertTeacher(action: string): void {
    if (this.ctx.localRole !== 'teacher') throw new PermissionError(action);
    if (this.ctx.isReadOnly()) throw new ReadOnlyError(PRESENTATION, action);
  }

  private reportOnce(path: string, reason: string, code: DocProblemCode = 'invalid'): void {
    const k = `${path}|${reason}`;
    if (this.reported.has(k)) return;
    this.reported.add(k);
    this.ctx.report({ docType: PRESENTATION, path, code, reason });
  }

  private onEvents(events: Array<Y.YEvent<Y.AbstractType<unknown>>>): void {
    let decks = false;
    let state = false;
    for (const ev of events) {
      const keys = ev.target === this.map ? [...(ev as Y.YMapEvent<unknown>).keysChanged] : [ev.path[0]];
      for (const key of keys) {
        if (typeof key !== 'string') continue;
        if (key.startsWith('d:') || key.startsWith('pdf:') || key.startsWith('img:')) decks = true;
        else if (key.startsWith('st:')) state = true;
      }
    }
    try {
      if (decks) this.emit('decks', []);
      if (state) {
        const s = this.current();
        const json = JSON.stringify(s);
        if (json !== this.lastState) {
          this.lastState = json;
          this.emit('state', [s]);
        }
      }
    } catch (err) {
      queueMicrotask(() => { throw err; });
    }
  }
}

/** Make a presentation doc type with custom options (e.g. a preloaded pdfjs page counter). */
export function createPresentationType(options: PresentationOptions = {}): DocType<Presentation> {
  // Decks, slides and the viewing state are the teacher's; annotations are shared elements, locked with the board.
  return defineDocType<Presentation>({ name: PRESENTATION, version: 1, create: (ctx) => new Presentation(ctx, options), policy: boardPolicy() });
}

/** The presentation doc type with default options. */
export const presentationType = createPresentationType();
