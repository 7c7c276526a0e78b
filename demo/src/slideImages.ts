import type { Presentation, Slide } from 'peerclass';
import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

/** Width of a slide in board units; annotations are stored in these units so every screen agrees. */
export const SLIDE_WIDTH = 960;

/** A rendered slide: the bitmap and its size in board units. */
export interface SlidePicture {
  bitmap: ImageBitmap | HTMLCanvasElement;
  width: number;
  height: number;
}

const pdfs = new Map<string, Promise<PDFDocumentProxy>>();
const pictures = new Map<string, Promise<SlidePicture>>();

/** Render a slide once (PDF page via pdfjs, or the image), cached by slide id. */
export function slidePicture(presentation: Presentation, slide: Slide): Promise<SlidePicture> {
  let hit = pictures.get(slide.id);
  if (hit === undefined) {
    hit = render(presentation, slide);
    pictures.set(slide.id, hit);
    // A deck still arriving fails now and must be retried later.
    hit.catch(() => pictures.delete(slide.id));
  }
  return hit;
}

async function render(presentation: Presentation, slide: Slide): Promise<SlidePicture> {
  const deck = presentation.deck(slide.deckId);
  if (deck === undefined || !deck.complete) throw new Error('deck not complete yet');
  if (deck.kind === 'images') {
    const img = presentation.slideImage(slide.id);
    if (img === undefined) throw new Error('slide image missing');
    const bitmap = await createImageBitmap(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.mime }));
    return { bitmap, width: SLIDE_WIDTH, height: (SLIDE_WIDTH * bitmap.height) / Math.max(1, bitmap.width) };
  }
  let doc = pdfs.get(deck.id);
  if (doc === undefined) {
    const bytes = presentation.pdfBytes(deck.id);
    if (bytes === null) throw new Error('pdf bytes missing');
    doc = getDocument({ data: bytes.slice(), isEvalSupported: false, verbosity: 0 }).promise;
    pdfs.set(deck.id, doc);
    doc.catch(() => pdfs.delete(deck.id));
  }
  const page = await (await doc).getPage(slide.index + 1);
  const base = page.getViewport({ scale: 1 });
  // Twice the board width so zooming in on a slide stays sharp.
  const scale = (2 * SLIDE_WIDTH) / base.width;
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(viewport.width);
  canvas.height = Math.ceil(viewport.height);
  await page.render({ canvas, viewport }).promise;
  return { bitmap: canvas, width: SLIDE_WIDTH, height: (SLIDE_WIDTH * base.height) / base.width };
}
