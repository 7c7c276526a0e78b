// The measured uplink estimate and the priorities, fed with fake stats reports shaped like Chromium's.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BitrateController, FixedUplink, MIN_VIDEO_BITRATE } from '../../src/media/bitrate.js';
import { ClassroomMedia } from '../../src/media/classroomMedia.js';
import { MediaError } from '../../src/media/errors.js';
import { MeasuredUplink, readUplinkSample } from '../../src/media/measuredUplink.js';
import { SenderTable } from '../../src/media/senders.js';
import { FakeConnection, FakeDevices, FakeNetwork, FakeSender, FakeStream, FakeTrack, flush, statsReport, videoStats, type VideoStatsShape } from './fakes.js';

const KEY = 'class-key';
const teacher = { peerId: 't', role: 'teacher' as const, teacherKey: KEY };

/** A fake clock the estimator reads; `advance` moves it. */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

const report = (shape: VideoStatsShape): RTCStatsReport => statsReport(videoStats(shape));

describe('readUplinkSample', () => {
  it('reads the selected pair, not a stale nominated one, and the receivers\' loss and RTT', () => {
    const entries = videoStats({ available: 1_200_000, fractionLost: 0.05, rtt: 0.12 });
    // A stale nominated pair with a (wrong) estimate of its own must not count while the transport names the selected one.
    entries.push({ id: 'CP9', type: 'candidate-pair', nominated: true, state: 'succeeded', availableOutgoingBitrate: 9_000_000 });
    expect(readUplinkSample(statsReport(entries))).toEqual({ availableBitrate: 1_200_000, lossFraction: 0.05, rttSeconds: 0.12, sendsVideo: true });
  });

  it('falls back to nominated pairs without a transport stat, and to the pair RTT without remote-inbound RTT', () => {
    const sample = readUplinkSample(report({ available: 800_000, noTransport: true }));
    expect(sample.availableBitrate).toBe(800_000);
    expect(sample.rttSeconds).toBe(0.002);
  });

  it('says so when there is no estimate (e.g. @roamhq/wrtc) or no video', () => {
    expect(readUplinkSample(report({})).availableBitrate).toBeNull();
    expect(readUplinkSample(report({ available: 500_000, video: false })).sendsVideo).toBe(false);
    expect(readUplinkSample(statsReport([]))).toEqual({ availableBitrate: null, lossFraction: null, rttSeconds: null, sendsVideo: false });
  });
});

describe('MeasuredUplink', () => {
  it('starts from the initial value and then sums what each video connection may send, minus headroom', () => {
    const { now } = clock();
    const uplink = new MeasuredUplink({ initial: 2_000_000, headroom: 0.8, now });
    expect(uplink.estimate()).toBe(2_000_000);
    const [a, b] = [new FakeConnection('a'), new FakeConnection('b')];
    uplink.observe(a, report({ available: 1_000_000 }));
    expect(uplink.estimate()).toBe(800_000);
    // A second connection's share is added as it is: it is another controller's part of the uplink, not a jump.
    uplink.observe(b, report({ available: 500_000 }));
    expect(uplink.estimate()).toBe(1_200_000);
    expect(uplink.measuredConnections).toBe(2);
  });

  it('follows a drop at once and a rise at most maxIncreasePerSecond', () => {
    const c = clock();
    const uplink = new MeasuredUplink({ headroom: 1, maxIncreasePerSecond: 0.25, now: c.now });
    const a = new FakeConnection('a');
    uplink.observe(a, report({ available: 4_000_000 }));
    c.advance(2000);
    uplink.observe(a, report({ available: 1_000_000 }));
    expect(uplink.estimate()).toBe(1_000_000);
    // One second later a 3 Mbit/s sample: the share rises only 25 %.
    c.advance(1000);
    uplink.observe(a, report({ available: 3_000_000 }));
    expect(uplink.estimate()).toBe(1_250_000);
    for (let i = 0; i < 20; i++) { c.advance(2000); uplink.observe(a, report({ available: 3_000_000 })); }
    expect(uplink.estimate()).toBeCloseTo(3_000_000, -3);
  });

  it('rises slowly around the level where it last fell sharply, and forgets that level once well past it', () => {
    const c = clock();
    const uplink = new MeasuredUplink({ headroom: 1, maxIncreasePerSecond: 0.5, probeIncreasePerSecond: 0.05, now: c.now });
    const a = new FakeConnection('a');
    uplink.observe(a, report({ available: 1_000_000 }));
    c.advance(1000);
    uplink.observe(a, report({ available: 600_000 })); // the controller probed past the link and fell back
    expect(uplink.estimate()).toBe(600_000);
    c.advance(1000);
    uplink.observe(a, report({ available: 2_000_000 })); // fast again, but only up to 90 % of the old level
    expect(uplink.estimate()).toBe(900_000);
    c.advance(1000);
    uplink.observe(a, report({ available: 2_000_000 }));
    expect(uplink.estimate()).toBe(945_000); // 5 %/s near it
    for (let i = 0; i < 4; i++) { c.advance(1000); uplink.observe(a, report({ available: 2_000_000 })); }
    expect(uplink.estimate()).toBeCloseTo(1_148_653, -1); // past 110 %: the ceiling is forgotten
    c.advance(1000);
    uplink.observe(a, report({ available: 2_000_000 }));
    expect(uplink.estimate()).toBeCloseTo(1_722_980, -1);
  });

  it('brakes a connection whose receiver reports loss or a high round-trip time', () => {
    const { now } = clock();
    const lossy = new MeasuredUplink({ headroom: 1, now });
    lossy.observe(new FakeConnection('a'), report({ available: 1_000_000, fractionLost: 0.2 }));
    expect(lossy.estimate()).toBe(800_000);
    const slight = new MeasuredUplink({ headroom: 1, now });
    slight.observe(new FakeConnection('a'), report({ available: 1_000_000, fractionLost: 0.01 }));
    expect(slight.estimate()).toBe(1_000_000);
    const heavy = new MeasuredUplink({ headroom: 1, now });
    heavy.observe(new FakeConnection('a'), report({ available: 1_000_000, fractionLost: 0.9 }));
    expect(heavy.estimate()).toBe(500_000);
    const queued = new MeasuredUplink({ headroom: 1, now });
    queued.observe(new FakeConnection('a'), report({ available: 1_000_000, rtt: 0.6 }));
    expect(queued.estimate()).toBe(850_000);
  });

  it('never goes below the minimum; ignores data-only, closed and silent connections', () => {
    const c = clock();
    const uplink = new MeasuredUplink({ headroom: 1, staleMs: 5000, now: c.now });
    const [a, b, d] = [new FakeConnection('a'), new FakeConnection('b'), new FakeConnection('d')];
    uplink.observe(a, report({ available: 10_000 }));
    expect(uplink.estimate()).toBe(MIN_VIDEO_BITRATE);
    uplink.observe(d, report({ available: 5_000_000, video: false }));
    expect(uplink.measuredConnections).toBe(1);
    uplink.observe(b, report({ available: 600_000 }));
    uplink.observe(a, report({ available: 400_000 }));
    expect(uplink.measuredConnections).toBe(2);
    // b closes: its share goes at once (the estimate drops to a's alone).
    b.close();
    uplink.observe(a, report({ available: 400_000 }));
    expect(uplink.measuredConnections).toBe(1);
    expect(uplink.estimate()).toBeLessThanOrEqual(400_000);
    // a is not observed for longer than staleMs while another connection reports: a no longer counts.
    const e = new FakeConnection('e');
    c.advance(6000);
    uplink.observe(e, report({ available: 300_000 }));
    expect(uplink.measuredConnections).toBe(1);
    expect(uplink.estimate()).toBe(300_000);
    // A report without an estimate keeps the last one; reset goes back to the initial value.
    uplink.observe(e, report({}));
    expect(uplink.estimate()).toBe(300_000);
    uplink.reset();
    expect(uplink.estimate()).toBe(2_500_000);
  });

  it('rejects options out of range with a typed error', () => {
    expect(() => new MeasuredUplink({ headroom: 0 })).toThrow(MediaError);
    expect(() => new MeasuredUplink({ headroom: 1.5 })).toThrow(MediaError);
    expect(() => new MeasuredUplink({ initial: -1 })).toThrow(MediaError);
    expect(() => new MeasuredUplink({ staleMs: Number.NaN })).toThrow(MediaError);
    expect(() => new MeasuredUplink({ probeIncreasePerSecond: 2 })).toThrow(MediaError);
    try { new MeasuredUplink({ maxIncreasePerSecond: -0.1 }); } catch (e) { expect((e as MediaError).code).toBe('invalid-argument'); }
  });
});

describe('BitrateController priorities', () => {
  function table(n: number, configure: (s: FakeSender) => void) {
    const senders = new SenderTable();
    const fakes: FakeSender[] = [];
    for (let i = 0; i < n; i++) {
      const connection = new FakeConnection(`p${i}`);
      const track = new FakeTrack('video');
      senders.reconcile(connection, [{ track: track as unknown as MediaStreamTrack, stream: new FakeStream([track]) as unknown as MediaStream }]);
      const fake = [...connection.senders][0]!;
      configure(fake);
      fakes.push(fake);
    }
    return { senders, fakes };
  }

  it('marks video encodings low priority where the implementation reports the fields, once', async () => {
    const { senders, fakes } = table(2, (s) => { s.supportsPriority = true; });
    const controller = new BitrateController({ estimator: new FixedUplink(1_000_000) });
    await controller.apply(senders);
    expect(fakes.map((s) => [s.maxBitrate, s.priority, s.networkPriority])).toEqual([[500_000, 'low', 'low'], [500_000, 'low', 'low']]);
    await controller.apply(senders);
    expect(fakes.map((s) => s.setCalls)).toEqual([1, 1]);
  });

  it('does not touch priority where it is not reported (the cap still applies), and never throws', async () => {
    const plain = table(1, () => {});
    const controller = new BitrateController({ estimator: new FixedUplink(800_000) });
    await controller.apply(plain.senders);
    expect(plain.fakes[0]!.maxBitrate).toBe(800_000);
    expect('priority' in plain.fakes[0]!.getParameters().encodings[0]!).toBe(false);
    const refusing = table(1, (s) => { s.supportsPriority = true; s.rejectPriority = true; });
    await expect(controller.apply(refusing.senders)).resolves.toBeUndefined();
  });
});

describe('ClassroomMedia with the measured uplink', () => {
  const created: ClassroomMedia[] = [];
  beforeEach(() => { vi.stubGlobal('MediaStream', FakeStream); });
  afterEach(() => {
    for (const media of created.splice(0)) media.destroy();
    vi.unstubAllGlobals();
  });

  it('is the default without uplinkBudget: caps follow the stats poll, split per receiver as before', async () => {
    const network = new FakeNetwork(teacher, ['a', 'b', 'c'].map((peerId) => ({ peerId, role: 'student' as const })));
    const media = new ClassroomMedia({ network, teacherKey: KEY, getStage: () => null, screenStreamOf: () => null, mediaDevices: new FakeDevices(), statsIntervalMs: 5 });
    created.push(media);
    const connections = ['a', 'b', 'c'].map((id) => network.connect(id));
    await media.setCamera(true);
    await flush();
    // Before any measurement: the old default budget, so peers without stats behave as before.
    expect(media.uplinkEstimate()).toBe(2_500_000);
    // A 3 Mbit/s uplink shared by three congestion controllers: ~1 Mbit/s each.
    for (const c of connections) c.stats = videoStats({ available: 1_000_000 });
    await vi.waitFor(() => expect(media.uplinkEstimate()).toBe(2_550_000));
    expect(media.perReceiverBitrate()).toBe(850_000);
    await vi.waitFor(() => expect(connections.map((c) => [...c.senders][0]!.maxBitrate)).toEqual([850_000, 850_000, 850_000]));
    // The uplink gets thinner: the caps drop on the next polls, never below the floor.
    for (const c of connections) c.stats = videoStats({ available: 50_000 });
    await vi.waitFor(() => expect(connections.map((c) => [...c.senders][0]!.maxBitrate)).toEqual([100_000, 100_000, 100_000]));
  });

  it('keeps uplinkBudget as a fixed override that ignores the stats', async () => {
    const network = new FakeNetwork(teacher, [{ peerId: 'a', role: 'student' }]);
    const media = new ClassroomMedia({ network, teacherKey: KEY, getStage: () => null, screenStreamOf: () => null, mediaDevices: new FakeDevices(), statsIntervalMs: 5, uplinkBudget: 1_500_000 });
    created.push(media);
    const connection = network.connect('a');
    connection.stats = videoStats({ available: 300_000 });
    await media.setCamera(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(media.uplinkEstimate()).toBe(1_500_000);
    expect([...connection.senders][0]!.maxBitrate).toBe(1_500_000);
  });
});
