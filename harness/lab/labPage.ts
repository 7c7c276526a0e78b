// Browser entry for the network lab: one Classroom per page (data only unless started with `video`), exposed as window.lab.
import * as Y from 'yjs';
import { providerOf } from '../providerOf.js';
import { Classroom, chatType, createTeacherIdentity, whiteboardType, type TeacherIdentity } from '../../src/index.js';

export interface LabStartOptions {
  url: string; classId: string; secret: string; teacherKey: string; name: string; peerId: string; teacher?: boolean;
  /** Size of the fake camera (every getUserMedia video request gets these constraints); the camera stays off until setCamera. */
  video?: { width: number; height: number; frameRate: number };
  /** Media stats poll (the bitrate control follows it); default 0 (off), as a data-only page needs none. */
  statsIntervalMs?: number;
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
  /** Other participants this page sees as connected (reachable), sorted. */
  participants(): string[];
  /** Video frames decoded so far from `peerId`'s stream(s), summed over the connection's inbound video. */
  framesDecoded(peerId: string): Promise<number>;
  /** Bytes handed to RTCDataChannel.send by this page since it loaded (payload only, no SCTP/DTLS overhead). */
  dataBytesSent(): number;
  /** {@link dataBytesSent} by message kind (see messageKind), to see where a resync's bytes go. */
  dataBytesByKind(): Record<string, number>;
  /** The doc's state vector, base64 (to ask the other side later what it lacks). */
  stateVector(): string;
  /** Size of the update this doc holds beyond the state vector `sv` (base64): what a peer at `sv` lacks. */
  missingFor(sv: string): number;
}

declare global {
  interface Window {
    labMakeIdentity(): Promise<string>;
    labStart(options: LabStartOptions): Promise<void>;
    lab: LabPage;
  }
}

// Counted at the one place every data channel write passes, so a resync can be measured in bytes whichever connection
// (old one after an ICE restart, or a new one) carries it. Strings are counted in UTF-16 units (the library sends binary).
let dataBytesSent = 0;
const dataBytesByKind: Record<string, number> = {};
const originalSend = RTCDataChannel.prototype.send;
RTCDataChannel.prototype.send = function send(this: RTCDataChannel, data: string | Blob | ArrayBuffer | ArrayBufferView) {
  const size = typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength;
  dataBytesSent += size;
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  const kind = bytes === null ? 'other' : messageKind(bytes);
  dataBytesByKind[kind] = (dataBytesByKind[kind] ?? 0) + size;
  return (originalSend as (d: typeof data) => void).call(this, data);
} as RTCDataChannel['send'];

/**
 * A label for a peer message from its leading bytes (PROTOCOL.md): the message type, with the sync sub-type
 * (0 step 1, 1 step 2, 2 update) and, for a routed envelope (16: origin, seq, inner), the inner message's type.
 * Only for measuring where resync bytes go; malformed input just gets a coarser label.
 */
function messageKind(bytes: Uint8Array): string {
  let at = 0;
  const varUint = (): number => {
    let n = 0;
    for (let shift = 0; at < bytes.length; shift += 7) {
      const b = bytes[at++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    return n;
  };
  const type = varUint();
  if (type === 0) return `sync/${varUint()}`;
  if (type !== 16) return String(type);
  at += varUint(); // origin
  varUint(); // seq
  varUint(); // inner length
  const inner = varUint();
  return inner === 0 ? `routed sync/${varUint()}` : `routed ${inner}`;
}

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

let identity: TeacherIdentity | undefined;
window.labMakeIdentity = async () => { identity = await createTeacherIdentity(); return identity.publicKey; };

function candidateInfo(s: Record<string, unknown> | undefined): CandidateInfo {
  const info: CandidateInfo = {
    type: String(s?.candidateType ?? '?'), address: String(s?.address ?? s?.ip ?? '?'), port: Number(s?.port ?? 0), protocol: String(s?.protocol ?? '?'),
  };
  if (typeof s?.relayProtocol === 'string') info.relayProtocol = s.relayProtocol;
  return info;
}

/** The fake camera at a fixed small size: several encoders must fit on a loaded 2-core machine. */
function fixedSizeCamera(video: NonNullable<LabStartOptions['video']>): Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'> {
  const devices = navigator.mediaDevices;
  return {
    getUserMedia: (c?: MediaStreamConstraints) => devices.getUserMedia(c?.video !== undefined && c.video !== false
      ? { ...c, video: { ...(typeof c.video === 'object' ? c.video : {}), ...video } } : c),
    getDisplayMedia: (c?: DisplayMediaStreamOptions) => devices.getDisplayMedia(c),
  };
}

window.labStart = async (o) => {
  const classroom = await Classroom.create({
    signaling: o.url, classId: o.classId, secret: o.secret, teacherKey: o.teacherKey, name: o.name, peerId: o.peerId,
    ...(o.teacher === true && identity !== undefined ? { identity } : {}),
    statsIntervalMs: o.statsIntervalMs ?? 0,
    ...(o.video !== undefined ? { mediaDevices: fixedSizeCamera(o.video) } : {}),
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
    participants: () => classroom.participants().filter((p) => p.connected && p.peerId !== classroom.peerId).map((p) => p.peerId).sort(),
    async framesDecoded(peerId) {
      const connection = providerOf(classroom).connections().get(peerId);
      if (connection === undefined) return 0;
      let frames = 0;
      (await connection.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && typeof s.framesDecoded === 'number') frames += s.framesDecoded;
      });
      return frames;
    },
    dataBytesSent: () => dataBytesSent,
    dataBytesByKind: () => ({ ...dataBytesByKind }),
    stateVector: () => toBase64(Y.encodeStateVector(classroom.ydoc)),
    missingFor: (sv) => Y.encodeStateAsUpdate(classroom.ydoc, fromBase64(sv)).byteLength,
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
