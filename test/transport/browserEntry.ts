// Browser side of browser.test.ts: the transport layer running on Chromium's own WebRTC and WebSocket.
import { matchesPattern, patternBytes, startMeshPeer, type MeshPeer } from './meshPeer.js';
import type { RtcImplementation } from '../../src/transport/peerConnection.js';

const api = {
  peer: null as MeshPeer | null,
  start(url: string, roomId: string, secret: string, peerId: string): void {
    api.peer = startMeshPeer({ url, roomId, secret, peerId, rtc: window as unknown as RtcImplementation });
  },
  linked(): string[] { return [...(api.peer?.links.keys() ?? [])].sort(); },
  sendPattern(to: string, length: number, seed: number): boolean {
    const link = api.peer?.links.get(to);
    if (link === undefined) return false;
    link.send(patternBytes(length, seed));
    return true;
  },
  receivedOk(from: string, length: number, seed: number): boolean {
    return (api.peer?.received.get(from) ?? []).some((m) => matchesPattern(m, length, seed));
  },
  restartIce(to: string): string {
    const pc = api.peer?.connections.get(to);
    if (pc === undefined) return 'none';
    pc.pc.restartIce();
    return /a=ice-ufrag:(\S+)/.exec(pc.pc.localDescription?.sdp ?? '')?.[1] ?? '';
  },
  ufrags(to: string): string {
    const pc = api.peer?.connections.get(to)?.pc;
    if (pc === undefined) return '';
    const u = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '';
    return `${pc.signalingState} ${u(pc.localDescription?.sdp)} ${u(pc.remoteDescription?.sdp)}`;
  },
  describe(): string { return api.peer?.describe() ?? 'not started'; },
  errors(): string[] { return (api.peer?.errors ?? []).map((e) => e.code); },
};
(window as unknown as { peerTransport: typeof api }).peerTransport = api;
