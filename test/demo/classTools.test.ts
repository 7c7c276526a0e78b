import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppHarness, shot } from './appHarness.js';

const app = new AppHarness();

/** Pixels of the main board's canvas that are dark (ink) or red (#d32f2f). */
async function pixels(page: Page): Promise<{ dark: number; red: number }> {
  return await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid=classroom] [data-testid=board-canvas]');
    const data = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    if (!c || !data) return { dark: -1, red: -1 };
    let dark = 0;
    let red = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i] ?? 255, data[i + 1] ?? 255, data[i + 2] ?? 255];
      if (r < 100 && g < 100 && b < 100) dark++;
      if (r > 170 && g < 90 && b < 90) red++;
    }
    return { dark, red };
  });
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await page.locator('[data-testid=classroom] [data-testid=board-input]').first().boundingBox();
  if (box === null) throw new Error('board not visible');
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + from[0] + ((to[0] - from[0]) * i) / 12, box.y + from[1] + ((to[1] - from[1]) * i) / 12);
  await page.mouse.up();
}

const count = async (p: Page): Promise<number> => Number(await p.getAttribute('[data-testid=classroom] [data-testid=board]', 'data-count'));

describe('classroom app: polls, chat moderation, board follow (built, real Chromium)', () => {
  beforeAll(async () => {
    await app.start();
  }, 180_000);

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
  }, 90_000);

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
  }, 90_000);

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
  }, 90_000);

  it('participation: one teacher preview, hand down, leave the stage, camera-off request, reactions, attendance CSV', async () => {
    const { teacher, students } = await app.lesson('Mr Tile', ['Gia', 'Hal']);
    const [gia, hal] = students as [Page, Page];
    const row = (p: Page, name: string) => p.locator(`[data-testid=participant][data-name=${name}]`);

    // The teacher's own picture shows once: in the teacher tile, marked as theirs; no "You" tile.
    expect(await teacher.locator('[data-testid=tile-self]').count()).toBe(0);
    expect(await teacher.locator('[data-testid=tile-teacher] .label').textContent()).toContain('(you)');
    expect(await gia.locator('[data-testid=tile-self]').count()).toBe(1);

    // A student raises and lowers her hand.
    await gia.click('[data-testid=raise-hand]');
    await expect.poll(() => row(teacher, 'Gia').getAttribute('data-hand'), { timeout: 10_000 }).toBe('true');
    expect(await gia.textContent('[data-testid=raise-hand]')).toBe('Lower hand');
    await gia.click('[data-testid=raise-hand]');
    await expect.poll(() => row(teacher, 'Gia').getAttribute('data-hand'), { timeout: 10_000 }).toBe('false');

    // Staged, she sees herself once (the stage tile), then leaves the stage on her own.
    await row(teacher, 'Gia').locator('[data-testid=stage-button]').click();
    await expect.poll(() => gia.locator('[data-testid=leave-stage]').count(), { timeout: 10_000 }).toBe(1);
    expect(await gia.locator('[data-testid=tile-self]').count()).toBe(0);
    await expect.poll(() => hal.locator('[data-testid=tile-stage]').count(), { timeout: 10_000 }).toBe(1);
    await gia.click('[data-testid=leave-stage]');
    for (const p of [teacher, gia, hal]) await expect.poll(() => p.locator('[data-testid=tile-stage]').count(), { timeout: 10_000 }).toBe(0);
    expect(await gia.locator('[data-testid=leave-stage]').count()).toBe(0);

    // The teacher asks Hal to turn his camera off: his app does, and tells him he may turn it on again.
    await hal.click('[data-testid=camera-toggle]');
    await expect.poll(() => hal.getAttribute('[data-testid=camera-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('true');
    await row(teacher, 'Hal').locator('[data-testid=camera-off-button]').click();
    await expect.poll(() => hal.getAttribute('[data-testid=camera-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('false');
    expect(await hal.locator('[data-testid=camera-off-asked]').count()).toBe(1);
    expect(await teacher.textContent('[data-testid=teacher-notice]')).toContain('request');
    await shot(hal, '26-camera-off-asked-student');
    await shot(teacher, '26b-participants-teacher');

    // Reactions: Hal's shows on his row for the teacher; the teacher's over the teacher tile for Gia; both fade.
    await hal.click('[data-testid=react]');
    await hal.click('[data-testid="react-👍"]');
    await expect.poll(() => row(teacher, 'Hal').locator('[data-testid=reaction]').textContent(), { timeout: 10_000 }).toBe('👍');
    await teacher.click('[data-testid=react]');
    await teacher.click('[data-testid="react-🎉"]');
    await expect.poll(() => gia.locator('[data-testid=tile-teacher] [data-testid=tile-reaction]').textContent(), { timeout: 10_000 }).toBe('🎉');
    await shot(gia, '27-reaction-student');
    await expect.poll(() => gia.locator('[data-testid=tile-reaction]').count(), { timeout: 10_000 }).toBe(0);

    // Attendance: Hal leaves; the teacher's CSV lists everyone with join times and Hal's leaving time.
    await hal.getByRole('button', { name: 'Leave the class' }).click();
    await expect.poll(() => row(teacher, 'Hal').count(), { timeout: 15_000 }).toBe(0);
    const [download] = await Promise.all([teacher.waitForEvent('download'), teacher.click('[data-testid=attendance-csv]')]);
    expect(download.suggestedFilename()).toMatch(/^attendance-.*\.csv$/);
    const lines = readFileSync(await download.path(), 'utf8').trim().split(/\r\n/);
    expect(lines[0]).toBe('name,role,joined,left,minutes,peer id');
    const byName = new Map(lines.slice(1).map((l) => l.split(',')).map((f) => [f[0], f]));
    expect([...byName.keys()].sort()).toEqual(['Gia', 'Hal', 'Mr Tile']);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    expect(byName.get('Hal')?.[2]).toMatch(iso);
    expect(byName.get('Hal')?.[3]).toMatch(iso);
    expect(byName.get('Gia')?.[3]).toBe('');
    expect(byName.get('Gia')?.[1]).toBe('student');
  }, 90_000);

  it('board: remote cursor, colours, text tool, eraser, and the replay slider scrubbing back to an earlier board', async () => {
    const { teacher, students } = await app.lesson('Ms Board', ['Jo']);
    const [jo] = students as [Page];
    // The teacher's black stroke; Jo sees it and the teacher's named cursor.
    await drag(teacher, [100, 120], [400, 120]);
    await expect.poll(() => count(jo), { timeout: 10_000 }).toBe(1);
    await teacher.mouse.move(500, 400);
    await teacher.mouse.move(520, 410);
    await expect.poll(() => jo.locator('[data-testid=remote-cursor]').allTextContents(), { timeout: 10_000 }).toEqual(['Ms Board']);
    // The teacher marks the history every 5 s: wait for a mark taken after the stroke (the slider's max counts marks).
    const marks = async (): Promise<number> => Number(await jo.getAttribute('[data-testid=replay-slider]', 'max'));
    const afterStroke = await marks();
    await expect.poll(marks, { timeout: 15_000 }).toBeGreaterThan(afterStroke);

    // Red: the next stroke paints red on Jo's canvas.
    await teacher.click('[aria-label="Colour #d32f2f"]');
    await drag(teacher, [100, 250], [400, 300]);
    await expect.poll(async () => (await pixels(jo)).red, { timeout: 10_000 }).toBeGreaterThan(200);

    // Jo writes text with the text tool.
    await jo.click('[data-tool=text]');
    const box = await jo.locator('[data-testid=board-input]').boundingBox();
    if (box === null) throw new Error('no board');
    await jo.mouse.click(box.x + 450, box.y + 200);
    await jo.locator('[data-testid=text-input]').fill('x = 2');
    await jo.keyboard.press('Enter');
    await expect.poll(() => count(teacher), { timeout: 10_000 }).toBe(3);
    await shot(jo, '28-board-tools-student');

    // The eraser takes the black stroke away for both.
    await teacher.click('[data-tool=eraser]');
    await drag(teacher, [250, 90], [250, 150]);
    for (const p of [teacher, jo]) await expect.poll(() => count(p), { timeout: 10_000 }).toBe(2);

    // Replay: Jo scrubs to the first mark — only the black stroke, no red, no text; back to live brings them back.
    await jo.locator('[data-testid=replay-slider]').fill(String(afterStroke));
    await expect.poll(() => jo.textContent('[data-testid=replay-label]')).not.toBe('live');
    await expect.poll(async () => (await pixels(jo)).red, { timeout: 10_000 }).toBe(0);
    expect((await pixels(jo)).dark).toBeGreaterThan(200);
    await shot(jo, '29-replay-student');
    await jo.getByRole('button', { name: 'Back to live' }).click();
    await expect.poll(async () => (await pixels(jo)).red, { timeout: 10_000 }).toBeGreaterThan(200);
  }, 90_000);

  it('screen share by clicking the button: the students receive it; stopping removes it', async () => {
    // Headless Chromium with the harness's flags (--use-fake-ui-for-media-stream, --use-fake-device-for-media-stream)
    // answers getDisplayMedia after a click with a fake "screen:-3:0" monitor: no picker flag is needed.
    const { teacher, students } = await app.lesson('Mr Screen', ['Kai']);
    const [kai] = students as [Page];
    await teacher.click('[data-testid=screen-toggle]');
    await expect.poll(() => teacher.textContent('[data-testid=screen-toggle]'), { timeout: 10_000 }).toBe('Stop sharing');
    const shared = (): Promise<number> => kai.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=tile-screen] video')?.videoWidth ?? 0);
    await expect.poll(shared, { timeout: 20_000 }).toBeGreaterThan(0);
    await shot(kai, '2a-screen-share-student');
    await teacher.click('[data-testid=screen-toggle]');
    await expect.poll(() => kai.locator('[data-testid=tile-screen]').count(), { timeout: 15_000 }).toBe(0);
  }, 90_000);

  it('recording: the teacher records board, camera and microphone to a WebM of the right length; everyone sees the indicator', async () => {
    const { teacher, students } = await app.lesson('Ms Rec', ['Lu']);
    const [lu] = students as [Page];
    await teacher.click('[data-testid=camera-toggle]');
    await teacher.click('[data-testid=mic-toggle]');
    await expect.poll(() => teacher.getAttribute('[data-testid=mic-toggle]', 'aria-pressed'), { timeout: 10_000 }).toBe('true');
    await drag(teacher, [100, 100], [400, 250]);
    await teacher.click('[data-testid=record-toggle]');
    const started = Date.now();
    for (const p of [teacher, lu]) await expect.poll(() => p.locator('[data-testid=recording-indicator]').count(), { timeout: 10_000 }).toBe(1);
    await shot(lu, '2b-recording-indicator-student');
    await drag(teacher, [100, 300], [400, 350]);
    await teacher.waitForTimeout(4_000 - (Date.now() - started));
    const [download] = await Promise.all([teacher.waitForEvent('download'), teacher.click('[data-testid=record-toggle]')]);
    const recorded = (Date.now() - started) / 1000;
    for (const p of [teacher, lu]) await expect.poll(() => p.locator('[data-testid=recording-indicator]').count(), { timeout: 10_000 }).toBe(0);
    expect(download.suggestedFilename()).toMatch(/^lesson-.*\.webm$/);
    const bytes = readFileSync(await download.path());
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('1a45dfa3'); // EBML: a WebM file
    expect(bytes.includes('V_VP8') || bytes.includes('V_VP9')).toBe(true);
    expect(bytes.includes('A_OPUS')).toBe(true); // the teacher's microphone
    // MediaRecorder's WebM has no duration in its header: seek past the end and read where the video stops.
    const duration = await teacher.evaluate(async (b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const v = document.createElement('video');
      v.muted = true;
      v.src = URL.createObjectURL(new Blob([data], { type: 'video/webm' }));
      await new Promise((r) => { v.onloadedmetadata = r; });
      if (!Number.isFinite(v.duration)) {
        v.currentTime = 1e9;
        await new Promise((r) => { v.ontimeupdate = r; });
      }
      return { duration: v.duration, width: v.videoWidth };
    }, bytes.toString('base64'));
    expect(duration.width).toBe(1280);
    console.log(`[recording] ${bytes.length} bytes, ${duration.duration.toFixed(2)} s of video for ${recorded.toFixed(2)} s recorded`);
    expect(Math.abs(duration.duration - recorded) / recorded).toBeLessThan(0.2);
  }, 90_000);
});
