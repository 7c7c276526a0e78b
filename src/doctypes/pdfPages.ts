/**
 * PDF page counting with pdfjs-dist, the presentation's default PDF check. pdfjs (about 1.7 MB with its
 * worker) is reached only through dynamic imports inside the function, so a bundler that splits code puts it
 * in a chunk that loads when a teacher imports a PDF, never with the classroom.
 */

/** Count PDF pages with pdfjs-dist (legacy build: runs in Node and in browsers). */
export async function countPdfPagesWithPdfjs(pdf: Uint8Array): Promise<number> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  if (!pdfjs.GlobalWorkerOptions.workerSrc && pdfjs.GlobalWorkerOptions.workerPort === null) {
    // No worker configured by the app: run pdfjs' worker code on this thread. Counting pages is
    // cheap, and this way the library works in browsers without shipping a worker URL.
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
  }
  // pdfjs takes ownership of (detaches) the buffer it is given: pass a copy.
  const task = pdfjs.getDocument({ data: pdf.slice(), isEvalSupported: false, verbosity: 0 });
  const doc = await task.promise;
  try {
    return doc.numPages;
  } finally {
    await doc.destroy();
  }
}
