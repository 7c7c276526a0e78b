import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PresenceBoard } from '../../src/classroom/presenceBoard.js';
import { decodePresence, PRESENCE_FIELD } from '../../src/protocol/presence.js';
import { FAKED_TIMERS, makeSignedCluster, settleSigned, type SignedCluster } from '../sync/signedCluster.js';

beforeEach(() => { vi.useFakeTimers(FAKED_TIMERS); });
let cluster: SignedCluster | null = null;
afterEach(() => { cluster?.destroy(); cluster = null; vi.useRealTimers(); });

const presence = (peerId: string, name: string) => ({ peerId, name, role: 'student' as const, hand: null, screen: null, sfu: null });

describe('presence speaks only for its sender', () => {
  it('a state naming another peer (e.g. the teacher, to announce forged lecture feeds) is ignored; honest ones count', async () => {
    const c = cluster = await makeSignedCluster(3);
    c.connect(0, 1);
    c.connect(1, 2);
    const [victim, observer, forger] = c.peers as [typeof c.peers[0], typeof c.peers[0], typeof c.peers[0]];
    victim.engine.awareness.setLocalStateField(PRESENCE_FIELD, { ...presence(victim.engine.peerId, 'teacher'), role: 'teacher' });
    // The forger's own awareness state claims to be the victim, with SFU feeds of its own choosing.
    forger.engine.awareness.setLocalStateField(PRESENCE_FIELD, {
      ...presence(victim.engine.peerId, 'teacher'), role: 'teacher', sfu: { url: 'ws://evil.example', room: 7, feed: 666, screenFeed: null },
    });
    await settleSigned(c);
    // The engine knows who sent which awareness client.
    expect(observer.engine.awarenessOrigin(forger.engine.awareness.clientID)).toBe(forger.engine.peerId);
    expect(observer.engine.awarenessOrigin(victim.engine.awareness.clientID)).toBe(victim.engine.peerId);
    expect(observer.engine.awareness.getStates().size).toBe(3);

    const board = new PresenceBoard(observer.engine.awareness, presence(observer.engine.peerId, 'me'), {
      onChange: () => {}, onGone: () => {},
      originOf: (clientId) => clientId === observer.engine.awareness.clientID ? observer.engine.peerId : observer.engine.awarenessOrigin(clientId),
    });
    expect(board.of(victim.engine.peerId)?.sfu).toBeNull();
    expect(board.of(victim.engine.peerId)?.role).toBe('teacher');
    expect([...board.all().keys()].sort()).toEqual([victim.engine.peerId, observer.engine.peerId].sort());
    expect(board.present(forger.engine.peerId)).toBe(false);

    // Without the origin check the victim would have two presences, one with the forged feeds.
    const claims = [...observer.engine.awareness.getStates().values()].map((st) => decodePresence(st)).filter((p) => p?.peerId === victim.engine.peerId);
    expect(claims.map((p) => p?.sfu?.feed ?? null).sort()).toEqual([666, null]);
    board.close();
  });
});
