import AxeBuilder from '@axe-core/playwright';
import { PDFDocument, rgb } from 'pdf-lib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHarness, peersOf, shot } from './appHarness.js';

const app = new AppHarness();
const PHONE = { viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** A finger stroke from `from` to `to` (CSS px inside `selector`), as touch events through the DevTools protocol. */
async function touchStroke(page: Page, selector: string, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator(selector).first().boundingBox();
  if (box === null) throw new Error(`${selector} not visible`);
  const cdp = await page.context().newCDPSession(page);
  const at = (t: number): { x: number; y: number } => ({ x: box.x + from[0] + (to[0] - from[0]) * t, y: box.y + from[1] + (to[1] - from[1]) * t });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(0)] });
  for (let i = 1; i <= 10; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(i / 10)] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** Serious and critical axe-core violations on the page, as "rule: target" lines. */
async function seriousViolations(page: Page): Promise<string[]> {
  // The WCAG 2.1 A/AA rules (where serious and critical findings live); best-practice rules only slow it down.
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

describe('classroom app: phones and accessibility (built, real Chromium)', () => {
  beforeAll(async () => {
    await app.start();
  }, 180_000);

  afterAll(async () => {
    await app.stop();
  });

  it('a student on a phone (375×812, touch) joins, sees the teacher\'s video, draws with a finger, chats, raises a hand', async () => {
    const { teacher, link } = await app.startClass('Ms Phone', 'Mobile maths');
    await teacher.click('[data-testid=camera-toggle]');
    const phone = await app.join(link, 'Rae', PHONE);
    await expect.poll(() => peersOf(phone), { timeout: 20_000 }).toBeGreaterThan(0);
    // One column, nothing wider than the screen.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expect.poll(() => phone.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=video-teacher]')?.videoWidth ?? 0), { timeout: 20_000 }).toBeGreaterThan(0);

    await touchStroke(phone, '[data-testid=board-input]', [60, 80], [250, 200]);
    await expect.poll(() => phone.getAttribute('[data-testid=board]', 'data-count')).toBe('1');
    await expect.poll(() => teacher.getAttribute('[data-testid=board]', 'data-count'), { timeout: 10_000 }).toBe('1');
    await shot(phone, '40-phone-board');

    await phone.locator('[data-testid=chat-input]').tap();
    await phone.fill('[data-testid=chat-input]', 'Hello from my phone');
    await phone.locator('[data-testid=chat-send]').tap();
    await expect.poll(() => teacher.locator('[data-testid=chat-message]').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('Hello from my phone')]);

    await phone.locator('[data-testid=raise-hand]').tap();
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Rae]').getAttribute('data-hand'), { timeout: 10_000 }).toBe('true');
    await phone.locator('[data-testid=chat-messages]').scrollIntoViewIfNeeded();
    await shot(phone, '41-phone-chat');

    // Slides: the teacher presents a two-page PDF; the phone shows it whole and follows to page two.
    const pdf = await PDFDocument.create();
    for (const w of [560, 200]) pdf.addPage([640, 480]).drawRectangle({ x: 40, y: 40, width: w, height: 400, color: rgb(0.05, 0.05, 0.1) });
    await teacher.click('[data-testid=tab-slides]');
    await phone.locator('[data-testid=tab-slides]').tap();
    await teacher.setInputFiles('[data-testid=slides-file]', { name: 'lesson.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdf.save()) });
    await expect.poll(() => phone.getAttribute('[data-testid=slides]', 'data-rendered'), { timeout: 20_000 }).toBe('true');
    await teacher.click('[data-testid=slide-next]');
    await expect.poll(() => phone.getAttribute('[data-testid=slides]', 'data-slide-index'), { timeout: 10_000 }).toBe('1');
    // The whole slide fits the phone's width: its 960 board units, with the view's margin, inside 375 px.
    const [x, , scale] = ((await phone.getAttribute('[data-testid=slides] [data-testid=board]', 'data-view')) ?? '').split(',').map(Number) as [number, number, number];
    expect((960 - x) * scale).toBeLessThanOrEqual(375);
    expect(-x * scale).toBeGreaterThan(0);
    await phone.locator('[data-testid=slides]').scrollIntoViewIfNeeded();
    await shot(phone, '43-phone-slides');
  }, 90_000);

  it('axe-core: no serious or critical violations on the landing, teacher and student views', async () => {
    const landing = await app.newPage();
    await landing.goto(app.relay.httpUrl);
    expect(await seriousViolations(landing)).toEqual([]);
    await landing.goto(`${app.relay.httpUrl}/#class=cut-short`);
    await landing.waitForSelector('[data-testid=problem]');
    expect(await seriousViolations(landing)).toEqual([]);
    const { teacher, students } = await app.lesson('Mr Axe', ['Sol']);
    const [sol] = students as [Page];
    await sol.fill('[data-testid=chat-input]', 'hi');
    await sol.click('[data-testid=chat-send]');
    await teacher.click('[data-testid=poll-new]');
    await teacher.click('[data-testid=react]');
    expect(await seriousViolations(teacher)).toEqual([]);
    await sol.click('[data-testid=devices-toggle]');
    await sol.waitForSelector('[data-testid=device-preview]');
    expect(await seriousViolations(sol)).toEqual([]);
    const phone = await app.join(await teacher.inputValue('[data-testid=join-link]'), 'Tam', PHONE);
    expect(await seriousViolations(phone)).toEqual([]);
  }, 90_000);

  it('keyboard alone: a student joins, raises a hand, reacts, votes and chats without a mouse', async () => {
    const { teacher, link } = await app.startClass('Ms Keys', 'Keyboard');
    await teacher.click('[data-testid=poll-new]');
    await teacher.fill('[data-testid=poll-question]', 'Ready?');
    await teacher.fill('[data-testid=poll-option-0]', 'Yes');
    await teacher.fill('[data-testid=poll-option-1]', 'No');
    await teacher.click('[data-testid=poll-open]');
    const kb = await app.newPage();
    await kb.goto(link);
    /** Presses Tab until `selector` has the focus (fails after `max` presses). */
    const tabTo = async (selector: string, max = 60): Promise<void> => {
      for (let i = 0; i < max; i++) {
        if (await kb.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
        await kb.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await tabTo('[data-testid=student-name]');
    await kb.keyboard.type('Uma');
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('[data-testid=classroom][data-role=student]');
    await expect.poll(() => peersOf(kb), { timeout: 20_000 }).toBeGreaterThan(0);

    await tabTo('[data-testid=raise-hand]');
    await kb.keyboard.press('Enter');
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Uma]').getAttribute('data-hand'), { timeout: 10_000 }).toBe('true');

    await tabTo('[data-testid=react]');
    await kb.keyboard.press('Enter');
    await tabTo('[data-testid="react-👏"]');
    await kb.keyboard.press('Space');
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Uma] [data-testid=reaction]').count(), { timeout: 10_000 }).toBe(1);

    await expect.poll(() => kb.locator('[data-testid=poll-vote-0]').count(), { timeout: 10_000 }).toBe(1);
    await tabTo('[data-testid=poll-vote-0]');
    await kb.keyboard.press('Enter');
    await expect.poll(() => teacher.getAttribute('[data-testid=poll-current]', 'data-tally'), { timeout: 10_000 }).toBe('1,0');

    await tabTo('[data-testid=chat-input]');
    await kb.keyboard.type('typed without a mouse');
    await kb.keyboard.press('Enter');
    await expect.poll(() => teacher.locator('[data-testid=chat-message]').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('typed without a mouse')]);
    // Focus is visible where it is.
    expect(await kb.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).not.toBe('none');
  }, 90_000);

  it('devices: choose camera and microphone from lists, preview with a level meter, remembered by the browser', async () => {
    const { teacher, link } = await app.startClass('Mr Dev', 'Devices');
    await teacher.close();
    const page = await app.join(link, 'Vic');
    await page.click('[data-testid=devices-toggle]');
    await expect.poll(() => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=device-preview]')?.videoWidth ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=mic-select] option').count(), { timeout: 10_000 }).toBeGreaterThan(1);
    expect(await page.locator('[data-testid=camera-select] option').count()).toBeGreaterThan(1);
    // Chromium's fake microphone beeps: the meter moves.
    await expect.poll(async () => Number(await page.getAttribute('[data-testid=mic-level]', 'data-level')), { timeout: 10_000 }).toBeGreaterThan(0.01);
    const options = await page.locator('[data-testid=mic-select] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value).filter((v) => v !== ''));
    const micChoice = options.at(-1) ?? '';
    const camChoice = await page.locator('[data-testid=camera-select] option').nth(1).getAttribute('value') ?? '';
    await page.selectOption('[data-testid=mic-select]', micChoice);
    await page.selectOption('[data-testid=camera-select]', camChoice);
    await expect.poll(() => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=device-preview]')?.videoWidth ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot(page, '42-device-settings');
    await page.click('[data-testid=devices-close]');

    // The camera turned on uses the chosen device, and the choice survives a reload.
    await page.click('[data-testid=camera-toggle]');
    const cameraDevice = (): Promise<string> => page.evaluate(() => {
      const stream = document.querySelector<HTMLVideoElement>('[data-testid=video-self]')?.srcObject;
      return stream instanceof MediaStream ? stream.getVideoTracks()[0]?.getSettings().deviceId ?? '' : '';
    });
    await expect.poll(cameraDevice, { timeout: 10_000 }).toBe(camChoice);
    await page.reload();
    await app.join(link, 'Vic', {}, page);
    await page.click('[data-testid=devices-toggle]');
    await expect.poll(() => page.inputValue('[data-testid=mic-select]'), { timeout: 10_000 }).toBe(micChoice);
    expect(await page.inputValue('[data-testid=camera-select]')).toBe(camChoice);
  }, 90_000);
});
