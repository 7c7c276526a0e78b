// Browser entry for bench:sync — one peerclass provider per page, signed (a fresh identity) or unsigned, exposed on
// window with the same surface as test/fixtures/peerclassPage.ts so one run measures both modes alike.
import * as Y from 'yjs';
import { createPeerIdentity } from '../../src/identity/index.js';
import { PeerclassProvider } from '../../src/provider/index.js';
import { installDataChannelCounter, watchMarkers } from '../fixtures/dataChannelCounter.js';

interface BenchPeerclassPage {
  doc: Y.Doc;
  provider: PeerclassProvider;
  signed: boolean;
  connectedPeers(): number;
  markers: Map<string, number>;
  edit(k: number): number;
  setCursor(x: number): void;
  hideAwareness(): void;
  /** Messages the engine refused (a healthy signed run has none). */
  failures: number;
}
declare global {
  interface Window {
    startBenchPeerclass(url: string, room: string, secret: string, signed: boolean): Promise<void>;
    benchPeerclass: BenchPeerclassPage;
  }
}

installDataChannelCounter();
window.startBenchPeerclass = async (url, room, secret, signed) => {
  const doc = new Y.Doc();
  const identity = signed ? await createPeerIdentity() : undefined;
  const provider = new PeerclassProvider(room, doc, { signaling: url, secret, ...(identity ? { identity } : {}) });
  const text = doc.getText('t');
  const page: BenchPeerclassPage = {
    doc, provider, signed,
    connectedPeers: () => [...provider.connections().values()].filter((c) => c.link !== null).length,
    markers: watchMarkers(text),
    edit(k) { const t = performance.timeOrigin + performance.now(); text.insert(text.length, `e${k};`); return t; },
    setCursor: (x) => provider.awareness.setLocalState({ cursor: { x, y: 0 } }),
    // A null local state is never renewed, so periodic awareness renewals do not pollute message counts.
    hideAwareness: () => provider.awareness.setLocalState(null),
    failures: 0,
  };
  provider.on('auth-failure', () => { page.failures++; });
  window.benchPeerclass = page;
};
