import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startRelay, type Relay } from '../../signaling/index.js';
import { bundleForBrowser, servePages, type PageServer } from '../helpers/browserBundle.js';
import { launchChromium } from '../helpers/chromium.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';
import { waitUntil } from '../helpers/processes.js';

let pages: PageServer;
let browser: Browser;
const relays: Relay[] = [];
let coturn: Coturn | undefined;
beforeAll(async () => {
  pages = await servePages({ '/index.html': '<!doctype html><body><script type="module" src="/page.js"></script></body>', '/page.js': await bundleForBrowser('test/fixtures/classroomPage.ts') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pages?.close();
  for (const r of relays) await r.close();
  await coturn?.stop();
});

/** Pages by peer id, for diagnostics from the sending side. */
const pagesById = new Map<string, Page>();
interface Class { url: string; classId: string; secret: string; teacherKey: string }

async function newPage(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => console.error('page error', e));
  await page.goto(pages.url);
  await page.waitForFunction(() => typeof window.startClassroom === 'function');
  return page;
}

async function openClass(relayUrl: string, students: number, iceTransportPolicy?: RTCIceTransportPolicy): Promise<{ teacher: Page; students: Page[] }> {
  const teacher = await newPage();
  const teacherKey = await teacher.evaluate(() => window.makeIdentity());
  const cls: Class = { url: relayUrl, classId: 'media-' + Math.random().toString(36).slice(2), secret: 'media-secret-' + Math.random(), teacherKey };
  const start = (page: Page, peerId: string, teacherRole: boolean) => page.evaluate(([c, id, t, policy]) => window.startClassroom({
    ...c, name: id, peerId: id, teacher: t, ...(policy !== null ? { iceTransportPolicy: policy } : {}),
  }), [cls, peerId, teacherRole, iceTransportPolicy ?? null] as const);
  await start(teacher, 't', true);
  const studentPages = await Promise.all(Array.from({ length: students }, () => newPage()));
  await Promise.all(studentPages.map((page, i) => start(page, 's' + (i + 1), false)));
  pagesById.clear();
  pagesById.set('t', teacher);
  studentPages.forEach((p, i) => pagesById.set('s' + (i + 1), p));
  return { teacher, students: studentPages };
}

type Stats = Awaited<ReturnType<Window['room']['stats']>>;
const stats = (page: Page): Promise<Stats> => page.evaluate(() => window.room.stats());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `page` decodes video from `from` and the frame count grows between two samples. */
async function decodesFrom(page: Page, from: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const st = await stats(page);
    const n = st.decoded[from] ?? 0;
    if (last > 0 && n > last) return;
    last = n;
    if (Date.now() > deadline) {
      const who = await page.evaluate(() => window.room.classroom.peerId);
      const sender = pagesById.get(from);
      const senderSide = sender === undefined ? null : await sender.evaluate((id) => window.room.rtpDetail().then((d) => d[id]), who);
      console.error('stall detail', who, JSON.stringify(await page.evaluate(() => window.room.rtpDetail())), 'sender side', JSON.stringify(senderSide));
      throw new Error(`${who}: no growing framesDecoded from ${from} (last ${n}); stats ${JSON.stringify(st)}; linked ${JSON.stringify(await linked(page))}`);
    }
    await sleep(700);
  }
}

/** framesDecoded from `from` no longer grows (or the connection is gone). */
async function stoppedDecoding(page: Page, from: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = (await stats(page)).decoded[from] ?? 0;
  for (;;) {
    await sleep(1000);
    const n = (await stats(page)).decoded[from] ?? 0;
    if (n === last) return;
    last = n;
    if (Date.now() > deadline) throw new Error(`still decoding from ${from}`);
  }
}

const linked = (page: Page): Promise<string[]> => page.evaluate(() => window.room.linked());

describe('Classroom media in Chromium (fake devices)', () => {
  it('teacher + 4 students: teacher video everywhere, only the staged student sends, forged stage ignored, data keeps syncing', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    relays.push(relay);
    const { teacher, students } = await openClass(relay.url, 4);
    const [s1, s2, s3, s4] = students as [Page, Page, Page, Page];
    for (const page of students) await page.waitForFunction(() => window.room.linked().join() === 't', undefined, { timeout: 30_000 });
    expect(await linked(teacher)).toEqual(['s1', 's2', 's3', 's4']);

    for (const page of students) await decodesFrom(page, 't');
    for (const page of students) expect((await stats(page)).outboundVideoBytes).toBe(0);
    expect(Object.keys((await stats(teacher)).decoded)).toEqual([]);
    // By default the teacher splits its measured uplink (the connections' availableOutgoingBitrate, polled every 2 s)
    // evenly over the four video receivers, never below the 100 kbit/s floor.
    await teacher.waitForFunction(() => {
      const media = window.room.classroom.media;
      const caps = window.room.maxBitrates();
      return media.uplinkEstimate() !== 2_500_000 && caps.length === 4 && caps.every((x) => x !== undefined && x === caps[0] && x >= 100_000);
    }, undefined, { timeout: 15_000 });
    // A fixed budget overrides the measurement.
    await teacher.evaluate(() => window.room.classroom.media.setUplinkBudget(1_000_000));
    await teacher.waitForFunction(() => window.room.maxBitrates().every((x) => x === 250_000), undefined, { timeout: 10_000 });

    // A teacher's mute request mutes the student's microphone locally.
    await s1.evaluate(() => window.room.classroom.media.setMicrophone(true));
    expect(await s1.evaluate(() => window.room.classroom.media.localStream!.getAudioTracks()[0]!.enabled)).toBe(true);
    await teacher.evaluate(() => window.room.classroom.requestMute('s1', true));
    await s1.waitForFunction(() => window.room.classroom.media.localStream!.getAudioTracks()[0]!.enabled === false, undefined, { timeout: 10_000 });


    await teacher.evaluate(() => window.room.classroom.setStage('s2'));
    for (const page of [teacher, s1, s3, s4]) await decodesFrom(page, 's2');
    expect((await stats(s2)).outboundVideoBytes).toBeGreaterThan(0);
    for (const page of [s1, s3, s4]) expect((await stats(page)).outboundVideoBytes).toBe(0);
    expect(await s1.evaluate(() => window.room.subscribed.some((e) => e.peerId === 's2' && e.kind === 'camera'))).toBe(true);

    // s3 forges a stage for itself: everyone reports it, nobody applies it, s3 still sends nothing.
    await s3.evaluate(() => window.room.forgeStage('s3'));
    await teacher.waitForFunction(() => window.room.rejections.length > 0, undefined, { timeout: 10_000 });
    await s1.waitForFunction(() => window.room.rejections.length > 0, undefined, { timeout: 10_000 });
    await sleep(1500);
    for (const page of [teacher, ...students]) expect(await page.evaluate(() => window.room.classroom.stage())).toBe('s2');
    expect((await stats(s3)).outboundVideoBytes).toBe(0);
    expect(await linked(s1)).toEqual(['s2', 't']);

    await s1.evaluate(() => window.room.chat('during stage'));
    await s4.waitForFunction(() => window.room.chatTexts().includes('during stage'), undefined, { timeout: 10_000 });

    await teacher.evaluate(() => window.room.classroom.setStage(null));
    await stoppedDecoding(teacher, 's2');
    for (const page of [s1, s3, s4]) await page.waitForFunction(() => window.room.unsubscribed.includes('s2'), undefined, { timeout: 10_000 });
    for (const page of students) await page.waitForFunction(() => window.room.linked().join() === 't', undefined, { timeout: 15_000 });
    await decodesFrom(s3, 't');

    await s4.evaluate(() => window.room.chat('after unstage'));
    for (const page of [teacher, s1, s2, s3]) await page.waitForFunction(() => window.room.chatTexts().includes('after unstage'), undefined, { timeout: 10_000 });
    await Promise.all([teacher, ...students].map((p) => p.context().close()));
  }, 120_000);

  it('works through real coturn with iceTransportPolicy "relay"', async () => {
    coturn = await startCoturn('media-turn-secret');
    const relay = await startRelay({
      port: 0, logLevel: 'silent', processMetrics: false,
      iceServers: [{ urls: `turn:127.0.0.1:${coturn.port}?transport=udp` }], turnSecret: coturn.secret, turnTtlSeconds: 600,
    });
    relays.push(relay);
    const { teacher, students } = await openClass(relay.url, 2, 'relay');
    const [s1, s2] = students as [Page, Page];
    await decodesFrom(s1, 't', 30_000);
    await decodesFrom(s2, 't', 30_000);
    let types: string[] = [];
    await waitUntil(async () => (types = (await stats(s1)).localCandidateTypes).length > 0, 'a selected candidate pair in s1\'s stats', 10_000);
    expect(types.every((t) => t === 'relay')).toBe(true);
    await teacher.evaluate(() => window.room.classroom.setStage('s1'));
    await decodesFrom(s2, 's1', 30_000);

    // Screen share: a separate stream, told apart from the camera by the stream id the sharer announces.
    await teacher.evaluate(() => window.room.classroom.media.shareScreen(true));
    await s2.waitForFunction(() => window.room.subscribed.some((e) => e.peerId === 't' && e.kind === 'screen'), undefined, { timeout: 40_000 });
    expect(await s2.evaluate(() => window.room.subscribed.filter((e) => e.peerId === 't').map((e) => e.kind).sort())).toEqual(['camera', 'screen']);
    await teacher.evaluate(() => window.room.classroom.media.shareScreen(false));
    await s2.waitForFunction(() => window.room.unsubscribed.includes('t'), undefined, { timeout: 40_000 });
    await decodesFrom(s2, 't');
    await Promise.all([teacher, ...students].map((p) => p.context().close()));
  }, 150_000);
});
