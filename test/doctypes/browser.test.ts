import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import * as Y from 'yjs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.js';
import { bundleForBrowser, servePages } from '../helpers/browserBundle.js';
import type { PageServer } from '../helpers/browserBundle.js';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import { chatType } from '../../src/doctypes/chat.js';
import { PDFDocument } from 'pdf-lib';

let browser: Browser;
let server: PageServer;
let context: BrowserContext;

async function openPage(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.peerDocs !== undefined);
  return page;
}

beforeAll(async () => {
  const js = await bundleForBrowser(fileURLToPath(new URL('./browserEntry.ts', import.meta.url)));
  const pdf = await PDFDocument.create();
  for (let i = 0; i < 4; i++) pdf.addPage().drawText(`Slide ${i + 1}`);
  server = await servePages({ '/index.html': '<!doctype html><script type="module" src="/app.js"></script>', '/app.js': js, '/deck.pdf': await pdf.save() });
  browser = await launchChromium();
  context = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('offline student in Chromium (real IndexedDB)', () => {
  it('draws and chats offline, survives a reload, and merges with the class on reconnect', async () => {
    const classDoc = new Y.Doc();
    const cls = new DocumentSet(classDoc, { peerId: 'teacher', name: 'T', role: 'teacher' });
    const board = cls.register(whiteboardType);
    const chat = cls.register(chatType);
    chat.send('welcome');

    let page = await openPage();
    // Join: receive the class state.
    await page.evaluate(async (update) => {
      window.student = await window.peerDocs.open('peerclass:offline-test', 'stud');
      window.peerDocs.Y.applyUpdate(window.student.doc, new Uint8Array(update), 'remote');
    }, Array.from(Y.encodeStateAsUpdate(classDoc)));

    // Offline: the student keeps drawing and chatting; the class keeps drawing.
    await context.setOffline(true);
    await page.evaluate(() => {
      const s = window.student!;
      for (let i = 0; i < 100; i++) s.board.addInk({ pageId: 'main', points: Array.from({ length: 20 }, (_, k) => [i * 3 + k, k * 2] as [number, number]) });
      s.chat.send('I was offline');
      s.chat.send('still here');
    });
    for (let i = 0; i < 100; i++) board.addInk({ pageId: 'main', points: [[i, 0], [i, 50], [i + 5, 60]] });
    chat.send('class note');
    // Closing the provider lets IndexedDB finish pending writes; then reload. The page itself comes
    // from the test server (this project has no service worker), the class doc only from IndexedDB.
    await page.evaluate(() => window.student!.persistence.destroy());
    await page.close();
    await context.setOffline(false);
    page = await openPage();
    const restored = await page.evaluate(async () => {
      window.student = await window.peerDocs.open('peerclass:offline-test', 'stud');
      const s = window.student;
      return { strokes: s.board.size, chat: s.chat.messages().map((m) => m.text) };
    });
    expect(restored).toEqual({ strokes: 100, chat: ['welcome', 'I was offline', 'still here'] });

    // Reconnect: sync step 1/2 both ways.
    const fromStudent = await page.evaluate((sv) => {
      const s = window.student!;
      return Array.from(window.peerDocs.Y.encodeStateAsUpdate(s.doc, new Uint8Array(sv)));
    }, Array.from(Y.encodeStateVector(classDoc)));
    Y.applyUpdate(classDoc, new Uint8Array(fromStudent), 'remote');
    const studentSv = await page.evaluate(() => Array.from(window.peerDocs.Y.encodeStateVector(window.student!.doc)));
    const after = await page.evaluate((update) => {
      const s = window.student!;
      window.peerDocs.Y.applyUpdate(s.doc, new Uint8Array(update), 'remote');
      const svg = s.board.exportSvg('main');
      const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return {
        strokes: s.board.size,
        chat: s.chat.messages().map((m) => m.text),
        svgPaths: parsed.querySelectorAll('path').length,
        svgError: parsed.querySelector('parsererror') !== null,
      };
    }, Array.from(Y.encodeStateAsUpdate(classDoc, new Uint8Array(studentSv))));
    expect(board.size).toBe(200);
    expect(after.strokes).toBe(200);
    expect(after.svgPaths).toBe(200);
    expect(after.svgError).toBe(false);
    expect(new Set(after.chat)).toEqual(new Set(['welcome', 'I was offline', 'still here', 'class note']));
    expect(chat.messages().map((m) => m.text)).toEqual(after.chat);
    await page.evaluate(() => window.student!.persistence.clearData());
  });

  it('exports a board page to PNG in the browser', async () => {
    const page = await openPage();
    const out = await page.evaluate(async () => {
      const s = await window.peerDocs.open('peerclass:png-test', 'png');
      s.board.addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 40, h: 30, color: '#ff0000', fill: '#ff0000' });
      s.board.addInk({ pageId: 'main', points: [[50, 50], [60, 55], [70, 52]], width: 6 });
      const blob = await window.peerDocs.svgToPng(s.board.exportSvg('main', { background: '#ffffff' }), 2);
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const g = canvas.getContext('2d')!;
      g.drawImage(bitmap, 0, 0);
      const inRect = Array.from(g.getImageData(20, 20, 1, 1).data);
      const outside = Array.from(g.getImageData(150, 20, 1, 1).data);
      await s.persistence.clearData();
      return { type: blob.type, width: bitmap.width, inRect, outside };
    });
    expect(out.type).toBe('image/png');
    expect(out.width).toBeGreaterThanOrEqual(160);
    expect(out.inRect).toEqual([255, 0, 0, 255]);
    expect(out.outside).toEqual([255, 255, 255, 255]);
    await page.close();
  });

  it('imports a PDF deck in the browser with the default pdfjs page counter', async () => {
    const page = await openPage();
    const out = await page.evaluate(async () => {
      const bytes = new Uint8Array(await (await fetch('/deck.pdf')).arrayBuffer());
      const pres = window.peerDocs.teacherPresentation();
      const progress: number[] = [];
      const deck = await pres.importPdf(bytes, { onProgress: (d) => progress.push(d) });
      const back = pres.pdfBytes(deck.id);
      return { slides: deck.slideCount, progress, same: back !== null && back.length === bytes.length && back.every((b, i) => b === bytes[i]) };
    });
    expect(out).toEqual({ slides: 4, progress: [1], same: true });
    await page.close();
  });
});
