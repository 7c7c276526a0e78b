import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { PDFDocument } from 'pdf-lib';
import { PDF_CHUNK_SIZE, PRESENTATION, presentationType } from '../../src/doctypes/presentation.js';
import { readLasers, setLaser } from '../../src/doctypes/laser.js';
import { InvalidInputError, PermissionError } from '../../src/doctypes/types.js';
import { makePeer, sync } from './util.js';

async function makePdf(pages: number, padBytes = 0): Promise<Uint8Array> {
  const d = await PDFDocument.create();
  for (let i = 0; i < pages; i++) d.addPage().drawText(`Slide ${i + 1}`);
  // Random filler makes a PDF larger than several chunks (pdf-lib would compress repetitive content).
  if (padBytes > 0) {
    const filler = new Uint8Array(padBytes);
    for (let i = 0; i < filler.length; i += 65536) globalThis.crypto.getRandomValues(filler.subarray(i, i + 65536));
    await d.attach(filler, 'filler.bin', { mimeType: 'application/octet-stream' });
  }
  return d.save({ useObjectStreams: false });
}

describe('presentation', () => {
  it('imports a PDF in 64 KiB chunks with progress; a late joiner gets identical bytes', async () => {
    const t = makePeer('teacher');
    const pt = t.docs.register(presentationType);
    const pdf = await makePdf(3, 200_000);
    const progress: Array<[number, number]> = [];
    const deck = await pt.importPdf(pdf, { title: 'Lesson 1', onProgress: (d, n) => progress.push([d, n]) });
    const parts = Math.ceil(pdf.length / PDF_CHUNK_SIZE);
    expect(parts).toBeGreaterThanOrEqual(4);
    expect(deck).toMatchObject({ kind: 'pdf', slideCount: 3, parts, receivedParts: parts, complete: true, title: 'Lesson 1' });
    expect(progress.at(-1)).toEqual([parts, parts]);
    expect(progress).toHaveLength(parts);
    expect(pt.slides().map((s) => s.index)).toEqual([0, 1, 2]);

    // A late joiner gets the whole deck from the doc state (chunk-by-chunk progress is the next test).
    const late = makePeer('student');
    const pl = late.docs.register(presentationType);
    let decksEvents = 0;
    pl.on('decks', () => decksEvents++);
    expect(pl.decks()).toHaveLength(0);
    Y.applyUpdate(late.doc, Y.encodeStateAsUpdate(t.doc));
    expect(decksEvents).toBeGreaterThan(0);
    expect(pl.deck(deck.id)?.complete).toBe(true);
    expect(pl.pdfBytes(deck.id)).toEqual(pdf);
  });

  it('reports receive progress chunk by chunk', async () => {
    const t = makePeer('teacher');
    const s = makePeer('student');
    const updates: Uint8Array[] = [];
    t.doc.on('update', (u: Uint8Array) => updates.push(u));
    const pt = t.docs.register(presentationType);
    const ps = s.docs.register(presentationType);
    const deck = await pt.importPdf(await makePdf(2, 150_000));
    const seen: number[] = [];
    ps.on('decks', () => seen.push(ps.deck(deck.id)?.receivedParts ?? -1));
    for (const u of updates) Y.applyUpdate(s.doc, u);
    expect(seen.filter((n) => n >= 0)).toEqual(Array.from({ length: deck.parts + 1 }, (_, i) => i));
    expect(ps.pdfBytes(deck.id)?.length).toBe(deck.byteLength);
  });

  it('refuses non-PDF bytes and student imports', async () => {
    const t = makePeer('teacher');
    const s = makePeer('student');
    const pt = t.docs.register(presentationType);
    const ps = s.docs.register(presentationType);
    await expect(pt.importPdf(new TextEncoder().encode('not a pdf at all'))).rejects.toThrow(InvalidInputError);
    await expect(ps.importPdf(await makePdf(1))).rejects.toThrow(PermissionError);
    expect(pt.decks()).toHaveLength(0);
  });

  it('image decks, current slide, follow, annotations per slide', async () => {
    const t = makePeer('teacher');
    const s = makePeer('student');
    const pt = t.docs.register(presentationType);
    const ps = s.docs.register(presentationType);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const deck = await pt.importImages([{ bytes: png, mime: 'image/png' }, { bytes: png, mime: 'image/jpeg' }]);
    const [s0, s1] = pt.slides();
    pt.goTo(s1!.id, { x: 10, y: 20, zoom: 2 });
    const states: unknown[] = [];
    ps.on('state', (st) => states.push(st));
    sync(t.doc, s.doc);
    expect(ps.current()).toEqual({ slideId: s1!.id, follow: true, viewport: { x: 10, y: 20, zoom: 2 } });
    expect(states).toHaveLength(1);
    expect(ps.slideImage(s0!.id)).toEqual({ mime: 'image/png', bytes: png });
    expect(() => ps.goTo(s0!.id)).toThrow(PermissionError);
    pt.setFollow(false);
    sync(t.doc, s.doc);
    expect(ps.current().follow).toBe(false);
    // A student's forged state record claiming to be a student is ignored; the teacher's stays current.
    s.doc.getMap<unknown>(PRESENTATION).set('st:evil', { slide: s0!.id, follow: true, vx: 0, vy: 0, zoom: 0, role: 'student', t: 9e15 });
    sync(t.doc, s.doc);
    expect(pt.current().slideId).toBe(s1!.id);
    expect(t.problems.map((p) => p.path)).toContain('st:evil');

    const a = ps.annotations.addInk({ pageId: s1!.id, points: [[1, 1], [5, 5]] });
    sync(t.doc, s.doc);
    expect(pt.annotations.elements(s1!.id).map((e) => e.id)).toEqual([a]);
    expect(pt.annotations.elements(s0!.id)).toHaveLength(0);
    pt.removeDeck(deck.id);
    sync(t.doc, s.doc);
    expect(ps.decks()).toHaveLength(0);
    expect(ps.annotations.size).toBe(0);
  });

  it('ignores hostile decks and chunks', () => {
    const evil = new Y.Doc();
    const m = evil.getMap<unknown>(PRESENTATION);
    const arr = new Y.Array<unknown>();
    evil.transact(() => {
      m.set('d:bad', { title: 'x'.repeat(10_000), kind: 'pdf', slides: 1, parts: 1, bytes: 1, t: 0 });
      m.set('d:lie', { title: 'Lie', kind: 'pdf', slides: 1, parts: 1, bytes: 4, t: 0 });
      m.set('pdf:lie', arr);
      arr.push(['not bytes']);
      m.set('img:x:0', { mime: 'text/html', data: new Uint8Array(1) });
    });
    const t = makePeer('teacher');
    Y.applyUpdate(t.doc, Y.encodeStateAsUpdate(evil));
    const pt = t.docs.register(presentationType);
    expect(pt.decks().map((d) => d.id)).toEqual(['lie']);
    expect(pt.pdfBytes('lie')).toBeNull();
    expect(pt.slideImage('x/0')).toBeUndefined();
    expect(t.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['d:bad', 'pdf:lie[0]', 'img:x:0']));
  });
});

describe('laser pointer through awareness', () => {
  it('sets, reads, clears and skips malformed pointers', () => {
    const d1 = new Y.Doc();
    const d2 = new Y.Doc();
    const a1 = new Awareness(d1);
    const a2 = new Awareness(d2);
    setLaser(a1, { slideId: 'deck/0', x: 10, y: 20 });
    a2.setLocalStateField('laser', { slideId: 'deck/0', x: 'left', y: 0 });
    // Merge a2's state into a1 as the sync engine would.
    const states = new Map([...a1.getStates(), ...a2.getStates()]);
    const merged = { setLocalStateField: () => {}, getStates: () => states };
    const bad: number[] = [];
    const lasers = readLasers(merged, (id) => bad.push(id));
    expect([...lasers.values()]).toEqual([{ slideId: 'deck/0', x: 10, y: 20, color: '#ff0000' }]);
    expect(bad).toEqual([d2.clientID]);
    setLaser(a1, null);
    expect(readLasers(a1).size).toBe(0);
    a1.destroy();
    a2.destroy();
  });
});
