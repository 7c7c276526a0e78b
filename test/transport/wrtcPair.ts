import type { Link } from '../../src/sync/link.js';
import { PeerConnection } from '../../src/transport/peerConnection.js';
import { nodeRtc } from '../helpers/nodeWebRtc.js';

/** Test helper: two @roamhq/wrtc PeerConnections in one process, signals passed directly (asynchronously). */
export const rtc = nodeRtc;

export interface Pair { a: PeerConnection; b: PeerConnection; linkA: Promise<Link>; linkB: Promise<Link>; logs: string[] }

const open: PeerConnection[] = [];
/** Remembers a connection so {@link closeAllPairs} closes it. */
export function track(pc: PeerConnection): void { open.push(pc); }
/** Closes every connection made by {@link connectPair} or passed to {@link track}. */
export function closeAllPairs(): void {
  for (const pc of open.splice(0)) pc.close();
}

/**
 * Two connections wired to each other through an async "signaling" that delays every signal by a few
 * milliseconds. Candidates may overtake each other and the description before them; descriptions keep their
 * order per direction, as they do over the relay's single socket.
 */
export function connectPair(idA = 'peer-a', idB = 'peer-b'): Pair {
  const logs: string[] = [];
  let a!: PeerConnection; let b!: PeerConnection;
  // Per direction, descriptions go through a chain so they arrive in send order (as over one relay socket);
  // candidates take independent random delays and may overtake each other and descriptions.
  const tails = { a: Promise.resolve(), b: Promise.resolve() };
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const deliver = (to: () => PeerConnection, from: 'a' | 'b', data: unknown): void => {
    const copy: unknown = JSON.parse(JSON.stringify(data));
    const isDescription = typeof data === 'object' && data !== null && 'description' in data;
    if (isDescription) {
      tails[from] = tails[from].then(() => sleep(Math.random() * 8)).then(() => { void to().handleSignal(copy); });
    } else {
      setTimeout(() => { void to().handleSignal(copy); }, Math.random() * 8);
    }
  };
  a = new PeerConnection({ localId: idA, remoteId: idB, rtc, sendSignal: (d) => deliver(() => b, 'a', d), log: (r) => logs.push(`a: ${r}`) });
  b = new PeerConnection({ localId: idB, remoteId: idA, rtc, sendSignal: (d) => deliver(() => a, 'b', d), log: (r) => logs.push(`b: ${r}`) });
  open.push(a, b);
  const linkOf = (pc: PeerConnection) => new Promise<Link>((resolve) => {
    if (pc.link !== null) resolve(pc.link); else pc.on('link', resolve);
  });
  return { a, b, linkA: linkOf(a), linkB: linkOf(b), logs };
}

export function collect(link: Link): Uint8Array[] {
  const got: Uint8Array[] = [];
  link.onMessage((m) => got.push(m));
  return got;
}

