import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../helpers/chromium.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { importRawPublicKey, peerIdFromPublicKey, verifyBytes } from '../../src/identity/index.js';
import { routedSigningBytes } from '../../src/protocol/signedMessages.js';

type Api = typeof import('../../src/identity/index.js') & typeof import('../../src/protocol/signedMessages.js');
declare global { interface Window { peerIdentity: Api } }

let browser: Browser;
let server: PageServer;
let page: Page;

beforeAll(async () => {
  const js = await bundleForBrowser(fileURLToPath(new URL('./browserEntry.ts', import.meta.url)));
  server = await servePages({ '/index.html': '<!doctype html><script type="module" src="/app.js"></script>', '/app.js': js });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.peerIdentity !== undefined);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('peer identity in Chromium', () => {
  it('IndexedDB keeps a non-extractable key per class across a reload; its signatures verify in Node', async () => {
    const first = await page.evaluate(async () => {
      const api = window.peerIdentity;
      const identity = await api.loadOrCreatePeerIdentity(new api.IndexedDbKeyStore(), 'class-a');
      const stored = await new api.IndexedDbKeyStore().load('class-a');
      return { peerId: identity.peerId, extractable: stored?.privateKey.extractable };
    });
    expect(first.extractable).toBe(false);
    await page.reload();
    await page.waitForFunction(() => window.peerIdentity !== undefined);
    const envelope = { origin: first.peerId, seq: 42, inner: [0, 2, 1, 0] };
    const after = await page.evaluate(async (env) => {
      const api = window.peerIdentity;
      const identity = await api.loadOrCreatePeerIdentity(new api.IndexedDbKeyStore(), 'class-a');
      const other = await api.loadOrCreatePeerIdentity(new api.IndexedDbKeyStore(), 'class-b');
      const bytes = api.routedSigningBytes('class-a', { ...env, inner: Uint8Array.from(env.inner) });
      return { peerId: identity.peerId, other: other.peerId, publicKey: [...identity.publicKey], signature: [...await identity.sign(bytes)] };
    }, envelope);
    expect(after.peerId).toBe(first.peerId);
    expect(after.other).not.toBe(first.peerId);
    const raw = Uint8Array.from(after.publicKey);
    expect(await peerIdFromPublicKey(raw)).toBe(first.peerId);
    const bytes = routedSigningBytes('class-a', { ...envelope, inner: Uint8Array.from(envelope.inner) });
    expect(await verifyBytes(await importRawPublicKey(raw), Uint8Array.from(after.signature), bytes)).toBe(true);
  });
});
