import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startJanus, type JanusServer } from '../../harness/janus.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { launchChromium } from '../helpers/chromium.js';

let janus: JanusServer;
let pages: PageServer;
let browser: Browser;
beforeAll(async () => {
  janus = await startJanus();
  pages = await servePages({ '/index.html': '<!doctype html><body><script type="module" src="/page.js"></script></body>', '/page.js': await bundleForBrowser('test/fixtures/janusPage.ts') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await janus?.stop();
});

async function newPage(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.error('page error', e));
  await page.goto(pages.url);
  await page.waitForFunction(() => window.janusPage !== undefined);
  await page.evaluate((url) => window.janusPage.connect(url), janus.url);
  return page;
}

type Stats = Awaited<ReturnType<Window['janusPage']['stats']>>;
const stats = (page: Page): Promise<Stats> => page.evaluate(() => window.janusPage.stats());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const decoded = async (page: Page, feed: number) => (await stats(page)).decoded[feed] ?? 0;

/** Waits until `page` decodes video of `feed` and the count grows between two samples. */
async function decodes(page: Page, feed: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const n = await decoded(page, feed);
    if (last > 0 && n > last) return n;
    last = n;
    if (Date.now() > deadline) throw new Error(`no growing framesDecoded of feed ${feed} (last ${n}); log ${JSON.stringify(await page.evaluate(() => window.janusPage.log))}`);
    await sleep(700);
  }
}

/** Whether framesDecoded of `feed` stays flat over `ms` (or its connection is gone). */
async function stalled(page: Page, feed: number, ms = 2000): Promise<boolean> {
  const before = await decoded(page, feed);
  await sleep(ms);
  return (await decoded(page, feed)) === before;
}

const TEACHER = 1;
const SECRET = 'teacher-admin';
const listed = (p: Page) => p.evaluate(() => window.janusPage.log);

describe('Janus VideoRoom in Chromium (fake camera, real Janus on loopback)', () => {
  it('the teacher sends one simulcast video to Janus; a watcher decodes it, switches layers, and stops when the teacher unpublishes', async () => {
    const teacher = await newPage();
    const { room, pin } = await teacher.evaluate(() => window.janusPage.roomFor('class-media-' + Math.random(), 'class-secret'));
    expect(await teacher.evaluate(([r, p, s]) => window.janusPage.ensureRoom(r, p, s), [room, pin, SECRET] as const)).toBe(true);
    await teacher.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 1, camera: true, simulcast: true, width: 640, height: 360 }), [room, pin] as const);

    const watcher = await newPage();
    await watcher.evaluate(([r, p]) => window.janusPage.subscribe({ room: r, pin: p, feeds: [1] }), [room, pin] as const);
    await decodes(watcher, TEACHER);
    expect((await watcher.evaluate(() => window.janusPage.tracks)).map((t) => `${t.feedId}:${t.kind}:${t.description}`).sort())
      .toEqual(['1:audio:microphone', '1:video:camera']);

    const t = await stats(teacher);
    // One upstream video: one RTCRtpSender, its layers (rids) are encodings of that one sender.
    expect(t.videoSenders).toBe(1);
    expect(t.outbound.map((o) => o.rid).sort()).toEqual(['h', 'l', 'm']);
    // libwebrtc caps the number of simulcast layers by resolution: at 640×360 it encodes two (h 640, m 320), l stays 0.
    await waitUntilLayers(teacher, 2);
    // ICE ran on the one address Janus is told to use (see harness/janus.ts), on both connections.
    for (const c of [...t.candidates, ...(await stats(watcher)).candidates]) expect(c.endsWith(`>${janus.iceAddress}`) || c.includes(`>${janus.iceAddress}:`)).toBe(true);

    // Janus forwards the highest layer by default; asking for substream 1 gets the half-width one.
    expect((await stats(watcher)).width[TEACHER]).toBe(640);
    await watcher.evaluate(() => window.janusPage.substream(1, 1));
    await pollUntil(async () => (await stats(watcher)).width[TEACHER] === 320, 'the watcher to receive the 320-wide layer');

    // A second watcher joining costs the teacher nothing: still one sender.
    const second = await newPage();
    await second.evaluate(([r, p]) => window.janusPage.subscribe({ room: r, pin: p, feeds: [1] }), [room, pin] as const);
    await decodes(second, TEACHER);
    expect((await stats(teacher)).videoSenders).toBe(1);

    // The staged student publishes too; the watcher adds that feed on the same connection and removes it again.
    const staged = await newPage();
    await staged.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 2, camera: true, simulcast: false, width: 320, height: 180 }), [room, pin] as const);
    await watcher.evaluate(() => window.janusPage.update({ subscribe: [2] }));
    await decodes(watcher, 2);
    await watcher.evaluate(() => window.janusPage.update({ unsubscribe: [2] }));
    await pollUntil(async () => (await watcher.evaluate(() => window.janusPage.ended)).some((e) => e.feedId === 2 && e.kind === 'video'), 'track-ended for the staged video', 15_000, watcher);
    await decodes(watcher, TEACHER);

    // The teacher adds a screen: a renegotiation of its one connection (two video senders now). The staged student, a
    // room participant, learns of the new stream; the watcher subscribes to the feed again and gets only what is new.
    await teacher.evaluate(() => window.janusPage.shareScreen());
    let screenMid: string | undefined;
    await pollUntil(async () => (screenMid = (await staged.evaluate(() => window.janusPage.roomStreams()))[1]?.find((d) => d.startsWith('screen@'))?.slice(7)) !== undefined, 'the screen stream to be announced', 15_000, staged);
    expect((await stats(teacher)).videoSenders).toBe(2);
    // Already-received streams are filtered out of the request (Janus would add duplicate m-lines for them).
    await watcher.evaluate((mid) => window.janusPage.update({ subscribe: [{ feed: 1, mid: '0' }, { feed: 1, mid }] }), screenMid!);
    await pollUntil(async () => (await watcher.evaluate(() => window.janusPage.liveTracks())).includes('1:video:screen'), 'the watcher to get the screen track', 15_000, watcher);
    expect(await watcher.evaluate(() => window.janusPage.liveTracks())).toEqual(['1:audio:microphone', '1:video:camera', '1:video:screen']);

    // A wrong pin gets no media: the subscribe is refused with 433.
    const outsider = await newPage();
    expect(await outsider.evaluate(([r]) => window.janusPage.subscribe({ room: r, pin: 'guessed', feeds: [1] }).then(() => 'joined', (e: Error) => e.message), [room] as const))
      .toMatch(/433/);

    await teacher.evaluate(() => window.janusPage.closeSession());
    await pollUntil(async () => (await watcher.evaluate(() => window.janusPage.ended)).some((e) => e.feedId === TEACHER && e.kind === 'video'), 'track-ended for the teacher video', 15_000, watcher);
    expect(await stalled(watcher, TEACHER)).toBe(true);
    await Promise.all([teacher, watcher, second, staged, outsider].map((p) => p.context().close()));
  }, 240_000); // ~15 s alone; several times that when the shared 2-core machine is loaded

  it('kick: stops a watcher only in a require_pvtid room; with its join token removed it cannot come back', async () => {
    const teacher = await newPage();
    const { room, pin } = await teacher.evaluate(() => window.janusPage.roomFor('class-kick-' + Math.random(), 'class-secret'));
    await teacher.evaluate(([r, p, s]) => window.janusPage.ensureRoom(r, p, s, { requirePrivateId: true, allowed: ['tok-teacher', 'tok-sam', 'tok-kim'] }), [room, pin, SECRET] as const);
    await teacher.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 1, camera: true, simulcast: false, width: 320, height: 180, token: 'tok-teacher' }), [room, pin] as const);

    // Without a private id, a subscriber is refused in this room (433), so every watcher is someone the teacher can kick.
    const sneaky = await newPage();
    expect(await sneaky.evaluate(([r, p]) => window.janusPage.subscribe({ room: r, pin: p, feeds: [1], token: 'tok-kim' }).then(() => 'joined', (e: Error) => e.message), [room, pin] as const))
      .toMatch(/433.*private_id/);

    const watchAs = async (feedId: number, token: string): Promise<Page> => {
      const page = await newPage();
      const privateId = await page.evaluate(([r, p, f, tok]) => window.janusPage.publish({ room: r, pin: p, feedId: f, camera: false, simulcast: false, token: tok }), [room, pin, feedId, token] as const);
      await page.evaluate(([r, p, id, tok]) => window.janusPage.subscribe({ room: r, pin: p, feeds: [1], privateId: id!, token: tok }), [room, pin, privateId, token] as const);
      await decodes(page, TEACHER);
      return page;
    };
    const sam = await watchAs(200, 'tok-sam');
    const kim = await watchAs(201, 'tok-kim');

    await teacher.evaluate(([r, s]) => window.janusPage.kick(r, s, 200, 'tok-sam'), [room, SECRET] as const);
    await pollUntil(async () => (await listed(sam)).some((l) => l.includes('"reason":"kicked"')), 'sam to be told it was kicked');
    await sleep(1000);
    expect(await stalled(sam, TEACHER)).toBe(true);
    await decodes(kim, TEACHER); // the others keep watching

    // Sam still has the pin (it comes from the class secret) but its token is gone: another session is refused.
    const again = sneaky; // a session that never got in
    expect(await again.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 202, camera: false, simulcast: false, token: 'tok-sam' }).then(() => 'joined', (e: Error) => e.message), [room, pin] as const))
      .toMatch(/433.*allowed/);

    // The contrast, as Janus 1.1.2 behaves: in a room without require_pvtid, kick leaves the subscription running.
    const open = await teacher.evaluate(() => window.janusPage.roomFor('class-kick-open-' + Math.random(), 'class-secret'));
    await teacher.evaluate(([r, p, s]) => window.janusPage.ensureRoom(r, p, s), [open.room, open.pin, SECRET] as const);
    const presenter = await newPage();
    await presenter.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 1, camera: true, simulcast: false, width: 320, height: 180 }), [open.room, open.pin] as const);
    const watcher = await newPage();
    const pvt = await watcher.evaluate(([r, p]) => window.janusPage.publish({ room: r, pin: p, feedId: 300, camera: false, simulcast: false }), [open.room, open.pin] as const);
    await watcher.evaluate(([r, p, id]) => window.janusPage.subscribe({ room: r, pin: p, feeds: [1], privateId: id! }), [open.room, open.pin, pvt] as const);
    await decodes(watcher, TEACHER);
    await teacher.evaluate(([r, s]) => window.janusPage.kick(r, s, 300), [open.room, SECRET] as const);
    await pollUntil(async () => (await listed(watcher)).some((l) => l.includes('"reason":"kicked"')), 'the watcher to be told it was kicked');
    await sleep(1000);
    await decodes(watcher, TEACHER);
    // Destroying the room stops every subscription in it.
    await teacher.evaluate(([r, s]) => window.janusPage.destroyRoom(r, s), [open.room, SECRET] as const);
    await sleep(1000);
    expect(await stalled(watcher, TEACHER)).toBe(true);
    await Promise.all([teacher, sneaky, sam, kim, presenter, watcher].map((p) => p.context().close()));
  }, 240_000);
});

async function pollUntil(predicate: () => Promise<boolean>, what: string, timeoutMs = 15_000, logOf?: Page): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${logOf ? `; page log ${JSON.stringify(await listed(logOf))}` : ''}`);
    await sleep(300);
  }
}

/** Waits until at least `n` simulcast layers of the teacher's one video sender carry bytes. */
async function waitUntilLayers(page: Page, n: number): Promise<void> {
  await pollUntil(async () => (await stats(page)).outbound.filter((o) => o.bytesSent > 0).length >= n, `${n} simulcast layers with bytes`);
}
