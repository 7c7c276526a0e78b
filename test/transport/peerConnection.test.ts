import { afterEach, describe, expect, it } from 'vitest';
import { PeerConnection, validatePeerSignal } from '../../src/transport/peerConnection.js';
import { waitUntil } from '../helpers/processes.js';
import { closeAllPairs, collect, connectPair, rtc, track } from './wrtcPair.js';

afterEach(() => { closeAllPairs(); });

describe('PeerConnection (two @roamhq/wrtc peers, perfect negotiation)', () => {
  it('decides politeness by id order', () => {
    const { a, b } = connectPair('m', 'z');
    expect(a.polite).toBe(false);
    expect(b.polite).toBe(true);
  });

  it('opens the link on both sides and carries 1000 small messages in order', async () => {
    const { linkA, linkB } = connectPair();
    const [la, lb] = await Promise.all([linkA, linkB]);
    expect(la.remoteId).toBe('peer-b');
    expect(lb.remoteId).toBe('peer-a');
    const gotB = collect(lb);
    const gotA = collect(la);
    for (let i = 0; i < 1000; i++) la.send(new TextEncoder().encode(`m${i}`));
    lb.send(new Uint8Array([0, 42]));
    await waitUntil(() => gotB.length === 1000 && gotA.length === 1, '1000 messages');
    expect(gotB.map((m) => new TextDecoder().decode(m))).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(Array.from(gotA[0]!)).toEqual([0, 42]);
  });

  it('delivers a 2 MiB message whole and identical, interleaved with small ones', async () => {
    const { linkA, linkB } = connectPair();
    const [la, lb] = await Promise.all([linkA, linkB]);
    const got = collect(lb);
    const big = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    big[0] = 0;
    la.send(new Uint8Array([1, 1]));
    la.send(big);
    la.send(new Uint8Array([1, 2]));
    await waitUntil(() => got.length === 3, 'big message', 30_000);
    expect(Array.from(got[0]!)).toEqual([1, 1]);
    expect(got[1]!.length).toBe(big.length);
    expect(Buffer.from(got[1]!).equals(Buffer.from(big))).toBe(true);
    expect(Array.from(got[2]!)).toEqual([1, 2]);
  });

  it('survives simultaneous renegotiation from both sides (no deadlock)', async () => {
    const { a, b, linkA, linkB, logs } = connectPair();
    const [la, lb] = await Promise.all([linkA, linkB]);
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const negotiatedUfrags = () => {
      const local = [ufrag(a.pc.localDescription?.sdp), ufrag(b.pc.localDescription?.sdp)];
      const remote = [ufrag(b.pc.remoteDescription?.sdp), ufrag(a.pc.remoteDescription?.sdp)];
      return a.pc.signalingState === 'stable' && b.pc.signalingState === 'stable'
        && local[0] === remote[0] && local[1] === remote[1] ? local : null;
    };
    let previous = negotiatedUfrags();
    expect(previous).not.toBeNull();
    // Both sides start an ICE restart at the same instant: each makes an offer, the offers collide.
    for (let round = 0; round < 3; round++) {
      a.pc.restartIce();
      b.pc.restartIce();
      try {
        await waitUntil(
          () => { const now = negotiatedUfrags(); return now !== null && now[0] !== previous![0] && now[1] !== previous![1]; },
          `both sides stable with new ICE credentials after colliding offers (round ${round})`,
        );
      } catch (error) {
        const ufrags = [a.pc.localDescription, a.pc.remoteDescription, b.pc.localDescription, b.pc.remoteDescription].map((d) => ufrag(d?.sdp));
        throw new Error(`${String(error)}: a=${a.pc.signalingState} b=${b.pc.signalingState} previous=${String(previous)} aL,aR,bL,bR=${ufrags.join(',')}\n${logs.join('\n')}`);
      }
      previous = negotiatedUfrags();
    }
    // A new (non-negotiated) channel from each side still reaches the other: the SCTP association works.
    const seen: string[] = [];
    a.pc.addEventListener('datachannel', (e) => seen.push(`a:${e.channel.label}`));
    b.pc.addEventListener('datachannel', (e) => seen.push(`b:${e.channel.label}`));
    a.pc.createDataChannel('from-a');
    b.pc.createDataChannel('from-b');
    await waitUntil(() => seen.length === 2, 'in-band data channels');
    expect(seen.sort()).toEqual(['a:from-b', 'b:from-a']);
    expect(a.closed || b.closed).toBe(false);
    // The original link still works in both directions after the renegotiations.
    const gotA = collect(la); const gotB = collect(lb);
    la.send(new Uint8Array([0, 1])); lb.send(new Uint8Array([0, 2]));
    await waitUntil(() => gotA.length === 1 && gotB.length === 1, 'messages after renegotiation');
    expect(Array.from(gotB[0]!)).toEqual([0, 1]);
    expect(Array.from(gotA[0]!)).toEqual([0, 2]);
  });

  it('close on one side fires the other side\'s link onClose and closed event', async () => {
    const { a, b, linkA, linkB } = connectPair();
    const [, lb] = await Promise.all([linkA, linkB]);
    let linkClosed = 0; let bClosed = 0;
    lb.onClose(() => { linkClosed++; });
    b.on('closed', () => { bClosed++; });
    a.close();
    expect(a.closed).toBe(true);
    expect(a.link).toBeNull();
    await waitUntil(() => linkClosed === 1 && bClosed === 1, 'remote close');
    // Sending on a closed link is a silent no-op.
    lb.send(new Uint8Array([0]));
    expect(b.link).toBeNull();
  });

  it('ignores malformed signals with a reason and keeps working', async () => {
    const { a, linkA, linkB, logs } = connectPair();
    await Promise.all([linkA, linkB]);
    for (const bad of [null, 42, 'x', {}, { description: { type: 'offer' } }, { description: { type: 'rollback', sdp: 'x' } }, { candidate: 7 }, { candidate: { candidate: 5 } }]) {
      await a.handleSignal(bad);
    }
    expect(logs.filter((l) => l.startsWith('a: ignored signal')).length).toBe(8);
    expect(validatePeerSignal({ candidate: null })).toBeNull();
    expect(a.closed).toBe(false);
    expect(a.link).not.toBeNull();
  });

  it('refuses to connect a peer to itself with a typed error', () => {
    expect(() => new PeerConnection({ localId: 'x', remoteId: 'x', rtc, sendSignal: () => {} })).toThrow(expect.objectContaining({ code: 'self-connection' }) as Error);
  });

  it('gives up after the connect timeout when the other side never answers', async () => {
    const pc = new PeerConnection({ localId: 'x', remoteId: 'y', rtc, sendSignal: () => {}, connectTimeoutMs: 300 });
    track(pc);
    let closed = false;
    pc.on('closed', () => { closed = true; });
    await waitUntil(() => closed, 'timeout close', 5000);
    expect(pc.link).toBeNull();
  });
});

describe('PeerConnection sessions', () => {
  it('a remote peer that starts over is recognised and gets a fresh connection; old-session signals are ignored', async () => {
    const pair = connectPair('peer-a', 'peer-b');
    await Promise.all([pair.linkA, pair.linkB]);
    expect(pair.b.remoteSession).toBe(pair.a.session);
    expect(pair.a.remoteSession).toBe(pair.b.session);

    // Peer A starts over with a new connection while B's old one is still up (A's old one is left dangling,
    // as if its process had lost it). B's signal handler follows the documented replacement rule.
    const logs: string[] = [];
    let b = pair.b;
    let replaced = 0;
    const routeToB = (data: unknown): void => {
      if (b.isFromNewRemoteSession(data)) {
        b.close();
        replaced++;
        b = new PeerConnection({ localId: 'peer-b', remoteId: 'peer-a', rtc, sendSignal: (d) => setTimeout(() => { void a2.handleSignal(d); }, 2), log: (r) => logs.push(`b2: ${r}`) });
        track(b);
      }
      void b.handleSignal(data);
    };
    const a2: PeerConnection = new PeerConnection({ localId: 'peer-a', remoteId: 'peer-b', rtc, sendSignal: (d) => setTimeout(() => routeToB(d), 2), log: (r) => logs.push(`a2: ${r}`) });
    track(a2);
    expect(a2.session).not.toBe(pair.a.session);
    await waitUntil(() => a2.link !== null && b.link !== null, `new link after restart; log:\n${logs.join('\n')}`);
    expect(replaced).toBe(1);
    expect(b.remoteSession).toBe(a2.session);

    // A late signal from A's old connection must not disturb the new one.
    await b.handleSignal({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' }, session: pair.a.session });
    expect(logs.some((l) => l.includes('ignored signal from another connection'))).toBe(true);
    const got = collect(b.link!);
    a2.link!.send(new Uint8Array([0, 5]));
    await waitUntil(() => got.length === 1, 'message on the new link');
    expect(Array.from(got[0]!)).toEqual([0, 5]);
  });
});

describe('PeerConnection close through the link', () => {
  it('closing the link closes both connections', async () => {
    const { a, b, linkA, linkB } = connectPair('peer-a', 'peer-b');
    const [la, lb] = await Promise.all([linkA, linkB]);
    let remoteLinkClosed = false;
    lb.onClose(() => { remoteLinkClosed = true; });
    la.close();
    await waitUntil(() => a.closed && b.closed && remoteLinkClosed, 'both connections closed after the link closed');
    expect(a.link).toBeNull();
    expect(b.link).toBeNull();
  });
});
