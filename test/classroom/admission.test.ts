import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../signaling/index.js';
import {
  Classroom, chatType, createTeacherIdentity, randomClassId, randomSecret, type Knock, type TeacherIdentity,
} from '../../src/index.js';
import { providerOf } from '../helpers/providerOf.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

let relay: Relay | undefined;
const rooms: Classroom[] = [];
afterEach(async () => {
  for (const c of rooms.splice(0)) c.leave();
  // Let the providers' graceful closes finish before the worker may exit (@roamhq/wrtc dislikes teardown at exit).
  await new Promise((r) => setTimeout(r, 2500));
  await relay?.close();
  relay = undefined;
});

interface Setup { url: string; classId: string; secret: string; teacherKey: string; identity: TeacherIdentity }

async function setup(): Promise<Setup> {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  const identity = await createTeacherIdentity();
  return { url: relay.url, classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey, identity };
}

async function join(s: Setup, peerId: string, name: string, teacher = false): Promise<Classroom> {
  const c = await Classroom.create({
    signaling: s.url, classId: s.classId, secret: s.secret, teacherKey: s.teacherKey, name, peerId, rtc: nodeRtc, WebSocket: NodeWebSocket,
    ...(teacher ? { identity: s.identity } : {}),
  });
  rooms.push(c);
  return c;
}

const linked = (c: Classroom): string[] => [...providerOf(c).connections()].filter(([, pc]) => pc.link !== null).map(([id]) => id).sort();
const chatTexts = (c: Classroom): string[] => c.doc(chatType).messages().map((m) => m.text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('admission: lobby, admit, deny, bans (Classroom over @roamhq/wrtc through the real relay)', () => {
  it('in a lobby class a student knocks and gets nothing until admitted; a denied student stays out', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', 'Ms T', true);
    await teacher.admission.setMode('lobby');
    teacher.doc(chatType).send('for admitted students only');
    const lobbies: Knock[][] = [];
    teacher.on('lobby', (knocks) => lobbies.push(knocks));

    const alice = await join(s, 's-alice', 'Alice');
    await waitUntil(() => teacher.admission.lobby().some((k) => k.peerId === 's-alice' && k.name === 'Alice'), 'Alice knocks', 15_000);
    expect(lobbies.at(-1)?.map((k) => k.peerId)).toEqual(['s-alice']);
    await sleep(1500);
    expect(linked(teacher)).toEqual([]);
    expect(chatTexts(alice)).toEqual([]);
    expect(teacher.participants().map((p) => p.peerId)).toEqual(['t-teacher']);

    const admittedAt = Date.now();
    await teacher.admission.admit('s-alice');
    await waitUntil(() => chatTexts(alice).includes('for admitted students only'), 'Alice gets the class once admitted', 20_000);
    expect(teacher.admission.lobby()).toEqual([]);
    console.log(`admitted → class content in ${Date.now() - admittedAt} ms`);
    await waitUntil(() => alice.admission.roster().get('s-alice')?.name === 'Alice', 'Alice holds the signed roster', 10_000);
    expect(alice.admission.mode()).toBe('lobby');

    const mallory = await join(s, 's-mallory', 'Mallory');
    await waitUntil(() => teacher.admission.lobby().some((k) => k.peerId === 's-mallory'), 'Mallory knocks', 15_000);
    await teacher.admission.deny('s-mallory');
    expect(teacher.admission.lobby()).toEqual([]);
    teacher.doc(chatType).send('after the denial');
    await waitUntil(() => chatTexts(alice).includes('after the denial'), 'Alice keeps syncing', 15_000);
    await sleep(1500);
    expect(chatTexts(mallory)).toEqual([]);
    expect(linked(teacher)).toEqual(['s-alice']);
    expect(alice.admission.admits('s-mallory')).toBe(false);
    // A student cannot admit anyone.
    await expect(alice.admission.admit('s-mallory')).rejects.toThrow(/admit/);
  }, 90_000);

  it('removal is a ban of the key: the same peer id rejoining stays out; a new one must knock', async () => {
    const s = await setup();
    const teacher = await join(s, 't-teacher', 'Ms T', true);
    const bob = await join(s, 's-bob', 'Bob');
    teacher.doc(chatType).send('hello');
    await waitUntil(() => chatTexts(bob).includes('hello'), 'Bob joins the open class', 20_000);
    // In an open class the teacher's client still signs an admit for everyone: the roster names them.
    await waitUntil(() => teacher.admission.roster().get('s-bob')?.name === 'Bob', 'Bob is in the roster', 10_000);
    await teacher.removeStudent('s-bob');
    await waitUntil(() => linked(teacher).length === 0, 'Bob is disconnected', 15_000);

    // Bob reloads: same key, so the same peer id.
    const bobAgain = await join(s, 's-bob', 'Bob');
    teacher.doc(chatType).send('after the removal');
    await sleep(3000);
    expect(chatTexts(bobAgain)).toEqual([]);
    expect(linked(teacher)).toEqual([]);
    expect(teacher.participants().map((p) => p.peerId)).toEqual(['t-teacher']);

    // A new key in a lobby class must knock again.
    await teacher.admission.setMode('lobby');
    const bobNewKey = await join(s, 's-bob-2', 'Bob');
    await waitUntil(() => teacher.admission.lobby().some((k) => k.peerId === 's-bob-2'), 'the new key knocks', 15_000);
    expect(teacher.admission.lobby().map((k) => k.peerId)).toEqual(['s-bob-2']);
    expect(chatTexts(bobNewKey)).toEqual([]);
  }, 90_000);
});
