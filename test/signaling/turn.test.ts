import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wrtc from '@roamhq/wrtc';
import { startRelay, turnCredentials, type Relay } from '../../signaling/index.js';
import type { IceServerConfig } from '../../src/protocol/signaling.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';
import { connectClient, type TestClient } from './wsClient.js';

let coturn: Coturn;
let relay: Relay;
beforeAll(async () => {
  coturn = await startCoturn('coturn-shared-secret');
  relay = await startRelay({
    port: 0, logLevel: 'silent', processMetrics: false,
    iceServers: [{ urls: 'stun:127.0.0.1:' + coturn.port }, { urls: `turn:127.0.0.1:${coturn.port}?transport=udp` }],
    turnSecret: coturn.secret, turnTtlSeconds: 600,
  });
});
afterAll(async () => { await relay?.close(); await coturn?.stop(); });

/** Gathers relay candidates only; resolves with the candidate types seen (empty when TURN refused the credentials). */
async function gatherRelayCandidates(iceServers: IceServerConfig[]): Promise<string[]> {
  const pc = new wrtc.RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
  const types: string[] = [];
  pc.createDataChannel('probe');
  const done = new Promise<void>((resolve) => {
    pc.onicecandidate = (e) => { if (e.candidate === null) resolve(); else types.push(/ typ (\w+)/.exec(e.candidate.candidate)?.[1] ?? '?'); };
    setTimeout(resolve, 8000);
  });
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  pc.close();
  return types;
}

describe('ICE servers and TURN REST credentials', () => {
  it('sends time-limited TURN credentials on connect and at GET /ice-servers', async () => {
    const before = Math.floor(Date.now() / 1000);
    const c: TestClient = await connectClient(relay.url);
    const message = await c.next((m) => m.type === 'ice-servers');
    c.close();
    const servers = message.iceServers as IceServerConfig[];
    expect(servers[0]).toEqual({ urls: 'stun:127.0.0.1:' + coturn.port });
    const turn = servers[1]!;
    const [expiry, id] = turn.username!.split(':');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(before + 602);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(turn.credential).toBe(turnCredentials(coturn.secret, id!, 600, (Number(expiry) - 600) * 1000).credential);
    const http = await (await fetch(relay.httpUrl + '/ice-servers')).json() as { iceServers: IceServerConfig[] };
    expect(http.iceServers[1]!.username).toMatch(/^\d+:/);
    expect(http.iceServers[1]!.username).not.toBe(turn.username);
  });

  it('real coturn accepts the issued credentials and two peers connect through it with iceTransportPolicy "relay"', async () => {
    const { iceServers } = await (await fetch(relay.httpUrl + '/ice-servers')).json() as { iceServers: IceServerConfig[] };
    const config = { iceServers, iceTransportPolicy: 'relay' as const };
    const a = new wrtc.RTCPeerConnection(config);
    const b = new wrtc.RTCPeerConnection(config);
    try {
      a.onicecandidate = (e) => { if (e.candidate) void b.addIceCandidate(e.candidate); };
      b.onicecandidate = (e) => { if (e.candidate) void a.addIceCandidate(e.candidate); };
      const channel = a.createDataChannel('x');
      const received = new Promise<string>((resolve) => {
        b.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(String(m.data)); };
      });
      channel.onopen = () => channel.send('through turn');
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);
      const result = await Promise.race([received, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no connection through TURN')), 15000))]);
      expect(result).toBe('through turn');
      const stats = await a.getStats();
      const localTypes = [...stats.values()].filter((s) => s.type === 'local-candidate').map((s) => s.candidateType as string);
      expect(localTypes.length).toBeGreaterThan(0);
      expect(localTypes.every((t) => t === 'relay')).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  it('coturn refuses credentials made with a different secret (so the test above could fail)', async () => {
    const good = await gatherRelayCandidates([{ urls: `turn:127.0.0.1:${coturn.port}?transport=udp`, ...turnCredentials(coturn.secret, 'u', 600) }]);
    expect(good).toContain('relay');
    const bad = await gatherRelayCandidates([{ urls: `turn:127.0.0.1:${coturn.port}?transport=udp`, ...turnCredentials('wrong-secret', 'u', 600) }]);
    expect(bad).toEqual([]);
  });
});
