import { SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { mintRelayToken } from '../../signaling/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHarness, shot } from './appHarness.js';

const app = new AppHarness();

/** The page's problem screen kind, or null. */
async function problem(p: Page): Promise<string | null> {
  const el = p.locator('[data-testid=problem]');
  return (await el.count()) === 0 ? null : await el.first().getAttribute('data-kind');
}

describe('classroom app: landing page and problem screens (built, real Chromium)', () => {
  beforeAll(async () => {
    await app.start();
  }, 180_000);

  afterAll(async () => {
    await app.stop();
  });

  it('landing says what peerclass is; a wrong link and a wrong secret get the link screen', async () => {
    const page = await app.newPage();
    await page.goto(app.relay.httpUrl);
    expect(await page.locator('[data-testid=intro] h1').textContent()).toBe('peerclass');
    expect(await page.locator('[data-testid=intro]').textContent()).toContain('between the browsers');
    await shot(page, '30-landing');

    // A link cut short.
    await page.goto(`${app.relay.httpUrl}/#class=abc&secret=xyz`);
    await expect.poll(() => problem(page)).toBe('link');
    await shot(page, '31-wrong-link');
    await page.click('[data-testid=problem-home]');
    await page.waitForSelector('[data-testid=intro]');

    // A whole link with the wrong secret: nobody in the class can read us.
    const { link } = await app.startClass('Ms Key', 'Keys');
    const wrong = link.replace(/secret=([^&]+)/, (_m, sec: string) => `secret=${sec.slice(0, -4)}${sec.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);
    const student = await app.newPage();
    await student.goto(wrong);
    await student.fill('[data-testid=student-name]', 'Mallory');
    await student.click('[data-testid=join-class]');
    await expect.poll(() => problem(student), { timeout: 20_000 }).toBe('link');
  }, 90_000);

  it('relay unreachable: a screen, then "Try again" gets in once the relay is back', async () => {
    const relay = await app.startRelay();
    const port = relay.port;
    const { teacher, link } = await app.startClass('Mr Net', 'Net', relay.httpUrl);
    await teacher.close();
    const student = await app.newPage();
    await student.goto(link);
    await relay.close();
    await student.fill('[data-testid=student-name]', 'Nia');
    await student.click('[data-testid=join-class]');
    await expect.poll(() => problem(student), { timeout: 15_000 }).toBe('relay');
    await shot(student, '32-relay-unreachable');
    const relay2 = await app.startRelay({ port });
    // The click gets in; so may the app's own reconnect a moment earlier, taking the screen (and button) away.
    await student.click('[data-testid=problem-retry]', { timeout: 5_000 }).catch(async (error: unknown) => {
      if (await student.$('[data-testid=classroom]') === null) throw error;
    });
    await student.waitForSelector('[data-testid=classroom][data-role=student]', { timeout: 15_000 });
    await expect.poll(() => student.getAttribute('[data-testid=status]', 'data-state'), { timeout: 15_000 }).not.toBe('offline');

    // Back in this class later with the relay down: she has a local copy, so no dead end — the class opens offline.
    await relay2.close();
    await student.getByRole('button', { name: 'Leave the class' }).click();
    await student.fill('[data-testid=paste-link]', link);
    await student.getByRole('button', { name: 'Open link' }).click();
    await student.click('[data-testid=join-class]');
    await student.waitForSelector('[data-testid=classroom][data-role=student]', { timeout: 15_000 });
    await expect.poll(() => student.getAttribute('[data-testid=status]', 'data-state'), { timeout: 15_000 }).toBe('offline');
    expect(await problem(student)).toBe(null);
  }, 90_000);

  it('class full: the relay refuses a third person, who gets the full screen', async () => {
    const relay = await app.startRelay({ limits: { maxSubscribersPerTopic: 2 } });
    const { link } = await app.startClass('Ms Full', 'Small room', relay.httpUrl);
    const first = await app.join(link, 'Oli');
    await expect.poll(() => first.getAttribute('[data-testid=status]', 'data-peers'), { timeout: 20_000 }).toBe('1');
    const third = await app.newPage();
    await third.goto(link);
    await third.fill('[data-testid=student-name]', 'Pat');
    await third.click('[data-testid=join-class]');
    await expect.poll(() => problem(third), { timeout: 15_000 }).toBe('full');
    await shot(third, '33-class-full');
  }, 90_000);

  it('camera permission denied: a screen that says how to allow it; the class goes on', async () => {
    const { link } = await app.startClass('Mr Cam', 'Cams');
    const student = await app.newPage();
    await student.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await app.join(link, 'Quin', {}, student);
    await student.click('[data-testid=camera-toggle]');
    await expect.poll(() => problem(student), { timeout: 10_000 }).toBe('permission');
    expect(await student.locator('[data-testid=problem]').textContent()).toContain('address bar');
    await shot(student, '34-permission-denied');
    await student.click('[data-testid=problem-close]');
    expect(await problem(student)).toBe(null);
    expect(await student.getAttribute('[data-testid=camera-toggle]', 'aria-pressed')).toBe('false');
  }, 90_000);

  it('relay tokens: the app passes a token from the page URL; a student without one gets the link screen', async () => {
    const secret = 'demo-relay-secret-0123456789abcdef';
    const relay = await app.startRelay({ token: { secret } });
    // The teacher's site hands out a token for any class (the class id is made in the browser).
    const anyClass = await new SignJWT({ topics: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const { teacher, link } = await app.startClass('Ms Token', 'Tokens', `${relay.httpUrl}/?token=${anyClass}`);
    expect(link).not.toContain('token');
    const classId = new URLSearchParams(new URL(link).hash.slice(1)).get('class') ?? '';

    const without = await app.newPage();
    await without.goto(link);
    await without.fill('[data-testid=student-name]', 'Wes');
    await without.click('[data-testid=join-class]');
    await expect.poll(() => problem(without), { timeout: 15_000 }).toBe('link');

    const token = await mintRelayToken({ secret, classId, ttlSeconds: 600 });
    const student = await app.join(`${link}&token=${token}`, 'Xia');
    await expect.poll(() => student.getAttribute('[data-testid=status]', 'data-peers'), { timeout: 20_000 }).toBe('1');
    await expect.poll(() => teacher.locator('[data-testid=participant][data-name=Xia]').count(), { timeout: 10_000 }).toBe(1);
  }, 90_000);
});
