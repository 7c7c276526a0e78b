// Test peer shared by Node and browser tests: signaling client + one PeerConnection per announced peer.
import type { Link } from '../../src/sync/link.js';
import { PeerConnection, type RtcImplementation } from '../../src/transport/peerConnection.js';
import { SignalingClient, type SignalingError, type WebSocketConstructorLike } from '../../src/transport/signalingClient.js';

export interface MeshPeer {
  /** Connection and signaling state per remote peer, plus transport log lines (for failure messages). */
  describe(): string;
  readonly links: Map<string, Link>;
  readonly received: Map<string, Uint8Array[]>;
  readonly errors: SignalingError[];
  readonly client: SignalingClient;
  readonly connections: Map<string, PeerConnection>;
  destroy(): void;
}

export function startMeshPeer(options: { url: string; roomId: string; secret: string; peerId: string; rtc: RtcImplementation; WebSocket?: WebSocketConstructorLike }): MeshPeer {
  const links = new Map<string, Link>();
  const received = new Map<string, Uint8Array[]>();
  const errors: SignalingError[] = [];
  const connections = new Map<string, PeerConnection>();
  const log: string[] = [];
  const clientOptions: ConstructorParameters<typeof SignalingClient>[0] = {
    url: options.url, roomId: options.roomId, secret: options.secret, peerId: options.peerId, reconnect: { minMs: 50, maxMs: 500 },
  };
  if (options.WebSocket !== undefined) clientOptions.WebSocket = options.WebSocket;
  const client = new SignalingClient(clientOptions);
  const ensure = (other: string): PeerConnection => {
    let pc = connections.get(other);
    if (pc === undefined) {
      const created: PeerConnection = new PeerConnection({
        localId: options.peerId, remoteId: other, rtc: options.rtc, sendSignal: (d) => {
          log.push(`${Math.round(performance.now())} → ${other} ${'description' in d ? d.description.type : 'hello' in d ? 'hello' : d.candidate === null ? 'end-of-candidates' : 'candidate'}`);
          client.publishSignal(other, d);
        },
        log: (reason) => log.push(`${Math.round(performance.now())} ${reason}`),
      });
      pc = created;
      const stamp = (): number => Math.round(performance.now());
      created.on('state', (state) => log.push(`${stamp()} ${other}: ${state} (ice ${created.pc.iceConnectionState}, gathering ${created.pc.iceGatheringState})`));
      connections.set(other, pc);
      // As a provider would: forget a closed connection so the next announce or offer starts a new one.
      pc.on('closed', () => {
        log.push(`${Math.round(performance.now())} closed connection to ${other}`);
        if (connections.get(other) === created) connections.delete(other);
        if (links.get(other) === created.link) links.delete(other);
      });
      pc.on('link', (link) => {
        links.set(other, link);
        const list: Uint8Array[] = [];
        received.set(other, list);
        link.onMessage((m) => list.push(m));
      });
    }
    return pc;
  };
  client.on('announce', (from) => { ensure(from); });
  client.on('signal', (from, data) => {
    const d = data as { description?: { type?: string }; candidate?: unknown; hello?: unknown };
    log.push(`${Math.round(performance.now())} ← ${from} ${d.description?.type ?? (d.hello === true ? 'hello' : d.candidate === null ? 'end-of-candidates' : 'candidate')}`);
    const existing = connections.get(from);
    if (existing?.isFromNewRemoteSession(data)) existing.close();
    void ensure(from).handleSignal(data);
  });
  client.on('error', (e) => errors.push(e));
  client.connect();
  return {
    links, received, errors, client, connections,
    describe() {
      const states = [...connections].map(([id, pc]) => `${id}: ${pc.pc.connectionState}/${pc.pc.signalingState}/${pc.pc.iceConnectionState} link=${pc.link !== null}`);
      return `${options.peerId} [${client.status}] ${states.join('; ')}\n  ${log.join('\n  ')}`;
    },
    destroy() {
      for (const pc of connections.values()) pc.close();
      client.destroy();
    },
  };
}

/** Deterministic test bytes, so two realms can check a large message without shipping it back. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  out[0] = 0; // a sync-like message type, not the chunk type
  return out;
}

export function matchesPattern(bytes: Uint8Array, length: number, seed: number): boolean {
  if (bytes.length !== length || bytes[0] !== 0) return false;
  for (let i = 1; i < length; i++) if (bytes[i] !== ((i * 31 + seed) & 0xff)) return false;
  return true;
}
