import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { startJanus, type JanusServer } from '../../harness/janus.js';
import {
  JanusSession, SfuError, SfuPublisher, VideoRoomHandle, SFU_BAD_REPLY, SFU_CLOSED, SFU_TIMEOUT, VIDEOROOM_MISSING_ELEMENT, VIDEOROOM_UNAUTHORIZED,
  ensureRoom, feedsOf, kickParticipant, sfuAdminSecret, sfuRoomFor, type VideoRoomData,
} from '../../src/media/sfu/index.js';
import { createTeacherIdentity, exportTeacherIdentity, importTeacherIdentity } from '../../src/authority/identity.js';
import { waitUntil } from '../helpers/processes.js';

let janus: JanusServer;
const sessions: JanusSession[] = [];
beforeAll(async () => { janus = await startJanus(); });
afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  await janus?.stop();
});

async function connect(extra: { keepaliveMs?: number; timeoutMs?: number } = {}): Promise<JanusSession> {
  const session = await JanusSession.connect({ url: janus.url, WebSocket, ...extra });
  sessions.push(session);
  return session;
}
const rejection = async (p: Promise<unknown>): Promise<SfuError> => {
  try { await p; } catch (err) { if (err instanceof SfuError) return err; throw err; }
  throw new Error('expected an SfuError, got success');
};
let nextRoom = 1000;

describe('Janus (real, on loopback) through the typed client', () => {
  it('starts with its API on loopback only, with just VideoRoom and the WebSocket transport', () => {
    expect(janus.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(janus.log()).toContain("Loading plugin 'libjanus_videoroom.so'");
    expect(janus.log()).not.toContain("Loading plugin 'libjanus_streaming.so'");
    expect(janus.log()).not.toContain("Loading transport plugin 'libjanus_http.so'");
    // ICE on one address only (Janus never gathers on loopback: see harness/janus.ts).
    expect(janus.log()).toContain(`Adding '${janus.iceAddress}' to the ICE enforce list`);
  });

  it('keeps a session alive past Janus session_timeout with keepalives, and a closed socket rejects what is pending', async () => {
    const short = await startJanus({ sessionTimeoutSeconds: 2 });
    try {
      const kept = await JanusSession.connect({ url: short.url, WebSocket, keepaliveMs: 500 });
      const idle = await JanusSession.connect({ url: short.url, WebSocket, keepaliveMs: 60_000 });
      let idleClosed = '';
      idle.on('closed', (reason) => { idleClosed = reason; });
      await new Promise((r) => setTimeout(r, 4500));
      // The idle session was timed out by Janus (it sends `timeout`); the kept one still works.
      await waitUntil(() => idleClosed !== '', 'the idle session to be timed out', 5000);
      expect(idleClosed).toBe('session timed out');
      const handle = await kept.attachVideoRoom();
      expect(handle.id).toBeGreaterThan(0);
      // A request in flight when Janus goes away rejects with SFU_CLOSED instead of hanging (a keepalive is only
      // ever acked, so waiting for its `event` keeps it pending until the socket closes).
      const pending = rejection(kept.send({ janus: 'keepalive' }, 'event'));
      await short.stop();
      expect((await pending).code).toBe(SFU_CLOSED);
      await waitUntil(() => kept.closedReason !== undefined, 'the session to notice the closed socket', 5000);
      expect((await rejection(kept.attachVideoRoom())).code).toBe(SFU_CLOSED);
      expect(handle.detached).toBe(true);
    } finally {
      await short.stop();
    }
  });

  it('creates a room with a pin, accepts it again, and refuses a wrong or missing pin (433/429)', async () => {
    const teacher = await (await connect()).attachVideoRoom();
    const room = { room: nextRoom++, pin: 'right-pin', secret: 'admin' };
    expect(await ensureRoom(teacher, room)).toEqual({ created: true });
    expect(await ensureRoom(teacher, room)).toEqual({ created: false });
    const student = await connect();
    const wrong = await rejection(SfuPublisher.publish({ session: student, room: room.room, pin: 'guessed', feedId: 7, display: 's', tracks: [], simulcast: false }));
    expect(wrong.code).toBe(VIDEOROOM_UNAUTHORIZED);
    expect(wrong.reason).toMatch(/wrong pin/i);
    const missing = await rejection(student.attachVideoRoom().then((h) => h.message({ request: 'join', ptype: 'subscriber', room: room.room, streams: [{ feed: 1 }] })));
    expect(missing.code).toBe(VIDEOROOM_MISSING_ELEMENT);
    expect(missing.reason).toMatch(/pin/);
    // With the right pin the same student gets in and is listed.
    const ok = await SfuPublisher.publish({ session: student, room: room.room, pin: room.pin, feedId: 7, display: 's', tracks: [], simulcast: false });
    const list = await teacher.request({ request: 'listparticipants', room: room.room });
    expect((list.participants as Array<{ id: number }>).map((p) => p.id)).toEqual([7]);
    expect(ok.privateId).toBeTypeOf('number');
    // A Janus-level error (not the plugin's) is an SfuError too.
    expect((await rejection(teacher.request({ request: 'destroy', room: room.room, secret: 'not-it' }))).code).toBe(VIDEOROOM_UNAUTHORIZED);
  });

  it('derives a room number and pin per class (deterministic, < 2^53) that only opens the right room', async () => {
    const a1 = await sfuRoomFor('class-a', 'secret-1');
    expect(await sfuRoomFor('class-a', 'secret-1')).toEqual(a1);
    const b1 = await sfuRoomFor('class-b', 'secret-1');
    const a2 = await sfuRoomFor('class-a', 'secret-2');
    expect(b1.room).not.toBe(a1.room);
    expect(b1.pin).not.toBe(a1.pin);
    expect(a2.room).toBe(a1.room); // the room comes from the class id alone…
    expect(a2.pin).not.toBe(a1.pin); // …the pin from the secret
    for (const r of [a1, b1]) {
      expect(Number.isSafeInteger(r.room) && r.room > 0).toBe(true);
      expect(r.pin).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    const identity = await createTeacherIdentity();
    const admin = await sfuAdminSecret(identity, 'class-a');
    expect(admin.derived).toBe(true);
    // The same teacher after a reload (exported and imported identity) gets the same secret; another class another.
    expect(await sfuAdminSecret(await importTeacherIdentity(await exportTeacherIdentity(identity)), 'class-a')).toEqual(admin);
    expect((await sfuAdminSecret(identity, 'class-b')).secret).not.toBe(admin.secret);
    const fixed = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const fallback = await sfuAdminSecret(fixed, 'class-a');
    expect(fallback.derived).toBe(false);
    expect(fallback.secret).not.toBe((await sfuAdminSecret(fixed, 'class-a')).secret);

    // Real Janus: the derived pin of class-a does not open class-a created with secret-2's pin.
    const teacher = await (await connect()).attachVideoRoom();
    await ensureRoom(teacher, { ...a2, secret: admin.secret });
    const err = await rejection(SfuPublisher.publish({ session: await connect(), ...a1, feedId: 1, display: 'x', tracks: [], simulcast: false }));
    expect(err.code).toBe(VIDEOROOM_UNAUTHORIZED);
    await teacher.request({ request: 'destroy', room: a2.room, secret: admin.secret });
  });

  it('kick: the kicked participant is told and removed; kicking needs the room secret', async () => {
    const teacher = await (await connect()).attachVideoRoom();
    const room = { room: nextRoom++, pin: 'p', secret: 'admin' };
    await ensureRoom(teacher, room);
    const studentSession = await connect();
    const student = await SfuPublisher.publish({ session: studentSession, room: room.room, pin: room.pin, feedId: 21, display: 'sam', tracks: [], simulcast: false });
    const events: VideoRoomData[] = [];
    student.handle.on('event', (data) => events.push(data));
    expect((await rejection(kickParticipant(teacher, room.room, 'wrong', 21))).code).toBe(VIDEOROOM_UNAUTHORIZED);
    await kickParticipant(teacher, room.room, room.secret, 21);
    await waitUntil(() => events.some((e) => e.leaving === 'ok' && e.reason === 'kicked'), 'the kicked student to get leaving/kicked', 5000);
    const list = await teacher.request({ request: 'listparticipants', room: room.room });
    expect(list.participants).toEqual([]);
    // Kicked means out for good: the same handle cannot come back (Janus marks it kicked).
    const again = await rejection(student.handle.message({ request: 'join', ptype: 'publisher', room: room.room, pin: room.pin, id: 21 }));
    expect(again.code).toBeGreaterThan(0);
    expect(feedsOf({ videoroom: 'event', publishers: [{ id: 3, display: 'd', streams: [{ mid: '0', type: 'video', description: 'camera' }, 'junk'] }, null, { id: 'x' }] }))
      .toEqual([{ feedId: 3, display: 'd', streams: [{ mid: '0', type: 'video', description: 'camera', disabled: false }] }]);
  });

  it('survives malformed and hostile replies: ignores junk, rejects with SfuError, never throws', async () => {
    // Not Janus: a WebSocket server that answers like a broken or hostile one would.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (socket) => {
      socket.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { janus: string; transaction: string; body?: { request?: string } };
        const tx = msg.transaction;
        for (const junk of ['not json', '[]', 'null', '42', '{"janus":5}', JSON.stringify({ janus: 'success', transaction: { tx } }),
          JSON.stringify({ janus: 'event', sender: 'x' }), JSON.stringify({ janus: 'media', sender: 123, type: 7 })]) socket.send(junk);
        if (msg.janus === 'create') socket.send(JSON.stringify({ janus: 'success', transaction: tx, data: { id: 55 } }));
        else if (msg.janus === 'attach') socket.send(JSON.stringify({ janus: 'success', transaction: tx, data: { id: 2 ** 60 } }));
        else if (msg.body?.request === 'exists') socket.send(JSON.stringify({ janus: 'success', transaction: tx, plugindata: { data: 'nope' } }));
        else if (msg.body?.request === 'kick') socket.send(JSON.stringify({ janus: 'error', transaction: tx, error: { code: 'x' } }));
        // anything else: silence (the client must time out)
      });
    });
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const session = await JanusSession.connect({ url, WebSocket, timeoutMs: 800 });
      expect(session.id).toBe(55);
      // A handle id beyond 2^53 cannot be represented exactly: refused, not silently rounded.
      expect((await rejection(session.attachVideoRoom())).reason).toMatch(/no handle id/);
      const handle = new VideoRoomHandle(session, 1);
      expect((await rejection(handle.request({ request: 'kick' }))).reason).toBe('unknown error');
      expect((await rejection(handle.request({ request: 'exists' }))).code).toBe(SFU_BAD_REPLY);
      expect((await rejection(session.send({ janus: 'message', handle_id: 1, body: { request: 'whatever' } }, 'event'))).code).toBe(SFU_TIMEOUT);
      await session.close();
      expect((await rejection(session.attachVideoRoom())).code).toBe(SFU_CLOSED);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
