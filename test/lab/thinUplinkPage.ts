// Browser entry for the thin-uplink lab test: one Classroom per page with its camera (a small fake one) and the
// stats poll on, exposed as window.thin. The network lab's own page (labPage.ts) is data-only with stats off.
import { providerOf } from '../helpers/providerOf.js';
import { Classroom, createTeacherIdentity, whiteboardType, type TeacherIdentity } from '../../src/index.js';

export interface ThinStartOptions {
  url: string; classId: string; secret: string; teacherKey: string; peerId: string; teacher: boolean;
  /** getStats poll (and bitrate refresh) interval, ms. */
  statsIntervalMs: number;
  /** Fake camera size and rate: kept small so nine Chromium instances fit on two cores. */
  video: { width: number; height: number; frameRate: number };
}

/** What the teacher sends one student. */
export interface VideoOut {
  peerId: string;
  bytesSent: number;
  /** Of {@link bytesSent}: retransmissions (NACK → RTX), which `maxBitrate` does not limit. */
  retransmittedBytesSent: number;
  /** RTP header bytes (not in bytesSent). */
  headerBytesSent: number;
  /** The encoder's current target, bits/s. */
  targetBitrate: number;
  framesEncoded: number;
  maxBitrate: number | null;
  priority: string | null;
  networkPriority: string | null;
  availableOutgoingBitrate: number | null;
}

export interface ThinPage {
  classroom: Classroom;
  linked(): string[];
  /** Teacher: draws one stroke and returns its id; the send time is kept in {@link sent}. */
  draw(i: number): string;
  /** Teacher: send time (Date.now()) by element id. */
  sent: Record<string, number>;
  /** Student: first time (Date.now()) each board element was seen, by id. */
  arrived: Record<string, number>;
  /** Student: frames decoded from the teacher's video so far (0 before any). */
  framesDecoded(): Promise<number>;
  /** Teacher: per-student video sender figures. */
  videoOut(): Promise<VideoOut[]>;
  /** The data channel's priority as the implementation reports it (undefined where it does not expose it). */
  dataChannelPriority(): string | null;
}

declare global {
  interface Window {
    thinMakeIdentity(): Promise<string>;
    thinStart(options: ThinStartOptions): Promise<void>;
    thin: ThinPage;
  }
}

let identity: TeacherIdentity | undefined;
window.thinMakeIdentity = async () => { identity = await createTeacherIdentity(); return identity.publicKey; };

type Stat = Record<string, unknown>;
const statsOf = async (pc: RTCPeerConnection): Promise<Stat[]> => {
  const out: Stat[] = [];
  (await pc.getStats()).forEach((s: Stat) => out.push(s));
  return out;
};

window.thinStart = async (o) => {
  const devices = navigator.mediaDevices;
  // The fake camera at a small size: the cost of eight encoders on the teacher is what limits this machine.
  const mediaDevices = {
    getUserMedia: (c?: MediaStreamConstraints) => devices.getUserMedia(c?.video !== undefined && c.video !== false
      ? { ...c, video: { ...(typeof c.video === 'object' ? c.video : {}), width: o.video.width, height: o.video.height, frameRate: o.video.frameRate } }
      : c),
    getDisplayMedia: (c?: DisplayMediaStreamOptions) => devices.getDisplayMedia(c),
  };
  const classroom = await Classroom.create({
    signaling: o.url, classId: o.classId, secret: o.secret, teacherKey: o.teacherKey, name: o.peerId, peerId: o.peerId,
    ...(o.teacher && identity !== undefined ? { identity } : {}),
    statsIntervalMs: o.statsIntervalMs, mediaDevices,
  });
  const board = classroom.doc(whiteboardType);
  const page: ThinPage = {
    classroom, sent: {}, arrived: {},
    linked: () => [...providerOf(classroom).connections()].filter(([, c]) => c.link !== null).map(([id]) => id).sort(),
    draw(i) {
      const at = Date.now();
      const id = board.addInk({ pageId: 'main', points: [[i, 10], [i + 5, 20], [i + 10, 15]], color: '#336699', width: 2 });
      page.sent[id] = at;
      return id;
    },
    async framesDecoded() {
      const connection = providerOf(classroom).connections().get('t');
      if (connection === undefined) return 0;
      let frames = 0;
      for (const s of await statsOf(connection.pc)) if (s.type === 'inbound-rtp' && s.kind === 'video' && typeof s.framesDecoded === 'number') frames += s.framesDecoded;
      return frames;
    },
    async videoOut() {
      const out: VideoOut[] = [];
      for (const [peerId, connection] of providerOf(classroom).connections()) {
        const sender = connection.pc.getSenders().find((s) => s.track?.kind === 'video');
        if (sender === undefined) continue;
        const encoding = sender.getParameters().encodings[0];
        const row: VideoOut = {
          peerId, bytesSent: 0, retransmittedBytesSent: 0, headerBytesSent: 0, targetBitrate: 0, framesEncoded: 0, maxBitrate: encoding?.maxBitrate ?? null,
          priority: encoding?.priority ?? null, networkPriority: encoding?.networkPriority ?? null, availableOutgoingBitrate: null,
        };
        const stats = await statsOf(connection.pc);
        const byId = new Map(stats.map((s) => [s.id, s]));
        for (const s of stats) {
          if (s.type === 'outbound-rtp' && s.kind === 'video') {
            row.bytesSent += typeof s.bytesSent === 'number' ? s.bytesSent : 0;
            row.framesEncoded += typeof s.framesEncoded === 'number' ? s.framesEncoded : 0;
            row.retransmittedBytesSent += typeof s.retransmittedBytesSent === 'number' ? s.retransmittedBytesSent : 0;
            row.headerBytesSent += typeof s.headerBytesSent === 'number' ? s.headerBytesSent : 0;
            row.targetBitrate += typeof s.targetBitrate === 'number' ? s.targetBitrate : 0;
          }
          if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
            const available = byId.get(s.selectedCandidatePairId)?.availableOutgoingBitrate;
            if (typeof available === 'number') row.availableOutgoingBitrate = available;
          }
        }
        out.push(row);
      }
      return out.sort((a, b) => a.peerId.localeCompare(b.peerId));
    },
    dataChannelPriority() {
      const link = [...providerOf(classroom).connections().values()].find((c) => c.link !== null)?.link;
      const channel = link !== null && link !== undefined && 'channel' in link ? (link.channel as RTCDataChannel & { priority?: unknown }) : undefined;
      const priority = channel?.priority;
      return typeof priority === 'string' ? priority : null;
    },
  };
  if (!o.teacher) {
    const seen = (): void => {
      const now = Date.now();
      for (const e of board.elements()) page.arrived[e.id] ??= now;
    };
    classroom.ydoc.on('update', seen);
  }
  window.thin = page;
};
