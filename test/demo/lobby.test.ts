import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHarness, shot } from './appHarness.js';

// The test build exposes the session on window.__peerclassTest (demo/vite.config.ts; other builds drop that code).
process.env.PEERCLASS_TEST_HOOKS = '1';
const app = new AppHarness();

/** A student opens the link and asks to join; in a lobby class the classroom does not open. */
async function knock(link: string, name: string): Promise<Page> {
  const p = await app.newPage();
  await p.goto(link);
  await p.fill('[data-testid=student-name]', name);
  await p.click('[data-testid=join-class]');
  return p;
}

/** Serious and critical axe-core violations (WCAG 2.1 A/AA rules), as in access.test.ts. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

const waitState = async (p: Page): Promise<string | null> => {
  const el = p.locator('[data-testid=lobby-wait]');
  return (await el.count()) === 0 ? null : await el.getAttribute('data-state');
};
const boardCount = async (p: Page): Promise<number> => Number(await p.getAttribute('[data-testid=classroom] [data-testid=board]', 'data-count', { timeout: 1_000 }).catch(() => -1));
const knockNames = (teacher: Page): Promise<string[]> => teacher.locator('[data-testid=knock] .name').allTextContents();

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator('[data-testid=classroom] [data-testid=board-input]').first().boundingBox();
  if (box === null) throw new Error('board not visible');
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + from[0] + ((to[0] - from[0]) * i) / 8, box.y + from[1] + ((to[1] - from[1]) * i) / 8);
  await page.mouse.up();
}

describe('classroom app: lobby, keepers and refused writers (built, real Chromium)', () => {
  beforeAll(async () => {
    await app.start();
  }, 180_000);

  afterAll(async () => {
    await app.stop();
  });

  it('lobby: students wait without class content; the teacher admits one, denies one, admits the rest; a denied student is told after a while', async () => {
    const started = Date.now();
    const lap = (what: string): void => console.log(`[lobby] ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { teacher, link } = await app.startClass('Ms Door', 'Lobby class');
    lap('class started');
    await drag(teacher, [100, 120], [400, 160]);
    expect(await teacher.getAttribute('[data-testid=lobby]', 'data-mode')).toBe('open');
    await teacher.check('[data-testid=lobby-mode]');
    await expect.poll(() => teacher.getAttribute('[data-testid=lobby]', 'data-mode'), { timeout: 10_000 }).toBe('lobby');
    expect(await teacher.textContent('[data-testid=lobby-mode-text]')).toContain('wait here');
    lap('lobby mode');

    // Three students knock at once; each sees the waiting screen and nothing of the class.
    const [ada, bea, cy] = await Promise.all(['Ada', 'Bea', 'Cy'].map((n) => knock(link, n))) as [Page, Page, Page];
    lap('knocked');
    for (const p of [ada, bea, cy]) await expect.poll(() => waitState(p), { timeout: 15_000 }).toBe('waiting');
    for (const p of [ada, bea, cy]) expect(await p.locator('[data-testid=classroom]').count()).toBe(0);
    expect(await ada.textContent('[data-testid=lobby-wait] h2')).toBe('Waiting for the teacher to let you in…');
    await shot(ada, '50-lobby-waiting-student');
    lap('students waiting');

    // The teacher's lobby lists them, oldest first, with a count badge.
    await expect.poll(async () => (await knockNames(teacher)).sort(), { timeout: 15_000 }).toEqual(['Ada', 'Bea', 'Cy']);
    expect(await teacher.textContent('[data-testid=lobby-count]')).toBe('3 waiting');
    expect(await teacher.locator('[data-testid=participant]').count()).toBe(1);
    await shot(teacher, '51-lobby-teacher');
    // Accessibility checks while Bea's clock runs anyway: the teacher's lobby list, a student's waiting screen.
    expect(await seriousViolations(teacher)).toEqual([]);
    expect(await seriousViolations(bea)).toEqual([]);
    lap('lobby listed');

    // Admit Ada: she gets the class and the board.
    await teacher.locator('[data-testid=knock][data-name=Ada] [data-testid=admit]').click();
    await ada.waitForSelector('[data-testid=classroom][data-role=student]', { timeout: 15_000 });
    await expect.poll(() => boardCount(ada), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Ada]').count(), { timeout: 10_000 }).toBe(1);
    await shot(ada, '52-lobby-admitted-student');
    lap('Ada admitted');

    // Deny Bea: she leaves the lobby list and keeps waiting.
    await teacher.locator('[data-testid=knock][data-name=Bea] [data-testid=deny]').click();
    await expect.poll(() => knockNames(teacher), { timeout: 10_000 }).toEqual(['Cy']);
    expect(await teacher.textContent('[data-testid=lobby-count]')).toBe('1 waiting');

    // Admit all lets Cy in.
    await teacher.click('[data-testid=admit-all]');
    await cy.waitForSelector('[data-testid=classroom][data-role=student]', { timeout: 15_000 });
    await expect.poll(() => boardCount(cy), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => teacher.locator('[data-testid=lobby-count]').count(), { timeout: 10_000 }).toBe(0);
    lap('Cy admitted');

    // Bea never got in: after a while she is told so, still without any class content.
    await expect.poll(() => waitState(bea), { timeout: 40_000, interval: 1_000 }).toBe('not-let-in');
    expect(await bea.textContent('[data-testid=lobby-wait] h2')).toBe('The teacher has not let you in');
    expect(await bea.locator('[data-testid=classroom]').count()).toBe(0);
    expect(await teacher.locator('[data-testid=participant][data-name=Bea]').count()).toBe(0);
    await shot(bea, '53-lobby-not-let-in-student');
    lap('done');
  }, 90_000);

  it('refused writers: a forged teacher chat message is refused and named in the teacher\'s Refused panel; remove from there; trust a keeper', async () => {
    const started = Date.now();
    const lap = (what: string): void => console.log(`[refused] ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { teacher, students } = await app.lesson('Mr Guard', ['Mal', 'Keeper']);
    lap('lesson');
    const [mal] = students as [Page, Page];

    // Keeper: the teacher trusts the participant named Keeper; the row explains what that means.
    const keeperRow = teacher.locator('[data-testid=participant][data-name=Keeper]');
    const trust = keeperRow.locator('[data-testid=keeper-button]');
    expect(await trust.getAttribute('title')).toContain('late');
    await trust.click();
    await expect.poll(() => keeperRow.locator('[data-testid=keeper-badge]').count(), { timeout: 10_000 }).toBe(1);
    expect(await trust.textContent()).toBe('Untrust keeper');

    // Mal's modified client writes a chat record into the class doc claiming to be the teacher.
    await mal.evaluate(() => {
      interface Hook { session: { doc: { getArray(name: string): { push(values: unknown[]): void } }; participants: { value: Array<{ peerId: string; role: string }> } } }
      const s = (window as unknown as { __peerclassTest: Hook }).__peerclassTest.session;
      const teacherId = s.participants.value.find((p) => p.role === 'teacher')?.peerId ?? '';
      s.doc.getArray('chat').push([{ k: 'm', id: 'forged-1', text: 'No homework today!', by: teacherId, name: 'Mr Guard', role: 'teacher', t: Date.now() }]);
    });
    const row = teacher.locator('[data-testid=refused-row][data-name=Mal]');
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.locator('[data-testid=refused-reason]').first().textContent()).toContain('tried to change something they may not');
    expect(Number(await row.getAttribute('data-count'))).toBeGreaterThanOrEqual(1);
    expect(await teacher.locator('[data-testid=chat-message]').allTextContents()).not.toContainEqual(expect.stringContaining('No homework'));
    await shot(teacher, '54-refused-teacher');
    expect(await seriousViolations(teacher)).toEqual([]);
    lap('refused shown');

    // Remove Mal from the Refused row: Mal is out, the row says so.
    await row.locator('[data-testid=refused-remove]').click();
    await expect.poll(() => mal.locator('[data-testid=class-over][data-reason=removed]').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => row.locator('[data-testid=refused-removed]').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Mal]').count(), { timeout: 15_000 }).toBe(0);
    lap('done');
  }, 90_000);
});
