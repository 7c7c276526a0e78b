import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { persistToFile, readUpdateLog } from '../../src/persistence/file.js';
import { persistToIndexedDb } from '../../src/persistence/index.js';
import { DocumentSet } from '../../src/doctypes/documentSet.js';
import { whiteboardType } from '../../src/doctypes/whiteboard.js';
import { chatType } from '../../src/doctypes/chat.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function classOf(doc: Y.Doc) {
  const docs = new DocumentSet(doc, { peerId: `p${doc.clientID}`, name: 'Bot', role: 'student' });
  return { board: docs.register(whiteboardType), chat: docs.register(chatType) };
}

describe('file persistence (Node)', () => {
  it('appends updates, restores them, and compacts on load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerclass-persist-'));
    dirs.push(dir);
    const path = join(dir, 'class.ydoc');
    const doc1 = new Y.Doc();
    const p1 = persistToFile(doc1, path);
    await p1.whenLoaded;
    const c1 = classOf(doc1);
    for (let i = 0; i < 50; i++) c1.board.addInk({ pageId: 'main', points: [[i, i], [i + 5, i + 2]] });
    c1.chat.send('saved?');
    await p1.flush();
    const records = readUpdateLog(new Uint8Array(await readFile(path)));
    expect(records.length).toBeGreaterThanOrEqual(51);
    await p1.destroy();

    // Simulate a crash in the middle of an append: a torn record at the end is ignored.
    await appendFile(path, new Uint8Array([200, 1, 2]));
    const doc2 = new Y.Doc();
    const p2 = persistToFile(doc2, path);
    await p2.whenLoaded;
    const c2 = classOf(doc2);
    expect(c2.board.size).toBe(50);
    expect(c2.chat.messages().map((m) => m.text)).toEqual(['saved?']);
    expect(readUpdateLog(new Uint8Array(await readFile(path)))).toHaveLength(1);
    c2.board.addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 1, h: 1 });
    await p2.destroy();
    const size = (await stat(path)).size;
    expect(size).toBeGreaterThan(0);

    const doc3 = new Y.Doc();
    const p3 = persistToFile(doc3, path);
    await p3.whenLoaded;
    expect(classOf(doc3).board.size).toBe(51);
    await p3.destroy();
  });
});

describe('IndexedDB persistence (fake-indexeddb)', () => {
  it('offline edits survive a reload and merge with the class on reconnect', async () => {
    const name = `peerclass:test-${Date.now()}`;
    const classDoc = new Y.Doc();
    const cls = classOf(classDoc);
    cls.board.addInk({ pageId: 'main', points: [[0, 0], [1, 1]] });

    // Student joins, syncs, then goes offline and keeps drawing and chatting.
    const s1 = new Y.Doc();
    const p1 = persistToIndexedDb(s1, name);
    await p1.whenSynced;
    Y.applyUpdate(s1, Y.encodeStateAsUpdate(classDoc));
    const st1 = classOf(s1);
    for (let i = 0; i < 10; i++) st1.board.addInk({ pageId: 'main', points: [[i, 0], [i, 9]] });
    st1.chat.send('offline note');
    await new Promise((r) => setTimeout(r, 50));
    await p1.destroy();

    // Page reload while still offline: a fresh doc restores from IndexedDB.
    const s2 = new Y.Doc();
    const p2 = persistToIndexedDb(s2, name);
    await p2.whenSynced;
    const st2 = classOf(s2);
    expect(st2.board.size).toBe(11);
    expect(st2.chat.messages().map((m) => m.text)).toEqual(['offline note']);

    // Meanwhile the class drew more; reconnect = sync both ways.
    cls.board.addInk({ pageId: 'main', points: [[3, 3], [4, 4]] });
    Y.applyUpdate(classDoc, Y.encodeStateAsUpdate(s2, Y.encodeStateVector(classDoc)));
    Y.applyUpdate(s2, Y.encodeStateAsUpdate(classDoc, Y.encodeStateVector(s2)));
    expect(st2.board.size).toBe(12);
    expect(cls.board.size).toBe(12);
    expect(cls.chat.messages().map((m) => m.text)).toEqual(['offline note']);
    await p2.clearData();
  });
});
