// pdfjs-dist ships no types for its worker module; it is imported only for its side effect
// (it defines globalThis.pdfjsWorker, which lets pdfjs run without a separate worker script).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs';
