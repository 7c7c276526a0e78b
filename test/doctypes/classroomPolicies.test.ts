// Write policies wired through the Classroom: a teacher and two students over @roamhq/wrtc and the real relay, with
// `writePolicies: true`. A student running a modified client writes raw Yjs into its class doc; every honest peer
// refuses it and the teacher's Classroom names the writer.
import { afterEach, expect, it } from 'vitest';
import { providerOf } from '../helpers/providerOf.js';
import * as Y from 'yjs';
import { startRelay, type Relay } from '../../signaling/index.js';
import { Classroom, chatType, createTeacherIdentity, randomClassId, randomSecret, whiteboardType } from '../../src/index.js';
import { waitUntil } from '../helpers/processes.js';
import { NodeWebSocket, nodeRtc } from '../helpers/nodeWebRtc.js';

let relay: Relay | undefined;
const rooms: Classroom[] = [];
afterEach(async () => {
  for (const c of rooms.splice(0)) c.leave();
  // As in nodeClassroom: let every RTCPeerConnection finish closing before the worker may exit (@roamhq/wrtc crashed
  // the worker at exit after 2.5 s in a clean-clone run).
  await new Promise((r) => setTimeout(r, 4000));
  await relay?.close();
  relay = undefined;
});

it('a Classroom with writePolicies refuses a student\'s raw erase of the teacher\'s stroke and names the writer', async () => {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  const identity = await createTeacherIdentity();
  const params = { signaling: relay.url, classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey, rtc: nodeRtc, WebSocket: NodeWebSocket, statsIntervalMs: 0, writePolicies: true };
  const join = async (name: string, teacher = false): Promise<Classroom> => {
    const c = await Classroom.create({ ...params, name, peerId: name, ...(teacher ? { identity } : {}) });
    rooms.push(c);
    return c;
  };
  const teacher = await join('t-teacher', true);
  const sam = await join('s-sam');
  const mallory = await join('s-mallory');
  const rejected: Array<{ reason: string; writer?: string; detail: string }> = [];
  teacher.on('rejected', (r) => rejected.push(r));

  const stroke = teacher.doc(whiteboardType).addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 10, h: 10 });
  sam.doc(chatType).send('hello');
  await waitUntil(() => [sam, mallory].every((c) => c.doc(whiteboardType).element(stroke) !== undefined)
    && [teacher, mallory].every((c) => c.doc(chatType).messages().length === 1), 'everyone to have the stroke and the message', 30_000);

  // Mallory's modified client: a raw delete of the teacher's stroke, and a chat record in Sam's name.
  mallory.ydoc.getMap('whiteboard').delete(`e:${stroke}`);
  mallory.ydoc.getArray('chat').push([{ k: 'm', id: 'forged', text: 'I give up', by: 's-sam', name: 'Sam', role: 'student', t: Date.now() }]);
  await waitUntil(() => rejected.some((r) => r.reason === 'write-policy' && r.writer === 's-mallory'), 'the teacher to refuse Mallory\'s update', 15_000);

  // Honest peers keep syncing, and neither the erase nor the forged message reached them.
  teacher.doc(chatType).send('back to work');
  await waitUntil(() => sam.doc(chatType).messages().length === 2, 'sam to get the teacher\'s message', 15_000);
  for (const c of [teacher, sam]) {
    expect(c.doc(whiteboardType).element(stroke)).toBeDefined();
    expect(c.doc(chatType).messages().map((m) => m.text)).toEqual(['hello', 'back to work']);
  }
  expect(Y.encodeStateVector(teacher.ydoc)).toEqual(Y.encodeStateVector(sam.ydoc));
});

it('with writePolicies the fallback mesh works, and a returning teacher (its persisted doc) gets the students\' work', async () => {
  relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
  const identity = await createTeacherIdentity();
  const params = { signaling: relay.url, classId: randomClassId(), secret: randomSecret(), teacherKey: identity.publicKey, rtc: nodeRtc, WebSocket: NodeWebSocket, statsIntervalMs: 0, writePolicies: true };
  const join = async (name: string, extra: Partial<Parameters<typeof Classroom.create>[0]> = {}): Promise<Classroom> => {
    const c = await Classroom.create({ ...params, name, peerId: name, ...extra });
    rooms.push(c);
    return c;
  };
  const linked = (c: Classroom): string[] => [...providerOf(c).connections()].filter(([, pc]) => pc.link !== null).map(([id]) => id).sort();
  const teacherDoc = new Y.Doc();
  const teacher = await join('t-teacher', { identity, doc: teacherDoc });
  const [a, b] = [await join('a'), await join('b')];
  await waitUntil(() => linked(teacher).join() === 'a,b', 'the star', 30_000);
  const stroke = teacher.doc(whiteboardType).addShape({ pageId: 'main', kind: 'rect', x: 0, y: 0, w: 5, h: 5 });
  await waitUntil(() => a.doc(whiteboardType).element(stroke) !== undefined && b.doc(whiteboardType).element(stroke) !== undefined, 'the stroke to reach the students');

  teacher.leave();
  await waitUntil(() => linked(a).join() === 'b' && linked(b).join() === 'a', 'the students to mesh', 20_000);
  a.doc(chatType).send('while the teacher is away');
  const bStroke = b.doc(whiteboardType).addInk({ pageId: 'main', points: [[1, 1], [2, 3]] });
  await waitUntil(() => b.doc(chatType).messages().length === 1 && a.doc(whiteboardType).element(bStroke) !== undefined, 'students to sync directly');

  const back = await join('t-teacher', { identity, doc: teacherDoc });
  await waitUntil(() => back.doc(chatType).messages().length === 1 && back.doc(whiteboardType).element(bStroke) !== undefined, 'the returning teacher to get the students\' work', 30_000);
  back.doc(whiteboardType).erase(bStroke); // the teacher moderates a student's stroke
  await waitUntil(() => a.doc(whiteboardType).element(bStroke) === undefined && b.doc(whiteboardType).element(bStroke) === undefined, 'the erase to reach everyone');
  expect(a.doc(whiteboardType).element(stroke)).toBeDefined();
}, 90_000);
