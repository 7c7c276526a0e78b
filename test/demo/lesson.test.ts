import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PDFDocument, rgb } from 'pdf-lib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../signaling/index.js';
import type { Relay } from '../../signaling/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { waitUntil } from '../helpers/processes.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'demo');
const VIEWPORT = { width: 1280, height: 800 };

let relay: Relay;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** Dark pixels on a page's board canvas: what a user would see as ink. */
async function inkPixels(page: Page, scope = '[data-testid=classroom]'): Promise<number> {
  return await page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel);
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return -1;
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128 && (data[i + 1] ?? 255) < 128 && (data[i + 2] ?? 255) < 128) n++;
    return n;
  }, `${scope} [data-testid=board-canvas]`);
}

async function boardCount(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid=board]', 'data-count'));
}

async function draw(page: Page, from: [number, number], to: [number, number], target = '[data-testid=board-input]'): Promise<void> {
  const box = await page.locator(target).first().boundingBox();
  if (box === null) throw new Error('board not visible');
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(box.x + from[0] + ((to[0] - from[0]) * i) / 12, box.y + from[1] + ((to[1] - from[1]) * i) / 12);
  }
  await page.mouse.up();
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return { context, page };
}

/** A two-page PDF, each page mostly covered by a dark block (easy to find in canvas pixels). */
async function makePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (const label of ['one', 'two']) {
    const page = pdf.addPage([640, 480]);
    page.drawRectangle({ x: 40, y: 40, width: label === 'one' ? 560 : 200, height: 400, color: rgb(0.05, 0.05, 0.1) });
    page.drawText(`Slide ${label}`, { x: 60, y: 450, size: 18 });
  }
  return Buffer.from(await pdf.save());
}

async function peersOf(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-testid=status]', 'data-peers'));
}

describe('classroom app (built, served by the relay)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    process.env.PEERCLASS_VITE_LOG = 'silent';
    await build({ configFile: join(process.cwd(), 'demo/vite.config.ts'), logLevel: 'silent' });
    relay = await startRelay({ staticDir: join(process.cwd(), 'demo/dist'), port: 0, host: '127.0.0.1', logLevel: 'silent', processMetrics: false });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await relay?.close();
  });

  it('teacher and two students: join by link, draw, chat, raise hand, stage, slides', async () => {
    // --- teacher starts a class ---
    const { page: teacher } = await newPage();
    await teacher.goto(relay.httpUrl);
    await teacher.screenshot({ path: join(ARTIFACTS, '01-landing.png') });
    await teacher.fill('[data-testid=teacher-name]', 'Ms Rivera');
    await teacher.fill('[data-testid=class-title]', 'Fractions');
    await teacher.click('[data-testid=start-class]');
    await teacher.waitForSelector('[data-testid=classroom][data-role=teacher]');
    await expect.poll(() => teacher.textContent('[data-testid=class-heading]')).toBe('Fractions');
    const link = await teacher.inputValue('[data-testid=join-link]');
    expect(link).toMatch(/#class=.+&secret=.+&teacher=.+/);

    // Reload keeps the teacher role (the private key stays in localStorage).
    await teacher.reload();
    await teacher.waitForSelector('[data-testid=classroom][data-role=teacher]');

    // --- two students join by the link ---
    const students: Page[] = [];
    for (const name of ['Ada', 'Ben']) {
      const { page } = await newPage();
      await page.goto(link);
      await page.fill('[data-testid=student-name]', name);
      if (name === 'Ada') await page.screenshot({ path: join(ARTIFACTS, '02-join.png') });
      await page.click('[data-testid=join-class]');
      await page.waitForSelector('[data-testid=classroom][data-role=student]');
      students.push(page);
    }
    const [ada, ben] = students as [Page, Page];
    const all = [teacher, ada, ben];
    await waitUntil(async () => (await Promise.all(all.map(peersOf))).every((n) => n === 2), 'everyone reaches two peers', 30_000);
    await expect.poll(() => ada.textContent('[data-testid=class-heading]')).toBe('Fractions');
    await expect.poll(() => teacher.locator('[data-testid=participant]').count()).toBe(3);

    // --- teacher draws; students see the stroke painted on their canvas ---
    const before = await inkPixels(ada);
    await draw(teacher, [100, 100], [300, 200]);
    expect(await boardCount(teacher)).toBe(1);
    for (const s of [ada, ben]) await expect.poll(() => boardCount(s), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => inkPixels(ada), { timeout: 5_000 }).toBeGreaterThan(before + 200);
    await expect.poll(() => inkPixels(ben), { timeout: 5_000 }).toBeGreaterThan(200);

    // A student draws a rectangle (keyboard shortcut R); the teacher sees it.
    await ada.locator('[data-testid=board-input]').hover();
    await ada.keyboard.press('r');
    await expect.poll(() => ada.getAttribute('[data-tool=rect]', 'aria-pressed')).toBe('true');
    const teacherBefore = await inkPixels(teacher);
    await draw(ada, [400, 120], [520, 260]);
    await expect.poll(() => boardCount(teacher), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => inkPixels(teacher), { timeout: 5_000 }).toBeGreaterThan(teacherBefore);
    // Undo is per user: Ada's Ctrl+Z removes her rectangle, not the teacher's stroke.
    await ada.keyboard.press('Control+z');
    for (const p of all) await expect.poll(() => boardCount(p), { timeout: 10_000 }).toBe(1);
    await teacher.screenshot({ path: join(ARTIFACTS, '03-board-teacher.png') });

    // --- chat ---
    await ben.fill('[data-testid=chat-input]', 'Is 1/2 bigger than 1/3?');
    await ben.click('[data-testid=chat-send]');
    for (const p of all) {
      await expect.poll(() => p.locator('[data-testid=chat-message]').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('Is 1/2 bigger than 1/3?')]);
    }

    // --- raise hand, stage, unstage ---
    await ada.click('[data-testid=raise-hand]');
    const adaRow = teacher.locator('[data-testid=participant][data-name=Ada]');
    await expect.poll(() => adaRow.getAttribute('data-hand'), { timeout: 10_000 }).toBe('true');
    await adaRow.locator('[data-testid=stage-button]').click();
    await expect.poll(() => ada.locator('[data-testid=participant][data-name=Ada]').getAttribute('data-stage'), { timeout: 10_000 }).toBe('true');
    await expect.poll(() => ben.locator('[data-testid=tile-stage]').textContent(), { timeout: 10_000 }).toContain('Ada');
    await teacher.screenshot({ path: join(ARTIFACTS, '04-stage-teacher.png') });
    await adaRow.locator('[data-testid=unstage-button]').click();
    await expect.poll(() => ben.locator('[data-testid=tile-stage]').count(), { timeout: 10_000 }).toBe(0);

    // Going offline for real (the link down, not Playwright's setOffline, which leaves WebRTC running) is tested
    // in the network lab: test/lab/appOffline.test.ts.

    // --- slides: the teacher imports a PDF; students see it rendered and follow ---
    for (const p of all) await p.click('[data-testid=tab-slides]');
    await teacher.setInputFiles('[data-testid=slides-file]', { name: 'lesson.pdf', mimeType: 'application/pdf', buffer: await makePdf() });
    const slides = '[data-testid=slides]';
    for (const p of all) {
      await expect.poll(() => p.getAttribute(slides, 'data-slide-count'), { timeout: 20_000 }).toBe('2');
      await expect.poll(() => p.getAttribute(slides, 'data-rendered'), { timeout: 20_000 }).toBe('true');
    }
    const firstSlideInk = await inkPixels(ben, slides);
    expect(firstSlideInk).toBeGreaterThan(10_000);
    await teacher.click('[data-testid=slide-next]');
    for (const p of [ada, ben]) await expect.poll(() => p.getAttribute(slides, 'data-slide-index'), { timeout: 10_000 }).toBe('1');
    // Students follow the teacher's signed slide statement, not the shared doc's state.
    for (const p of [ada, ben]) expect(await p.getAttribute(slides, 'data-source')).toBe('signed');
    // Slide two's block is narrower: the student's canvas really shows the other page.
    await expect.poll(() => inkPixels(ben, slides), { timeout: 10_000 }).toBeLessThan(firstSlideInk * 0.7);
    // Ada stops following; the teacher goes back; only Ben follows.
    await ada.click('[data-testid=follow-toggle]');
    await teacher.click('[data-testid=slide-prev]');
    await expect.poll(() => ben.getAttribute(slides, 'data-slide-index'), { timeout: 10_000 }).toBe('0');
    expect(await ada.getAttribute(slides, 'data-slide-index')).toBe('1');
    // Teacher annotates slide one; Ben sees the annotation on his slide.
    await draw(teacher, [60, 60], [200, 40], `${slides} [data-testid=board-input]`);
    await expect.poll(() => ben.getAttribute(`${slides} [data-testid=board]`, 'data-count'), { timeout: 10_000 }).toBe('1');
    // Laser pointer: the dot shows up on the following student's slide.
    await teacher.click('[data-testid=laser]');
    const box = await teacher.locator(`${slides} [data-testid=board-input]`).boundingBox();
    if (box === null) throw new Error('slide not visible');
    await teacher.mouse.move(box.x + 200, box.y + 150);
    await teacher.mouse.move(box.x + 220, box.y + 160);
    await expect.poll(() => ben.locator('[data-testid=laser-dot]').count(), { timeout: 10_000 }).toBe(1);
    await ben.screenshot({ path: join(ARTIFACTS, '07-slides-student.png') });
    await teacher.screenshot({ path: join(ARTIFACTS, '08-slides-teacher.png') });
  }, 90_000);

  it('teacher controls: camera reaches the students, lock board, remove a student, end the class', async () => {
    const { page: teacher } = await newPage();
    // Remove and end class ask for confirmation.
    teacher.on('dialog', (d) => void d.accept());
    await teacher.goto(relay.httpUrl);
    await teacher.fill('[data-testid=teacher-name]', 'Mr Okafor');
    await teacher.click('[data-testid=start-class]');
    await teacher.waitForSelector('[data-testid=classroom][data-role=teacher]');
    const link = await teacher.inputValue('[data-testid=join-link]');
    const students: Page[] = [];
    for (const name of ['Cleo', 'Dev']) {
      const { page } = await newPage();
      await page.goto(link);
      await page.fill('[data-testid=student-name]', name);
      await page.click('[data-testid=join-class]');
      await page.waitForSelector('[data-testid=classroom][data-role=student]');
      students.push(page);
    }
    const [cleo, dev] = students as [Page, Page];
    await waitUntil(async () => (await Promise.all([teacher, cleo, dev].map(peersOf))).every((n) => n >= 1), 'students reach the teacher', 30_000);

    // --- the teacher turns the camera on; a student's teacher tile plays it ---
    await teacher.click('[data-testid=camera-toggle]');
    await expect.poll(() => teacher.getAttribute('[data-testid=camera-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('true');
    const videoWidth = (p: Page): Promise<number> =>
      p.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=video-teacher]')?.videoWidth ?? 0);
    await expect.poll(() => videoWidth(cleo), { timeout: 20_000 }).toBeGreaterThan(0);
    await cleo.screenshot({ path: join(ARTIFACTS, '09-teacher-video-student.png') });

    // --- Cleo turns her camera on and is staged: Dev and the teacher see her video in the stage tile ---
    await cleo.click('[data-testid=camera-toggle]');
    await expect.poll(() => cleo.getAttribute('[data-testid=camera-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('true');
    const cleoRow = teacher.locator('[data-testid=participant][data-name=Cleo]');
    await cleoRow.locator('[data-testid=stage-button]').click();
    const stageWidth = (p: Page): Promise<number> =>
      p.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=video-stage]')?.videoWidth ?? 0);
    await expect.poll(() => stageWidth(dev), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => stageWidth(teacher), { timeout: 20_000 }).toBeGreaterThan(0);
    // Only the staged student may share a screen (the teacher always may).
    expect(await cleo.locator('[data-testid=screen-toggle]').count()).toBe(1);
    expect(await dev.locator('[data-testid=screen-toggle]').count()).toBe(0);
    await dev.screenshot({ path: join(ARTIFACTS, '09b-staged-video-student.png') });
    await cleoRow.locator('[data-testid=unstage-button]').click();
    await expect.poll(() => dev.locator('[data-testid=tile-stage]').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => teacher.locator('[data-testid=tile-stage]').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => cleo.locator('[data-testid=screen-toggle]').count(), { timeout: 10_000 }).toBe(0);

    // --- connection quality: the teacher's list rates each student from getStats ---
    await expect.poll(() => cleoRow.locator('[data-testid=quality]').getAttribute('data-quality'), { timeout: 15_000 }).toMatch(/^(good|fair|poor)$/);

    // --- lock board: the student's drawing tools are off and a stroke does not land ---
    await teacher.click('[data-testid=lock-board]');
    await expect.poll(() => cleo.getAttribute('[data-testid=board]', 'data-locked'), { timeout: 10_000 }).toBe('true');
    expect(await cleo.locator('[data-tool=pen]').isDisabled()).toBe(true);
    await draw(cleo, [100, 100], [250, 180]);
    expect(await boardCount(cleo)).toBe(0);
    await cleo.screenshot({ path: join(ARTIFACTS, '10-locked-student.png') });
    await teacher.click('[data-testid=lock-board]');
    await expect.poll(() => cleo.getAttribute('[data-testid=board]', 'data-locked'), { timeout: 10_000 }).toBe('false');
    await draw(cleo, [100, 100], [250, 180]);
    await expect.poll(() => boardCount(teacher), { timeout: 10_000 }).toBe(1);

    // --- mute all: the student is told the teacher muted them ---
    await cleo.click('[data-testid=mic-toggle]');
    await expect.poll(() => cleo.getAttribute('[data-testid=mic-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('true');
    await teacher.click('[data-testid=mute-all]');
    await cleo.waitForSelector('[data-testid=muted-by-teacher]', { timeout: 10_000 });
    // Her mic button shows the request and cannot override it.
    const cleoMic = cleo.locator('[data-testid=mic-toggle]');
    expect(await cleoMic.getAttribute('aria-pressed')).toBe('false');
    expect(await cleoMic.isDisabled()).toBe(true);

    // --- per-student unmute, then mute again ---
    const cleoMute = teacher.locator('[data-testid=participant][data-name=Cleo] [data-testid=mute-button]');
    await expect.poll(() => cleoMute.getAttribute('data-muted'), { timeout: 10_000 }).toBe('true');
    await cleoMute.click();
    await expect.poll(() => cleo.locator('[data-testid=muted-by-teacher]').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => cleoMic.getAttribute('aria-pressed')).toBe('true');
    // Dev is still under "mute all": the per-student request only covers Cleo.
    expect(await teacher.locator('[data-testid=participant][data-name=Dev] [data-testid=mute-button]').getAttribute('data-muted')).toBe('true');
    await expect.poll(() => cleoMute.getAttribute('data-muted'), { timeout: 10_000 }).toBe('false');
    await cleoMute.click();
    await cleo.waitForSelector('[data-testid=muted-by-teacher]', { timeout: 10_000 });

    // --- remove Dev: he sees the removed screen, the teacher's list drops him ---
    await teacher.locator('[data-testid=participant][data-name=Dev] [data-testid=remove-button]').click();
    await dev.waitForSelector('[data-testid=class-over][data-reason=removed]', { timeout: 10_000 });
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Dev]').count(), { timeout: 10_000 }).toBe(0);

    // --- end the class: Cleo sees the class-ended screen ---
    await teacher.click('[data-testid=end-class]');
    await cleo.waitForSelector('[data-testid=class-over][data-reason=ended]', { timeout: 10_000 });
    await cleo.screenshot({ path: join(ARTIFACTS, '11-class-ended-student.png') });
  }, 60_000);
});
