import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as Y from 'yjs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.js';
import { bundleForBrowser, servePages } from '../helpers/browserBundle.js';
import type { PageServer } from '../helpers/browserBundle.js';
import {
  CONTROL_MAP_NAME,
  ControlState,
  createTeacherIdentity,
  encodeSignedControl,
  parseJoinLink,
  signControl,
  verifyControl,
} from '../../src/authority/index.js';

type Api = typeof import('../../src/authority/index.js') & { Y: typeof Y };
declare global {
  interface Window {
    peerAuth: Api;
  }
}

let browser: Browser;
let server: PageServer;
let page: Page;

beforeAll(async () => {
  const js = await bundleForBrowser(fileURLToPath(new URL('./browserEntry.ts', import.meta.url)));
  server = await servePages({ '/index.html': '<!doctype html><script type="module" src="/app.js"></script>', '/app.js': js });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.peerAuth !== undefined);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('authority across Node and Chromium WebCrypto', () => {
  it('a join link and statements made in the browser verify in Node', async () => {
    const out = await page.evaluate(async () => {
      const a = window.peerAuth;
      const id = await a.createTeacherIdentity();
      const link = a.createJoinLink(location.origin + '/class', { classId: a.randomClassId(), secret: a.randomSecret(), teacherKey: id.publicKey });
      const params = a.parseJoinLink(link);
      const signed = await a.signControl(id, { kind: 'stage', classId: params.classId, seq: 1, issuedAt: Date.now(), body: { peerId: 'alice' } });
      const exported = await a.exportTeacherIdentity(id);
      return { link, bytes: Array.from(a.encodeSignedControl(signed)), exported: JSON.stringify(exported) };
    });
    const params = parseJoinLink(out.link);
    const r = await verifyControl(params.teacherKey, params.classId, new Uint8Array(out.bytes));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.statement.body).toEqual({ peerId: 'alice' });
    expect(JSON.parse(out.exported).publicKey).toBe(params.teacherKey);
  });

  it('a browser ControlState applies Node-teacher state from a doc update and rejects a forgery', async () => {
    const teacherId = await createTeacherIdentity();
    const doc = new Y.Doc();
    const teacher = new ControlState({ doc, classId: 'c1', teacherKey: teacherId.publicKey, identity: teacherId });
    await teacher.issue('stage', { peerId: 'bob' });
    await teacher.issue('board-lock', { locked: true });
    const forged = encodeSignedControl(
      await signControl(await createTeacherIdentity(), { kind: 'remove', classId: 'c1', seq: 9, issuedAt: 1, body: { peerId: 'teacher' } }),
    );
    const attacker = new Y.Doc();
    Y.applyUpdate(attacker, Y.encodeStateAsUpdate(doc));
    attacker.getMap(CONTROL_MAP_NAME).set('remove:teacher', forged);
    const update = Array.from(Y.encodeStateAsUpdate(attacker));
    const result = await page.evaluate(
      async ({ update, key }) => {
        const a = window.peerAuth;
        const d = new a.Y.Doc();
        a.Y.applyUpdate(d, new Uint8Array(update));
        const s = new a.ControlState({ doc: d, classId: 'c1', teacherKey: key });
        const reasons: string[] = [];
        s.on('rejected', (r) => reasons.push(r.reason));
        await s.ready;
        return { stage: s.stage(), locked: s.boardLocked(), removed: [...s.removed()], reasons };
      },
      { update, key: teacherId.publicKey },
    );
    expect(result).toEqual({ stage: 'bob', locked: true, removed: [], reasons: ['bad-signature'] });
    teacher.destroy();
  });
});
