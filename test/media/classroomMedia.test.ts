import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClassroomMedia, type ClassroomMediaOptions } from '../../src/media/classroomMedia.js';
import { MediaError } from '../../src/media/errors.js';
import { meshSendRule } from '../../src/media/sendPolicy.js';
import type { TrackSubscribedEvent, TrackUnsubscribedEvent } from '../../src/media/subscriptions.js';
import type { QualityEvent } from '../../src/media/stats.js';
import { FakeDevices, FakeNetwork, FakeSender, FakeStream, FakeTrack, flush } from './fakes.js';

const KEY = 'class-key';
const teacher = { peerId: 't', role: 'teacher' as const, teacherKey: KEY };
const student = (peerId: string) => ({ peerId, role: 'student' as const });

const created: ClassroomMedia[] = [];
beforeEach(() => { vi.stubGlobal('MediaStream', FakeStream); });
afterEach(() => {
  for (const media of created.splice(0)) media.destroy();
  vi.unstubAllGlobals();
});

function setup(self: { peerId: string; role: 'teacher' | 'student'; teacherKey?: string }, others: string[], extra: Partial<ClassroomMediaOptions> = {}) {
  const peers = [teacher, ...others.map(student)].filter((p) => p.peerId !== self.peerId);
  const network = new FakeNetwork(self, peers);
  let stage: string | null = null;
  const screens = new Map<string, string>();
  const devices = new FakeDevices();
  const media = new ClassroomMedia({
    network, teacherKey: KEY, getStage: () => stage, screenStreamOf: (id) => screens.get(id) ?? null,
    mediaDevices: devices, statsIntervalMs: 0, ...extra,
  });
  created.push(media);
  const events = { subscribed: [] as TrackSubscribedEvent[], unsubscribed: [] as TrackUnsubscribedEvent[], quality: [] as QualityEvent[], screen: [] as Array<string | null> };
  media.on('track-subscribed', (e) => events.subscribed.push(e));
  media.on('track-unsubscribed', (e) => events.unsubscribed.push(e));
  media.on('quality', (e) => events.quality.push(e));
  media.on('screen-stream', ({ streamId }) => events.screen.push(streamId));
  return { network, media, devices, events, screens, setStage: (s: string | null) => { stage = s; media.reevaluate(); } };
}

describe('ClassroomMedia send policy', () => {
  it('the teacher sends camera and microphone to every connection, including ones opened later', async () => {
    const { network, media } = setup(teacher, ['a', 'b']);
    const a = network.connect('a');
    await media.setCamera(true);
    await media.setMicrophone(true);
    expect(a.sentTracks().map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    const b = network.connect('b');
    await flush();
    expect(b.sentTracks()).toHaveLength(2);
    expect(media.localStream?.getTracks()).toHaveLength(2);
  });

  it('a student sends only while on stage; unstaging removes its tracks', async () => {
    const { network, media, setStage } = setup(student('a'), ['b']);
    const t = network.connect('t');
    const b = network.connect('b');
    await media.setCamera(true);
    expect(t.added + b.added).toBe(0);
    setStage('a');
    expect(t.sentTracks()).toHaveLength(1);
    expect(b.sentTracks()).toHaveLength(1);
    setStage('a'); // re-evaluating with nothing changed costs no renegotiation
    expect(t.added).toBe(1);
    setStage(null);
    expect(t.sentTracks()).toHaveLength(0);
    expect(b.removed).toBe(1);
  });

  it('a forged teacher (wrong key) is a student; a mesh rule sends everywhere', async () => {
    const forged = setup({ peerId: 'f', role: 'teacher', teacherKey: 'other' }, ['a']);
    const c = forged.network.connect('a');
    await forged.media.setCamera(true);
    expect(c.added).toBe(0);
    const mesh = setup(student('a'), ['b'], { sendRule: meshSendRule });
    const d = mesh.network.connect('b');
    await mesh.media.setCamera(true);
    expect(d.added).toBe(1);
  });

  it('a device switch replaces the track in place instead of renegotiating', async () => {
    const { network, media } = setup(teacher, ['a']);
    const a = network.connect('a');
    await media.setCamera(true);
    const first = a.sentTracks()[0] as unknown as FakeTrack;
    await media.setCamera(true, 'other-camera');
    const second = a.sentTracks()[0] as unknown as FakeTrack;
    expect(a.added).toBe(1);
    expect(second).not.toBe(first);
    expect(first.readyState).toBe('ended');
    expect(media.localStream?.getVideoTracks()).toEqual([second]);
  });

  it('turning the camera off while it is being captured leaves it off', async () => {
    const { network, media, devices } = setup(teacher, ['a']);
    const a = network.connect('a');
    let open!: () => void;
    devices.gate = new Promise((r) => { open = r; });
    const on = media.setCamera(true);
    await media.setCamera(false);
    open();
    await on;
    expect(a.added).toBe(0);
    expect(media.localStream).toBeNull();
  });

  it('a mute request mutes the microphone now and when it is turned on later', async () => {
    const { media } = setup(student('a'), []);
    media.applyMuteRequest(true);
    await media.setMicrophone(true);
    expect(media.localStream?.getAudioTracks()[0]?.enabled).toBe(false);
    media.applyMuteRequest(false);
    expect(media.localStream?.getAudioTracks()[0]?.enabled).toBe(true);
  });
});

describe('ClassroomMedia bitrate', () => {
  it('splits the budget among video receivers, only on connected and stable connections', async () => {
    const { network, media } = setup(teacher, ['a', 'b', 'c', 'd']);
    const connections = ['a', 'b', 'c', 'd'].map((id) => network.connect(id));
    connections[3]!.signalingState = 'have-local-offer';
    await media.setCamera(true);
    await flush();
    expect(media.perReceiverBitrate()).toBe(625_000);
    const caps = () => connections.map((c) => ([...c.senders][0] as FakeSender).maxBitrate);
    expect(caps()).toEqual([625_000, 625_000, 625_000, undefined]);
    connections[3]!.signalingState = 'stable';
    media.setUplinkBudget(1_000_000);
    await flush();
    expect(caps()).toEqual([250_000, 250_000, 250_000, 250_000]);
  });

  it('never caps below the floor and takes its budget from a pluggable estimator', async () => {
    const { network, media } = setup(teacher, ['a', 'b'], { uplinkEstimator: { estimate: () => Number.NaN }, minVideoBitrate: 150_000, statsIntervalMs: 5 });
    network.connect('a');
    network.connect('b');
    await media.setCamera(true);
    expect(media.perReceiverBitrate()).toBe(150_000);
    const observed: string[] = [];
    media.setUplinkEstimator({ estimate: () => 1_000_000, observe: (c) => { observed.push(c.remoteId); } });
    expect(media.perReceiverBitrate()).toBe(500_000);
    // The estimator sees each connection's stats, so a later one can follow availableOutgoingBitrate.
    await vi.waitFor(() => expect(new Set(observed)).toEqual(new Set(['a', 'b'])));
  });

  it('rejects a budget that is not a positive number with a typed error', () => {
    const { media } = setup(teacher, []);
    expect(() => media.setUplinkBudget(0)).toThrow(MediaError);
    try { media.setUplinkBudget(Number.NaN); } catch (e) { expect((e as MediaError).code).toBe('invalid-argument'); }
  });
});

describe('ClassroomMedia subscriptions and quality', () => {
  it('reports camera, microphone and screen tracks and unsubscribes them once', async () => {
    const { network, events, screens, media } = setup(student('a'), []);
    const t = network.connect('t');
    const camera = new FakeTrack('video');
    const mic = new FakeTrack('audio');
    const main = new FakeStream([camera, mic]);
    const screen = new FakeTrack('video');
    const screenStream = new FakeStream([screen]);
    screens.set('t', screenStream.id);
    t.receive(camera, main);
    t.receive(mic, main);
    t.receive(screen, screenStream);
    expect(events.subscribed.map((e) => e.kind)).toEqual(['camera', 'microphone', 'screen']);
    expect(media.remoteStreams().get('t')).toBe(main);
    screenStream.removeTrack(screen);
    expect(events.unsubscribed.map((e) => e.track)).toEqual([screen]);
    t.close();
    expect(events.unsubscribed).toHaveLength(3);
    expect(media.remoteStreams().size).toBe(0);
    expect(t.listeners()).toBe(0);
  });

  it('rates quality from stats and reports only changes', async () => {
    const { network, events } = setup(teacher, ['a'], { statsIntervalMs: 5 });
    const a = network.connect('a');
    a.stats = [{ type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.05 }, { type: 'inbound-rtp', packetsLost: 0, packetsReceived: 100 }];
    await vi.waitFor(() => expect(events.quality).toEqual([{ peerId: 'a', quality: 'good' }]));
    a.stats = [{ type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.05 }, { type: 'inbound-rtp', packetsLost: 20, packetsReceived: 180 }];
    // Loss counts per interval: 20 of 100 packets lost since the last poll is poor, no new loss after it is good again.
    await vi.waitFor(() => expect(events.quality.map((e) => e.quality).slice(0, 3)).toEqual(['good', 'poor', 'good']));
  });

  it('announces the screen stream and withdraws it when sharing stops', async () => {
    const { network, media, events } = setup(teacher, ['a']);
    const a = network.connect('a');
    await media.shareScreen(true);
    expect(events.screen).toEqual([media.localScreenStream?.id]);
    expect(a.sentTracks()).toHaveLength(1);
    await media.shareScreen(false);
    expect(events.screen.at(-1)).toBeNull();
    expect(a.sentTracks()).toHaveLength(0);
  });

  it('destroy stops local tracks and lets go of every connection', async () => {
    const { network, media } = setup(teacher, ['a']);
    const a = network.connect('a');
    await media.setCamera(true);
    const track = media.localStream!.getVideoTracks()[0] as unknown as FakeTrack;
    media.destroy();
    expect(track.readyState).toBe('ended');
    expect(a.listeners()).toBe(0);
    const b = network.connect('b');
    await flush();
    expect(b.added).toBe(0);
    expect(b.listeners()).toBe(0);
  });
});

describe('MediaError', () => {
  it('maps capture failures to typed codes', async () => {
    const { media, devices } = setup(teacher, []);
    devices.fail = new DOMException('denied', 'NotAllowedError');
    await expect(media.setCamera(true)).rejects.toMatchObject({ name: 'MediaError', code: 'permission-denied' });
    devices.fail = new DOMException('none', 'NotFoundError');
    await expect(media.setMicrophone(true)).rejects.toMatchObject({ code: 'no-device' });
    devices.fail = new DOMException('busy', 'NotReadableError');
    await expect(media.setCamera(true)).rejects.toMatchObject({ code: 'device-in-use' });
    devices.fail = Object.assign(new DOMException('no such camera', 'OverconstrainedError'), { constraint: 'deviceId' });
    await expect(media.setCamera(true, 'gone')).rejects.toMatchObject({ code: 'no-device' });
    devices.fail = new Error('weird');
    await expect(media.shareScreen(true)).rejects.toMatchObject({ code: 'capture-failed' });
  });

  it('reports missing media devices as unsupported', async () => {
    const network = new FakeNetwork(teacher, []);
    vi.stubGlobal('navigator', {});
    const media = new ClassroomMedia({ network, teacherKey: KEY, getStage: () => null, screenStreamOf: () => null, statsIntervalMs: 0 });
    await expect(media.setCamera(true)).rejects.toMatchObject({ code: 'unsupported' });
  });
});
