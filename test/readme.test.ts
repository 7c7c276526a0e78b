// README examples are executed as written: each ```ts block that imports 'peerclass' is bundled with
// 'peerclass' resolved to src/index.ts, run in Node, and checked by what it leaves behind.
import { afterAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startRelay } from '../signaling/index.js';
import { parseJoinLink, PeerclassProvider } from '../src/index.js';
import { waitUntil } from './helpers/processes.js';
import { startJanus } from '../harness/janus.js';
import { JanusSession, sfuRoomFor, type SfuSocketConstructor } from '../src/media/sfu/index.js';
import { NodeWebSocket, nodeRtc } from './helpers/nodeWebRtc.js';

const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => /from 'peerclass'/.test(code));
const dir = mkdtempSync(join(tmpdir(), 'peerclass-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles one README block (plus an export line naming what the test inspects) and imports it. */
async function runBlock<T>(code: string, exportNames: string[], replace: Array<[string, string]> = []): Promise<T> {
  let source = code;
  for (const [from, to] of replace) source = source.split(from).join(to);
  source += `\nexport { ${exportNames.join(', ')} };\n`;
  const entry = join(dir, `block-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(entry, source);
  const out = entry.replace(/\.ts$/, '.mjs');
  await build({
    entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'node', logLevel: 'silent',
    alias: { 'peerclass/signaling': resolve('signaling/index.ts'), peerclass: resolve('src/index.ts') }, nodePaths: [resolve('node_modules')], external: ['@roamhq/wrtc', 'ws', 'pdfjs-dist', 'yjs'],
  });
  return await import(pathToFileURL(out).href) as T;
}

// Providers close their RTCPeerConnections once their channels finished closing (≤ 2 s); @roamhq/wrtc can crash if the worker exits first.
afterAll(async () => { await new Promise((r) => setTimeout(r, 2500)); });

describe('README examples', () => {
  it('has the examples this test knows how to check', () => {
    expect(blocks.some((b) => b.includes('new PeerclassProvider('))).toBe(true);
    expect(blocks.some((b) => b.includes('register(pollType)'))).toBe(true);
    expect(blocks.some((b) => b.includes('defineDocType('))).toBe(true);
    expect(blocks.some((b) => b.includes('Classroom.create('))).toBe(true);
    expect(blocks.some((b) => b.includes('mintRelayToken('))).toBe(true);
    expect(blocks.some((b) => b.includes('lecture });'))).toBe(true);
  });

  it('the relay tokens example: a peer with a minted token function syncs through a relay that requires tokens', async () => {
    const globals = globalThis as Record<string, unknown>;
    globals.RTCPeerConnection = wrtc.RTCPeerConnection;
    globals.WebSocket = WebSocket;
    const block = blocks.find((b) => b.includes('mintRelayToken('))!;
    const example = await runBlock<{ relay: Awaited<ReturnType<typeof startRelay>>; provider: PeerclassProvider; fetchRelayToken: () => Promise<string> }>(
      block, ['relay', 'provider', 'fetchRelayToken'], [['port: 4445', "port: 0, logLevel: 'silent', processMetrics: false"]]);
    const other = new Y.Doc();
    const errors: string[] = [];
    const peer = new PeerclassProvider('class-42', other, {
      signaling: example.relay.url, secret: 'class secret from the join link', token: await example.fetchRelayToken(), rtc: nodeRtc, WebSocket: NodeWebSocket,
    });
    const intruder = new PeerclassProvider('class-42', new Y.Doc(), { signaling: example.relay.url, secret: 'class secret from the join link', rtc: nodeRtc, WebSocket: NodeWebSocket });
    intruder.on('error', (e) => errors.push(e.code));
    try {
      example.provider.doc.getText('notes').insert(0, 'token holders only');
      await waitUntil(() => other.getText('notes').toString() === 'token holders only', 'the token holder syncs', 20_000);
      await waitUntil(() => errors.includes('unauthorized'), 'the peer without a token is refused');
      expect(intruder.doc.getText('notes').toString()).toBe('');
    } finally {
      intruder.destroy();
      peer.destroy();
      example.provider.destroy();
      delete globals.RTCPeerConnection;
      delete globals.WebSocket;
      await example.relay.close();
    }
  });

  it('the classroom example: a student joins by link, raises a hand, the teacher stages them, chat arrives', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const globals = globalThis as Record<string, unknown>;
    globals.RTCPeerConnection = wrtc.RTCPeerConnection;
    globals.WebSocket = WebSocket;
    type Room = { peerId: string; stage(): string | null; leave(): void; doc<T>(t: unknown): T };
    const block = blocks.find((b) => b.includes('Classroom.create('))!;
    const example = await runBlock<{ teacher: Room; student: Room; chatType: unknown }>(block, ['teacher', 'student', 'chatType'], [['ws://127.0.0.1:4444', relay.url]]);
    try {
      await waitUntil(() => example.teacher.stage() === example.student.peerId && example.student.stage() === example.student.peerId, 'the student is staged by the teacher', 20_000);
      const chat = example.teacher.doc<{ messages(): Array<{ text: string; authorName: string }> }>(example.chatType);
      await waitUntil(() => chat.messages().some((m) => m.text === 'Is Pluto a planet?'), 'the student\'s chat reaches the teacher', 20_000);
    } finally {
      example.student.leave();
      example.teacher.leave();
      delete globals.RTCPeerConnection;
      delete globals.WebSocket;
      await relay.close();
    }
  });

  it('the lecture example: past the threshold the teacher moves to the SFU the relay assigned and joins its room', async () => {
    const janus = await startJanus();
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false, sfuServers: [janus.url] });
    const globals = globalThis as Record<string, unknown>;
    globals.RTCPeerConnection = wrtc.RTCPeerConnection;
    globals.WebSocket = WebSocket;
    type Room = { leave(): void; lecture: { route: string; sfuUrl(): string | null } };
    const block = blocks.find((b) => b.includes('lecture });'))!;
    // One student is past a threshold of 0; no dwell, so the test does not wait.
    const example = await runBlock<{ teacher: Room; student: Room; seen: boolean[]; link: string }>(block, ['teacher', 'student', 'seen', 'link'],
      [['ws://127.0.0.1:4444', relay.url], ['threshold: 25, enterAfterMs: 3_000', 'threshold: 0, enterAfterMs: 0']]);
    try {
      await waitUntil(() => example.seen.includes(true), 'the teacher switches to lecture mode', 30_000);
      expect(example.teacher.lecture.sfuUrl()).toBe(janus.url);
      expect(example.teacher.lecture.route).toBe('sfu');
      // The teacher created the class's room on the relay's Janus and is in it (a Node teacher has no camera: silent).
      const { classId, secret } = parseJoinLink(example.link);
      const { room } = await sfuRoomFor(classId, secret);
      const session = await JanusSession.connect({ url: janus.url, WebSocket: WebSocket as unknown as SfuSocketConstructor });
      try {
        const handle = await session.attachVideoRoom();
        const participants = async (): Promise<number> => {
          const data = await handle.request({ request: 'listparticipants', room }).catch(() => ({ participants: [] }));
          return (data.participants as unknown[] | undefined)?.length ?? 0;
        };
        await waitUntil(async () => (await participants()) >= 1, 'the teacher joins the class\'s room on that Janus', 20_000);
      } finally {
        await session.close();
      }
      await waitUntil(() => example.student.lecture.route === 'sfu', 'the student sees lecture mode', 30_000);
    } finally {
      example.student.leave();
      example.teacher.leave();
      delete globals.RTCPeerConnection;
      delete globals.WebSocket;
      await relay.close();
      await janus.stop();
    }
  });

  it('the trust example: a lobby class admits the knocking student, who then gets the class', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    const globals = globalThis as Record<string, unknown>;
    globals.RTCPeerConnection = wrtc.RTCPeerConnection;
    globals.WebSocket = WebSocket;
    type Room = { peerId: string; leave(): void; admission: { mode(): string; roster(): Map<string, { name: string }> }; participants(): Array<{ peerId: string }> };
    const block = blocks.find((b) => b.includes('admission.setMode('))!;
    const example = await runBlock<{ teacher: Room; student: Room; refused: unknown[] }>(block, ['teacher', 'student', 'refused'], [['ws://127.0.0.1:4444', relay.url]]);
    try {
      expect(example.teacher.admission.mode()).toBe('lobby');
      await waitUntil(() => example.student.admission.roster().get(example.student.peerId)?.name === 'Sam', 'the student holds the roster that admits it', 20_000);
      await waitUntil(() => example.teacher.participants().some((p) => p.peerId === example.student.peerId), 'the teacher lists the admitted student', 20_000);
      expect(example.student.admission.mode()).toBe('lobby');
      expect(example.refused).toEqual([]);
    } finally {
      example.student.leave();
      example.teacher.leave();
      delete globals.RTCPeerConnection;
      delete globals.WebSocket;
      await relay.close();
    }
  });

  it('the poll example tallies one vote per participant and closes', async () => {
    const block = blocks.find((b) => b.includes('register(pollType)'))!;
    const { result, studentPoll, id } = await runBlock<{ result: unknown; id: string; studentPoll: { vote(id: string, option: number): void; current(): { myVote: number | null } | null } }>(block, ['result', 'studentPoll', 'id']);
    expect(result).toMatchObject({ question: 'Which planet is largest?', options: ['Mars', 'Jupiter', 'Venus'], tally: [0, 1, 0], voters: 1, closed: true });
    expect(studentPoll.current()?.myVote).toBe(1);
    expect(() => studentPoll.vote(id, 0)).toThrow(/closed/);
  });

  it('the custom type example counts valid reactions and reports the hostile entry', async () => {
    const block = blocks.find((b) => b.includes('defineDocType('))!;
    const { counts, problems } = await runBlock<{ counts: Map<string, number>; problems: string[] }>(block, ['counts', 'problems']);
    expect([...counts]).toEqual([['👍', 1]]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/string/);
  });

  it('the provider example syncs a document with another peer', async () => {
    const relay = await startRelay({ port: 0, logLevel: 'silent', processMetrics: false });
    // The example relies on the browser's globals; Node gets them from @roamhq/wrtc and ws.
    const globals = globalThis as Record<string, unknown>;
    globals.RTCPeerConnection = wrtc.RTCPeerConnection;
    globals.WebSocket = WebSocket;
    const block = blocks.find((b) => b.includes('new PeerclassProvider('))!;
    const example = await runBlock<{ doc: Y.Doc; provider: { destroy(): void } }>(block, ['doc', 'provider'], [['ws://127.0.0.1:4444', relay.url]]);
    const other = new Y.Doc();
    const peer = new PeerclassProvider('class-42', other, {
      signaling: relay.url, secret: 'class secret from the join link',
      rtc: nodeRtc, WebSocket: NodeWebSocket,
    });
    try {
      await waitUntil(() => other.getText('notes').toString() === 'hello class', 'the example document reaches another peer', 20_000);
      other.getText('notes').insert(0, '> ');
      await waitUntil(() => example.doc.getText('notes').toString() === '> hello class', 'and back');
    } finally {
      peer.destroy();
      example.provider.destroy();
      delete globals.RTCPeerConnection;
      delete globals.WebSocket;
      await relay.close();
    }
  });
});
