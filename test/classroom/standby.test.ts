// The standby (head of the hand queue) over real peers: @roamhq/wrtc through the real relay, no media.
import { providerOf } from '../helpers/providerOf.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../signaling/index.js';
import { Classroom, createTeacherIdentity, randomClassId, randomSecret, type TeacherIdentity } from '../../src/index.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

let relay: Relay | undefined;
const rooms: Classroom[] = [];
afterEach(async () => {
  for (const c of rooms.splice(0)) c.leave();
  // Let the RTCPeerConnections close before the worker may exit (@roamhq/wrtc can crash at exit otherwise).
  await new Promise((r) => setTimeout(r, 4000));
  await relay?.close();
  relay = undefined;
});

interface Setup { url: string; classId: string; secret: string; teacherKey: string; identity: TeacherIdentity }

/** Remote peer ids of every RTCPeerConnection a classroom opened (dialled or accepted). */
const opened = new Map<Classroom, string[]>();

async function join(s: Setup, name: string, teacher = false): Promise<Classroom> {
  const c = await Classroom.create({
    signaling: s.url, classId: s.classId, secret: s.secret, teacherKey: s.teacherKey, name, peerId: name, rtc: nodeRtc, WebSocket: NodeWebSocket,
    ...(teacher ? { identity: s.identity } : {}),
  });
  const list = [...providerOf(c).connections().keys()];
  opened.set(c, list);
  c.network.on('peer-connection', (_connection, peer) => list.push(peer.peerId));
  rooms.push(c);
  return c;
}

const linked = (c: Classroom): string[] => [...providerOf(c).connections()].filter(([, pc]) => pc.link !== null).map(([id]) => id).sort();
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
async function until(what: string, cs: Classroom[], predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  try { await waitUntil(predicate, what, timeoutMs); } catch (e) {
    throw new Error(`${String(e)} — ${cs.map((c) => `${c.peerId}:[${linked(c).join(',')}] stage=${c.stage()} hands=${c.handQueue().join(',')}`).join(' | ')}`);
  }
}
const openedCount = (cs: Classroom[]): number => cs.reduce((n, c) => n + opened.get(c)!.length, 0);

describe('standby: the first raised hand is linked to the class before it is staged', () => {
  it('the standby links to every student; staging it opens no new connection; lowering the hand restores the star; a cold stage does open connections', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const identity = await createTeacherIdentity();
    const s: Setup = { url: relay.url, classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey, identity };
    const teacher = await join(s, 't-teacher', true);
    const [s1, s2, s3] = [await join(s, 's1'), await join(s, 's2'), await join(s, 's3')] as [Classroom, Classroom, Classroom];
    const students = [s1, s2, s3];
    const all = [teacher, ...students];
    await until('star', all, () => sameSet(linked(teacher), ['s1', 's2', 's3']) && students.every((c) => sameSet(linked(c), ['t-teacher'])), 30_000);

    // s2 raises first, s1 after: s2 is the standby (one only), everyone agrees, and it links to every student.
    s2.raiseHand();
    await new Promise((r) => setTimeout(r, 20));
    s1.raiseHand();
    await until('everyone sees the queue s2, s1', all, () => all.every((c) => c.handQueue().join() === 's2,s1'));
    await until('standby s2 linked to every student, s1 and s3 not to each other', all,
      () => sameSet(linked(s2), ['t-teacher', 's1', 's3']) && sameSet(linked(s1), ['t-teacher', 's2']) && sameSet(linked(s3), ['t-teacher', 's2']));
    expect(all.map((c) => c.stage())).toEqual([null, null, null, null]);

    // Staging the standby: only a stage statement, no new RTCPeerConnection anywhere; s1 (next hand) becomes standby.
    const before = new Map(all.map((c) => [c, opened.get(c)!.length]));
    const s2Links = new Map(students.filter((c) => c !== s2).map((c) => [c, providerOf(c).connections().get('s2')]));
    await teacher.setStage('s2');
    await until('everyone sees the stage', all, () => all.every((c) => c.stage() === 's2'));
    await until('s1 is the new standby: linked to s3 as well', all, () => sameSet(linked(s1), ['t-teacher', 's2', 's3']) && sameSet(linked(s3), ['t-teacher', 's1', 's2']));
    // No connection to or from the staged s2 was opened (the only new ones are the new standby's link s1–s3).
    const since = (c: Classroom): string[] => opened.get(c)!.slice(before.get(c));
    expect(since(s2)).toEqual([]);
    for (const c of all) expect(since(c), `${c.peerId} opened`).not.toContain('s2');
    expect(since(s1)).toContain('s3');
    for (const [c, connection] of s2Links) expect(providerOf(c).connections().get('s2'), `${c.peerId}'s connection to s2`).toBe(connection);

    // Stage ends and both hands go down: the extra links close again, back to the star.
    await teacher.setStage(null);
    s1.lowerHand();
    s2.lowerHand();
    await until('star again (links)', all, () => students.every((c) => sameSet(linked(c), ['t-teacher'])) && sameSet(linked(teacher), ['s1', 's2', 's3']));

    // The old path, for contrast: staging s3 with no hand raised opens its connections to the students at that moment.
    // Connections that were closing (or accepted from a peer whose view lagged a moment) are gone too.
    await until('no connection between students left', all, () => students.every((c) => sameSet([...providerOf(c).connections().keys()], ['t-teacher'])), 30_000);
    const beforeCold = openedCount(all);
    await teacher.setStage('s3');
    await until('staged s3 linked to everyone', all, () => sameSet(linked(s3), ['t-teacher', 's1', 's2']));
    expect(openedCount(all) - beforeCold).toBeGreaterThanOrEqual(4);
  }, 90_000);
});
