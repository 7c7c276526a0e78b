import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHarness, shot } from './appHarness.js';

const app = new AppHarness();

describe('classroom app: polls, chat moderation, board follow (built, real Chromium)', () => {
  beforeAll(async () => {
    await app.start();
  }, 120_000);

  afterAll(async () => {
    await app.stop();
  });

  it('polls: the teacher asks, two students vote, everyone sees the live tally, the teacher closes it', async () => {
    const { teacher, students } = await app.lesson('Ms Poll', ['Ana', 'Bo']);
    const [ana, bo] = students as [Page, Page];
    await teacher.click('[data-testid=poll-new]');
    await teacher.fill('[data-testid=poll-question]', 'Which is bigger?');
    await teacher.fill('[data-testid=poll-option-0]', '1/2');
    await teacher.fill('[data-testid=poll-option-1]', '1/3');
    await teacher.click('[data-testid=poll-add-option]');
    await teacher.fill('[data-testid=poll-option-2]', 'Equal');
    await teacher.click('[data-testid=poll-open]');
    const current = '[data-testid=poll-current]';
    for (const p of [teacher, ana, bo]) await expect.poll(() => p.locator('[data-testid=poll-title]').textContent(), { timeout: 10_000 }).toBe('Which is bigger?');
    // Teachers do not vote; students get buttons.
    expect(await teacher.locator('[data-testid=poll-vote-0]').count()).toBe(0);
    await ana.click('[data-testid=poll-vote-0]');
    await bo.click('[data-testid=poll-vote-1]');
    for (const p of [teacher, ana, bo]) await expect.poll(() => p.getAttribute(current, 'data-tally'), { timeout: 10_000 }).toBe('1,1,0');
    // Bo changes his mind: still one vote each, the tally moves on every screen.
    await bo.click('[data-testid=poll-vote-0]');
    for (const p of [teacher, ana, bo]) {
      await expect.poll(() => p.getAttribute(current, 'data-tally'), { timeout: 10_000 }).toBe('2,0,0');
      expect(await p.getAttribute(current, 'data-voters')).toBe('2');
    }
    await shot(ana, '20-poll-student');
    await teacher.click('[data-testid=poll-close]');
    for (const p of [teacher, ana, bo]) await expect.poll(() => p.getAttribute(current, 'data-closed'), { timeout: 10_000 }).toBe('true');
    // Closed: no vote buttons, the result stays.
    expect(await ana.locator('[data-testid=poll-vote-0]').count()).toBe(0);
    expect(await ana.locator('[data-testid=poll-count-0]').textContent()).toBe('2');
    await shot(teacher, '21-poll-closed-teacher');
  }, 45_000);

  it('chat moderation: the teacher pins and deletes messages, everyone sees it', async () => {
    const { teacher, students } = await app.lesson('Mr Mod', ['Cy', 'Di']);
    const [cy, di] = students as [Page, Page];
    const all = [teacher, cy, di];
    const say = async (p: Page, text: string): Promise<void> => {
      await p.fill('[data-testid=chat-input]', text);
      await p.click('[data-testid=chat-send]');
    };
    await say(teacher, 'Homework: page 12');
    await say(cy, 'lol spam');
    await say(di, 'Can we use calculators?');
    const texts = (p: Page): Promise<string[]> => p.locator('[data-testid=chat-message] > span:nth-child(2)').allTextContents();
    for (const p of all) await expect.poll(() => texts(p), { timeout: 10_000 }).toEqual(['Homework: page 12', 'lol spam', 'Can we use calculators?']);
    // Students get no moderation buttons.
    expect(await cy.locator('[data-testid=chat-delete], [data-testid=chat-pin]').count()).toBe(0);

    // Pin the homework message: it shows on top for everyone.
    await teacher.locator('[data-testid=chat-message]').nth(0).locator('[data-testid=chat-pin]').click();
    for (const p of all) await expect.poll(() => p.locator('[data-testid=pinned-message]').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('Homework: page 12')]);
    // The pinned box sits above the conversation.
    const above = async (p: Page): Promise<boolean> => {
      const pin = await p.locator('[data-testid=chat-pinned]').boundingBox();
      const list = await p.locator('[data-testid=chat-messages]').boundingBox();
      return pin !== null && list !== null && pin.y + pin.height <= list.y + 1;
    };
    expect(await above(di)).toBe(true);

    // Delete the spam: gone everywhere.
    await teacher.locator('[data-testid=chat-message]').nth(1).locator('[data-testid=chat-delete]').click();
    for (const p of all) await expect.poll(() => texts(p), { timeout: 10_000 }).toEqual(['Homework: page 12', 'Can we use calculators?']);
    await shot(di, '22-chat-pinned-student');
    await shot(teacher, '23-chat-moderation-teacher');

    // Unpin: the box goes away for everyone.
    await teacher.click('[data-testid=chat-unpin]');
    for (const p of all) await expect.poll(() => p.locator('[data-testid=pinned-message]').count(), { timeout: 10_000 }).toBe(0);
  }, 45_000);

  it('board viewport follow: students follow the teacher\'s zoom, pan and page; stop following and follow again', async () => {
    const { teacher, students } = await app.lesson('Ms View', ['Eve', 'Fin']);
    const [eve, fin] = students as [Page, Page];
    /** The board point at the centre of a page's canvas, and the zoom. */
    const centre = async (p: Page): Promise<{ x: number; y: number; scale: number }> => {
      const [x, y, scale] = ((await p.getAttribute('[data-testid=classroom] [data-testid=board]', 'data-view')) ?? '').split(',').map(Number) as [number, number, number];
      const box = await p.locator('[data-testid=classroom] [data-testid=board-canvas]').boundingBox();
      if (box === null) throw new Error('no board');
      return { x: x + box.width / (2 * scale), y: y + box.height / (2 * scale), scale };
    };
    const sameView = async (p: Page): Promise<boolean> => {
      const [t, o] = [await centre(teacher), await centre(p)];
      return Math.abs(t.x - o.x) < 3 && Math.abs(t.y - o.y) < 3 && Math.abs(t.scale / o.scale - 1) < 0.15;
    };
    // The teacher zooms in twice and scrolls (the wheel pans without Ctrl).
    await teacher.getByRole('button', { name: 'Zoom in' }).click();
    await teacher.getByRole('button', { name: 'Zoom in' }).click();
    const input = teacher.locator('[data-testid=board-input]');
    await input.hover();
    await teacher.mouse.wheel(120, 200);
    await expect.poll(async () => (await centre(teacher)).scale).toBeCloseTo(1.5625, 3);
    for (const p of [eve, fin]) await expect.poll(() => sameView(p), { timeout: 10_000 }).toBe(true);
    for (const p of [eve, fin]) expect(await p.getAttribute('[data-testid=board]', 'data-following')).toBe('true');
    await shot(eve, '24-board-follow-student');

    // Eve stops following (her own zoom also would); the teacher moves on; only Fin follows.
    await eve.click('[data-testid=board-follow-toggle]');
    const eveBefore = await centre(eve);
    await teacher.getByRole('button', { name: 'Zoom out' }).click();
    await input.hover();
    await teacher.mouse.wheel(-300, 0);
    await expect.poll(() => sameView(fin), { timeout: 10_000 }).toBe(true);
    expect(await centre(eve)).toEqual(eveBefore);
    // Fin zooms himself: that stops his following too.
    await fin.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(() => fin.getAttribute('[data-testid=board]', 'data-following')).toBe('false');
    // Eve follows again: she snaps to the teacher's view.
    await eve.click('[data-testid=board-follow-toggle]');
    await expect.poll(() => sameView(eve), { timeout: 10_000 }).toBe(true);

    // A new page: the followers go there too.
    await teacher.getByRole('button', { name: 'Add page' }).click();
    const teacherPage = await teacher.getAttribute('[data-testid=board]', 'data-page');
    await expect.poll(() => eve.getAttribute('[data-testid=board]', 'data-page'), { timeout: 10_000 }).toBe(teacherPage);

    // The teacher turns following off for everyone: the student's control disappears, her view stays hers.
    await teacher.click('[data-testid=board-follow-all]');
    await expect.poll(() => eve.locator('[data-testid=board-follow-toggle]').count(), { timeout: 10_000 }).toBe(0);
    await shot(teacher, '25-board-follow-teacher');
  }, 45_000);
});
