// Issue 12, test 3 in the app: real offline for the built classroom app. Every participant is a Chromium in its own
// host namespace behind a cone NAT, joining through the app's UI by the join link; the relay (which also serves the
// app) and coturn sit in the lab's internet namespace. A student's link really goes down (carrier loss: WebRTC and the
// relay socket both go quiet, unlike Playwright's setOffline), the student keeps drawing and chatting, the status bar
// says how many changes wait, the class draws meanwhile; link up → every page shows every item. Then offline again,
// reload while offline (the doc comes back from IndexedDB), draw, link up → converged.
// Every count is read from each page's DOM; nothing is synced by the test.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/processes.js';
import {
  APP_ORIGIN, appCopy, chat, draw, launchAppChromium, peerConnectionLog, pendingOf, reachedAt, recordPeerConnections, serveAppOffline, startAppRelay, viewOf, watchFor,
} from './appPages.js';
import { Lab, type LabHost } from './lab.js';
import { startCoturn } from './services.js';
import { sleep } from './sh.js';

/** Length of each cut (issue 12: 30 s). `LAB_CUT_MS` shortens it for a quick local run. */
/**
 * Link up → converged: issue 12's target is 3 s (measured 2.5 s / 1.0 s here under load); the suite asserts a bound that
 * still catches a negotiation lost in the cut waiting out the 20 s connect timeout (the failure this test found).
 */
const CONVERGE_BOUND_MS = process.env.LAB_ASSERT_TARGETS === '1' ? 3000 : 10_000;
const CUT_MS = Number(process.env.LAB_CUT_MS ?? 30_000);
const VIEWPORT = { width: 1280, height: 800 };

interface Counts { strokes: number; chats: number }

/** Opens a page of the app in a fresh context of `browser`; page errors go to the log. */
async function openApp(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await recordPeerConnections(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(url);
  return { context, page };
}

/** The student's join form, as a user fills it (also after a reload: the app asks again for a student). */
async function join(page: Page, name: string): Promise<void> {
  await page.fill('[data-testid=student-name]', name, { timeout: 30_000 });
  await page.click('[data-testid=join-class]');
  await page.waitForSelector('[data-testid=classroom][data-role=student]', { timeout: 30_000 });
}

/** Records navigator.onLine changes in the page (does the `online` event fire inside a namespace?). */
async function logOnline(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __onlineLog: string[] };
    w.__onlineLog = [];
    const t0 = Date.now();
    for (const type of ['online', 'offline']) window.addEventListener(type, () => w.__onlineLog.push(`${type}@+${Date.now() - t0}ms`));
  });
}
const onlineLog = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __onlineLog?: string[] }).__onlineLog ?? []);

/** Waits until the student's status bar says offline; returns how long that took after the link went down. */
async function untilOffline(page: Page, downAt: number): Promise<number> {
  await waitUntil(async () => (await viewOf(page)).state === 'offline', 'the student\'s status bar says offline', 60_000, 100);
  return Date.now() - downAt;
}

/** Link up, then the time until every page's DOM shows `expected` (each page stamps the moment itself). */
async function upAndConverge(pages: Map<string, Page>, host: LabHost, expected: Counts): Promise<{ ms: number; upAt: number; perPeer: Record<string, number> }> {
  for (const page of pages.values()) await watchFor(page, expected.strokes, expected.chats);
  // Stamped before the `ip` commands run (they can take a while on a loaded machine): the figure errs long, not short.
  const upAt = Date.now();
  await host.link.up();
  const perPeer: Record<string, number> = {};
  try {
    await waitUntil(async () => {
      for (const [name, page] of pages) {
        const at = await reachedAt(page);
        if (at === null) return false;
        perPeer[name] = Math.max(0, at - upAt);
      }
      return true;
    }, 'every page showing every item', 90_000, 200);
  } catch (error) {
    const detail: Record<string, unknown> = {};
    for (const [name, page] of pages) detail[name] = await viewOf(page);
    throw new Error(`${(error as Error).message}; expected ${JSON.stringify(expected)}, have ${JSON.stringify(detail)}`);
  }
  return { ms: Math.max(...Object.values(perPeer)), upAt, perPeer };
}

/** Peer-connection state changes of every page since `since` (link down), for the log. */
async function pcTimeline(pages: Map<string, Page>, since: number): Promise<string> {
  const lines: string[] = [];
  for (const [name, page] of pages) lines.push(`  ${name}: ${await peerConnectionLog(page, since)}`);
  return `peer connections since link down:\n${lines.join('\n')}`;
}

/** Strokes at distinct places, so each is a separate item a user would see. */
let strokeNo = 0;
async function stroke(page: Page): Promise<void> {
  const y = 80 + (strokeNo++ % 20) * 25;
  await draw(page, [100 + (strokeNo % 5) * 60, y], [300 + (strokeNo % 5) * 60, y + 10]);
}

describe('real offline in the classroom app (Chromium in the network lab)', () => {
  it(`a student offline for ${CUT_MS / 1000} s keeps drawing and chatting, the class draws; link up → converged; reload while offline → converged`, async () => {
    const lab = await Lab.create();
    try {
      const [staticDir, coturn] = await Promise.all([appCopy(lab), startCoturn(lab)]);
      await startAppRelay(lab, coturn, staticDir);
      const hosts = { t: await lab.addHost('t', 'cone'), ada: await lab.addHost('ada', 'cone'), ben: await lab.addHost('ben', 'cone') };
      const [tb, ab, bb] = await Promise.all([hosts.t, hosts.ada, hosts.ben].map((h) => launchAppChromium(lab, h)));

      // --- the teacher starts a class in the app; two students join by its link ---
      const { page: teacher } = await openApp(tb!, `${APP_ORIGIN}/`);
      await teacher.fill('[data-testid=teacher-name]', 'Ms Rivera', { timeout: 30_000 });
      await teacher.fill('[data-testid=class-title]', 'Offline lesson');
      await teacher.click('[data-testid=start-class]');
      await teacher.waitForSelector('[data-testid=classroom][data-role=teacher]', { timeout: 30_000 });
      const link = await teacher.inputValue('[data-testid=join-link]');
      expect(link.startsWith(`${APP_ORIGIN}/`)).toBe(true);
      const { context: adaContext, page: ada } = await openApp(ab!, link);
      await join(ada, 'Ada');
      const { page: ben } = await openApp(bb!, link);
      await join(ben, 'Ben');
      const pages = new Map([['teacher', teacher], ['ada', ada], ['ben', ben]]);
      const started = Date.now();
      await waitUntil(async () => (await Promise.all([...pages.values()].map(viewOf))).every((v) => v.peers === 2 && v.state === 'synced'),
        'everyone synced with two peers', 60_000, 250);
      console.log(`[lab app] class joined through the app: everyone synced with 2 peers ${Date.now() - started} ms after Ben joined`);

      await stroke(teacher);
      await chat(ben, 'hello from Ben');
      let expected: Counts = { strokes: 1, chats: 1 };
      for (const page of pages.values()) await waitUntil(async () => { const v = await viewOf(page); return v.strokes === 1 && v.chats === 1; }, 'first items everywhere', 20_000, 100);
      await logOnline(ada);

      // --- phase 1: Ada's link goes down for CUT_MS; she keeps working, the class draws meanwhile ---
      const down1 = Date.now();
      await hosts.ada.link.down();
      const offline1Ms = await untilOffline(ada, down1);
      const adaWork = (async () => {
        for (let i = 0; i < 3; i++) { await stroke(ada); await chat(ada, `Ada offline ${i}`); }
        await stroke(ada);
      })();
      const classWork = (async () => {
        for (let i = 0; i < 2; i++) { await stroke(teacher); await stroke(ben); }
        await chat(teacher, 'teacher while Ada is away');
      })();
      await Promise.all([adaWork, classWork]);
      expected = { strokes: expected.strokes + 4 + 4, chats: expected.chats + 3 + 1 };
      const adaView = await viewOf(ada);
      const pending1 = pendingOf(adaView);
      console.log(`[lab app] cut 1: Ada's status bar said offline ${offline1Ms} ms after link down; now "${adaView.text}"`);
      expect(adaView.state).toBe('offline');
      expect(pending1).toBeGreaterThan(0);
      // Really offline: Ada holds only her own new items, the class only theirs.
      expect({ strokes: adaView.strokes, chats: adaView.chats }).toEqual({ strokes: 1 + 4, chats: 1 + 3 });
      for (const page of [teacher, ben]) expect(await viewOf(page)).toMatchObject({ strokes: 1 + 4, chats: 1 + 1 });
      await sleep(Math.max(0, CUT_MS - (Date.now() - down1)));
      const first = await upAndConverge(pages, hosts.ada, expected);
      console.log(`[lab app] cut 1 (${CUT_MS / 1000} s, carrier loss): link up → converged in ${first.ms} ms ${JSON.stringify(first.perPeer)} (link up at +${((first.upAt - down1) / 1000).toFixed(1)}s); `
        + `navigator events on Ada: ${JSON.stringify(await onlineLog(ada))}\n${await pcTimeline(pages, down1)}`);
      expect(first.ms, 'cut 1: link up → converged').toBeLessThanOrEqual(CONVERGE_BOUND_MS);
      await waitUntil(async () => (await viewOf(ada)).state === 'synced', 'Ada\'s status bar back to synced', 30_000, 100);
      for (const page of pages.values()) expect(await viewOf(page)).toMatchObject(expected);

      // --- phase 2: offline again, Ada reloads while offline (the doc comes back from IndexedDB), draws, link up ---
      const down2 = Date.now();
      await hosts.ada.link.down();
      const offline2Ms = await untilOffline(ada, down2);
      const stopServing = await serveAppOffline(adaContext, staticDir);
      await ada.reload();
      await join(ada, 'Ada');
      // Everything she had before the reload is there without any network.
      await waitUntil(async () => { const v = await viewOf(ada); return v.strokes === expected.strokes && v.chats === expected.chats; },
        'Ada\'s doc restored from IndexedDB', 20_000, 100);
      await logOnline(ada);
      await waitUntil(async () => (await viewOf(ada)).state === 'offline', 'the reloaded page says offline', 30_000, 100);
      await stroke(ada);
      await chat(ada, 'Ada after the reload');
      await stroke(ada);
      await stroke(teacher);
      expected = { strokes: expected.strokes + 3, chats: expected.chats + 1 };
      const reloadedView = await viewOf(ada);
      console.log(`[lab app] cut 2: offline ${offline2Ms} ms after link down; after the reload: "${reloadedView.text}"`);
      expect(reloadedView.state).toBe('offline');
      expect(pendingOf(reloadedView)).toBeGreaterThan(0);
      expect(reloadedView).toMatchObject({ strokes: expected.strokes - 1, chats: expected.chats });
      await sleep(Math.max(0, CUT_MS - (Date.now() - down2)));
      const second = await upAndConverge(pages, hosts.ada, expected);
      await stopServing();
      console.log(`[lab app] cut 2 (${CUT_MS / 1000} s, page reloaded while offline): link up → converged in ${second.ms} ms ${JSON.stringify(second.perPeer)} (link up at +${((second.upAt - down2) / 1000).toFixed(1)}s); `
        + `navigator events on Ada after the reload: ${JSON.stringify(await onlineLog(ada))}\n${await pcTimeline(pages, down2)}`);
      expect(second.ms, 'cut 2: link up → converged').toBeLessThanOrEqual(CONVERGE_BOUND_MS);
      await waitUntil(async () => (await viewOf(ada)).state === 'synced', 'Ada\'s status bar back to synced', 30_000, 100);
      for (const page of pages.values()) expect(await viewOf(page)).toMatchObject(expected);
    } finally {
      await lab.close();
    }
  }, 300_000);
});
