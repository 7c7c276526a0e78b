// Browser entry for the network lab: one Classroom per page (data only, no camera), exposed as window.lab.
import { providerOf } from '../providerOf.js';
import { Classroom, chatType, createTeacherIdentity, whiteboardType, type TeacherIdentity } from '../../src/index.js';

export interface LabStartOptions {
  url: string; classId: string; secret: string; teacherKey: string; name: string; peerId: string; teacher?: boolean;
}

/** One end of a selected ICE candidate pair, from getStats. */
export interface CandidateInfo {
  type: string;
  address: string;
  port: number;
  protocol: string;
  /** For relay candidates: how this peer reaches the TURN server (udp / tcp / tls). */
  relayProtocol?: string;
}

export interface SelectedPair { peerId: string; state: string; local: CandidateInfo; remote: CandidateInfo }

export interface LabPage {
  classroom: Classroom;
  /** Classroom status events (signaling, reachable peers), with ms timestamps. */
  statusLog: Array<{ signaling: string; peers: number; at: number }>;
  /** navigator.onLine changes, with ms timestamps. */
  onlineLog: Array<{ online: boolean; at: number }>;
  /** When the doc first held at least `strokes` board elements and `chats` chat messages (Date.now()), or null. */
  reachedAt: number | null;
  /** Starts watching for {@link reachedAt}. */
  watch(strokes: number, chats: number): void;
  /** Connection state changes per peer (with ICE, SCTP and signaling state), ms timestamps (page clock). */
  states: Array<{ peerId: string; state: string; at: number }>;
  chat(text: string): void;
  chatTexts(): string[];
  draw(label: string): void;
  strokes(): number;
  linked(): string[];
  /** The selected candidate pair of every connection whose transport has one. */
  selectedPairs(): Promise<SelectedPair[]>;
  /** Local candidate types gathered per peer connection (host / srflx / relay / prflx), from getStats. */
  gathered(): Promise<Record<string, string[]>>;
  iceServerUrls(): string[];
}

declare global {
  interface Window {
    labMakeIdentity(): Promise<string>;
    labStart(options: LabStartOptions): Promise<void>;
    lab: LabPage;
  }
}

let identity: TeacherIdentity | undefined;
window.labMakeIdentity = async () => { identity = await createTeacherIdentity(); return identity.publicKey; };

function candidateInfo(s: Record<string, unknown> | undefined): CandidateInfo {
  const info: CandidateInfo = {
    type: String(s?.candidateType ?? '?'), address: String(s?.address ?? s?.ip ?? '?'), port: Number(s?.port ?? 0), protocol: String(s?.protocol ?? '?'),
  };
  if (typeof s?.relayProtocol === 'string') info.relayProtocol = s.relayProtocol;
  return info;
}

window.labStart = async (o) => {
  const classroom = await Classroom.create({
    signaling: o.url, classId: o.classId, secret: o.secret, teacherKey: o.teacherKey, name: o.name, peerId: o.peerId,
    ...(o.teacher === true && identity !== undefined ? { identity } : {}),
    statsIntervalMs: 0,
  });
  const page: LabPage = {
    classroom, states: [], statusLog: [], onlineLog: [], reachedAt: null,
    chat: (text) => { classroom.doc(chatType).send(text); },
    chatTexts: () => classroom.doc(chatType).messages().map((m) => m.text),
    draw: (label) => {
      const n = label.length;
      classroom.doc(whiteboardType).addInk({ pageId: 'main', points: [[n, 10], [n + 5, 20], [n + 10, 15]], color: '#336699', width: 2 });
    },
    strokes: () => classroom.doc(whiteboardType).elements().length,
    linked: () => [...providerOf(classroom).connections()].filter(([, c]) => c.link !== null).map(([id]) => id).sort(),
    async selectedPairs() {
      const out: SelectedPair[] = [];
      for (const [peerId, connection] of providerOf(classroom).connections()) {
        const report = await connection.getStats();
        const byId = new Map<string, Record<string, unknown>>();
        report.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
        for (const s of byId.values()) {
          if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') continue;
          const pair = byId.get(s.selectedCandidatePairId);
          if (pair === undefined) continue;
          out.push({
            peerId, state: String(pair.state),
            local: candidateInfo(byId.get(pair.localCandidateId as string)), remote: candidateInfo(byId.get(pair.remoteCandidateId as string)),
          });
        }
      }
      return out;
    },
    watch(strokes, chats) {
      page.reachedAt = null;
      const check = (): void => {
        if (page.reachedAt !== null) return;
        if (page.strokes() >= strokes && page.chatTexts().length >= chats) {
          page.reachedAt = Date.now();
          classroom.ydoc.off('update', check);
        }
      };
      classroom.ydoc.on('update', check);
      check();
    },
    async gathered() {
      const out: Record<string, string[]> = {};
      for (const [peerId, connection] of providerOf(classroom).connections()) {
        const types: string[] = (out[peerId] = []);
        (await connection.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'local-candidate') types.push(String(s.candidateType)); });
      }
      return out;
    },
    iceServerUrls: () => [...providerOf(classroom).connections().values()].flatMap((c) => c.pc.getConfiguration().iceServers ?? [])
      .flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
  };
  providerOf(classroom).on('peer-connection', (_connection, peer) => {
    const connection = providerOf(classroom).connections().get(peer.peerId);
    if (connection === undefined) return;
    // The RTCPeerConnection is read only for diagnostics: ICE, SCTP and signaling state next to each change.
    const pc = connection.pc as RTCPeerConnection | undefined;
    const log = (state: string): void => { page.states.push({ peerId: peer.peerId, state, at: Date.now() }); };
    const detail = (): string => (pc === undefined ? '' : ` (ice ${pc.iceConnectionState}, sctp ${pc.sctp?.state ?? '-'}, ${pc.signalingState})`);
    connection.on('state', (state) => log(state + detail()));
    let sctpWatched = false;
    pc?.addEventListener('signalingstatechange', () => {
      if (pc.signalingState !== 'stable') log(`signaling ${pc.signalingState}`);
      const sctp = pc.sctp;
      if (sctpWatched || sctp === null) return;
      sctpWatched = true;
      sctp.addEventListener('statechange', () => log(`sctp ${sctp.state}`));
    });
  });
  classroom.on('status', (st) => page.statusLog.push({ signaling: st.signaling, peers: st.peers, at: Date.now() }));
  window.addEventListener('online', () => page.onlineLog.push({ online: true, at: Date.now() }));
  window.addEventListener('offline', () => page.onlineLog.push({ online: false, at: Date.now() }));
  window.lab = page;
};
