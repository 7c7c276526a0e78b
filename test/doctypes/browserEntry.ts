import * as Y from 'yjs';
import { chatType, DocumentSet, presentationType, svgToPng, whiteboardType } from '../../src/doctypes/index.js';
import { persistToIndexedDb } from '../../src/persistence/index.js';

/** What the Chromium test drives: a student's class doc persisted in IndexedDB. */
const api = {
  Y,
  svgToPng,
  /** A teacher's presentation on a fresh doc (no persistence). */
  teacherPresentation() {
    return new DocumentSet(new Y.Doc(), { peerId: 'teacher', name: 'T', role: 'teacher' }).register(presentationType);
  },
  async open(name: string, peerId: string) {
    const doc = new Y.Doc();
    const persistence = persistToIndexedDb(doc, name);
    await persistence.whenSynced;
    const docs = new DocumentSet(doc, { peerId, name: 'Student', role: 'student' });
    return { doc, persistence, board: docs.register(whiteboardType), chat: docs.register(chatType) };
  },
};

declare global {
  interface Window {
    peerDocs: typeof api;
    student?: Awaited<ReturnType<typeof api.open>>;
  }
}
window.peerDocs = api;
