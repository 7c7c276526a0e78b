import { chatType, Classroom, createClassDoc, historyType, persistToIndexedDb, pollType, presentationType, whiteboardType } from 'peerclass';
import type {
  BoardHistory, Chat, ClassroomEvents, ClassroomMedia, ClassroomStatus, IndexedDbPersistence, MediaKind, Participant, Poll, Presentation, Role, TeacherIdentity, Whiteboard,
} from 'peerclass';
import { shallowRef } from 'vue';
import type { ShallowRef } from 'vue';
import type * as Y from 'yjs';
import { AdmissionView } from './admission.js';
import { AttendanceLog } from './attendance.js';
import { publishCursor, publishUser } from './board/presence.js';
import { wireStageLeave } from './classSignals.js';
import { lessonInfoType } from './lessonInfo.js';
import type { LessonInfo } from './lessonInfo.js';

export type { Participant } from 'peerclass';

/** What the app needs to enter a class. */
export interface SessionOptions {
  signaling: string;
  classId: string;
  secret: string;
  teacherKey: string;
  /** The teacher's signing identity; present only in the browser that created the class. */
  identity?: TeacherIdentity;
  /** Relay access token (JWT), for relays that require one. */
  relayToken?: string;
  name: string;
  /**
   * This browser was in the class before (its copy is in IndexedDB): an unreachable relay is then no dead end (the
   * student works offline and syncs later), so it gets the status bar, not the "cannot reach" screen.
   */
  returning?: boolean;
}

/** The classroom's connection status plus what this app adds: edits waiting for a peer, and the browser's online flag. */
export interface SessionStatus extends ClassroomStatus {
  /** Local edits made while no peer was reachable (they sync when one comes back). */
  pending: number;
  online: boolean;
}

/** The teacher's signed control state as it concerns this peer, read from the classroom on each `control` event. */
export interface SessionControl {
  boardLocked: boolean;
  /** The slide students should see (index in the presentation's order); null before the teacher set one. */
  slide: { slideIndex: number; follow: boolean } | null;
  /** The teacher's latest mute request for this peer (or everyone); null when there is none. */
  muteRequested: boolean | null;
}

/** How this browser's stay in the class ended, if it did. */
export type SessionEnd = 'removed' | 'ended' | null;

/** Why this browser cannot get into the class right now: the relay is unreachable, the class is full, the link is wrong. */
export type SessionProblem = 'relay' | 'full' | 'link' | null;

/** A remote video/audio stream the video column can show. */
export interface RemoteMedia {
  peerId: string;
  stream: MediaStream;
  kind: MediaKind;
}

/** A value views read reactively; the session updates it from the classroom's events. */
export type Live<T> = Readonly<ShallowRef<T>>;

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#008080', '#9a6324', '#800000'];

/**
 * One class as this browser sees it: the framework's Classroom, its events held in Vue refs, plus what the
 * app adds on top (IndexedDB persistence, the lesson info doc type, board cursors, the pending-changes counter).
 */
export class ClassSession {
  readonly doc: Y.Doc;
  readonly board: Whiteboard;
  readonly chat: Chat;
  readonly presentation: Presentation;
  readonly history: BoardHistory;
  /** Polls: the shipped extension-example doc type, registered by the app. */
  readonly poll: Poll;
  readonly lesson: LessonInfo;
  readonly role: Role;
  readonly name: string;
  /** Our cursor colour. */
  readonly color: string;
  /** Everyone in the class, ourselves first (Classroom's `participants` event). */
  readonly participants: Live<Participant[]>;
  /** Peer ids with a raised hand, oldest first (Classroom's `hands` event). */
  readonly hands: Live<string[]>;
  /** The peer on stage (Classroom's `stage` event). */
  readonly stage: Live<string | null>;
  readonly status: Live<SessionStatus>;
  readonly control: Live<SessionControl>;
  /** Why we are no longer in the class, or null while we are. */
  readonly end: Live<SessionEnd>;
  /** Remote camera and screen streams (camera and microphone share one stream per peer). */
  readonly remoteMedia: Live<RemoteMedia[]>;
  /** Why we cannot get in, from the network's errors; cleared once we reach the relay (or a peer). */
  readonly problem: Live<SessionProblem>;
  /** Teacher: who joined and left, with times (null for students). */
  readonly attendance: AttendanceLog | null;
  /** The lobby, the admission mode, keepers, refused writers; for a student, whether it waits to be let in. */
  readonly admission: AdmissionView;
  private readonly endRef = shallowRef<SessionEnd>(null);
  /** The teacher's mute requests of this session: for everyone, then newer per-student ones. */
  private readonly cleanups: Array<() => void> = [];

  /** Joins a class: loads the local copy from IndexedDB, then connects through the framework's Classroom. */
  static async create(options: SessionOptions): Promise<ClassSession> {
    const doc = createClassDoc();
    const persistence = persistToIndexedDb(doc, `peerclass:${options.classId}`);
    const classroom = await Classroom.create({
      signaling: options.signaling,
      classId: options.classId,
      secret: options.secret,
      teacherKey: options.teacherKey,
      ...(options.identity !== undefined ? { identity: options.identity } : {}),
      ...(options.relayToken !== undefined ? { relayToken: options.relayToken } : {}),
      name: options.name,
      doc,
      docTypes: [lessonInfoType, pollType],
    });
    return new ClassSession(options, classroom, persistence);
  }

  private constructor(readonly options: SessionOptions, readonly classroom: Classroom, readonly persistence: IndexedDbPersistence) {
    this.doc = classroom.ydoc;
    this.role = classroom.role;
    this.name = options.name;
    this.board = classroom.doc(whiteboardType);
    this.chat = classroom.doc(chatType);
    this.presentation = classroom.doc(presentationType);
    this.history = classroom.doc(historyType);
    this.poll = classroom.doc(pollType);
    this.lesson = classroom.doc(lessonInfoType);
    this.color = COLORS[Math.abs(hash(classroom.peerId)) % COLORS.length] ?? '#4363d8';
    publishUser(this.awareness, { peerId: classroom.peerId, name: options.name, color: this.color });
    publishCursor(this.awareness, null);

    const participants = shallowRef(classroom.participants());
    const hands = shallowRef(classroom.handQueue());
    const stage = shallowRef(classroom.stage());
    const status = shallowRef<SessionStatus>({ ...classroom.status(), pending: 0, online: navigator.onLine });
    const control = shallowRef(this.readControl());
    const remoteMedia = shallowRef<RemoteMedia[]>([]);
    this.participants = participants;
    this.hands = hands;
    this.stage = stage;
    this.status = status;
    this.control = control;
    this.end = this.endRef;
    this.remoteMedia = remoteMedia;
    this.admission = new AdmissionView(classroom);
    this.cleanups.push(() => this.admission.destroy());

    const on = <K extends keyof ClassroomEvents>(name: K, fn: ClassroomEvents[K]): void => {
      classroom.on(name, fn);
      this.cleanups.push(() => classroom.off(name, fn));
    };
    const patchStatus = (patch: Partial<SessionStatus>): void => {
      status.value = { ...status.value, ...patch };
    };
    on('participants', (list) => { participants.value = list; });
    const attendance = this.role === 'teacher' ? new AttendanceLog(options.classId) : null;
    this.attendance = attendance;
    if (attendance !== null) {
      for (const p of classroom.participants()) attendance.joined(p);
      on('participant-joined', (p) => attendance.joined(p));
      on('participant-left', (peerId) => attendance.left(peerId));
      this.cleanups.push(() => attendance.close());
    }
    on('hands', (queue) => { hands.value = queue; });
    on('stage', (peerId) => { stage.value = peerId; });
    // While the browser is offline a peer can still look connected (WebRTC notices the loss only after its consent
    // checks time out): keep counting then, and clear only once the browser is online and a peer is synced.
    on('status', (s) => patchStatus({ ...s, pending: s.peers > 0 && s.synced && navigator.onLine ? 0 : status.value.pending }));
    const problem = shallowRef<SessionProblem>(null);
    this.problem = problem;
    // Once in (the relay or a peer reached), an outage is the status bar's business: the class works offline.
    let reached = false;
    const onError = (e: { code: string; message: string }): void => {
      const st = status.value;
      const code: string = e.code;
      if (code === 'unreachable' && options.returning !== true && !reached && st.peers === 0 && st.signaling !== 'connected') problem.value = 'relay';
      else if (code === 'relay-error' && /^topic-full\b/.test(e.message)) problem.value = 'full';
      // Another secret in the room, or a relay token refused (expired): our link is the wrong one if nobody answers us.
      else if ((code === 'wrong-secret' || code === 'unauthorized' || (code === 'relay-error' && /^unauthorized\b/.test(e.message))) && this.role === 'student' && st.peers === 0) problem.value = 'link';
    };
    classroom.network.on('error', onError);
    this.cleanups.push(() => classroom.network.off('error', onError));
    on('status', (st) => {
      if (st.peers > 0 || st.signaling === 'connected') reached = true;
      if (st.peers > 0 || (problem.value === 'relay' && st.signaling === 'connected')) problem.value = null;
    });
    on('removed', () => this.finish('removed'));
    on('ended', () => this.finish('ended'));
    // Board lock, slide and mute requests arrive as signed control changes.
    on('control', () => { control.value = this.readControl(); });

    // Remote streams by peer id; a peer's screen share is kept apart from its camera.
    const remote = new Map<string, RemoteMedia>();
    on('track-subscribed', ({ peerId, stream, kind }) => {
      if (kind === 'microphone' && remote.get(peerId)?.stream === stream) return;
      remote.set(kind === 'screen' ? `${peerId}:screen` : peerId, { peerId, stream, kind });
      remoteMedia.value = [...remote.values()];
    });
    on('track-unsubscribed', ({ peerId, track }) => {
      for (const [key, m] of remote) {
        // Camera and microphone share one stream: keep it while another of its tracks still plays.
        if (m.peerId === peerId && m.stream.getTracks().every((t) => t === track || t.readyState === 'ended')) remote.delete(key);
      }
      remoteMedia.value = [...remote.values()];
    });

    // "N changes waiting": our own edits while nobody is reachable. Updates from peers and IndexedDB's reload are not local.
    const onUpdate = (_update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction): void => {
      if (transaction.local && (status.value.peers === 0 || !navigator.onLine)) patchStatus({ pending: status.value.pending + 1 });
    };
    this.doc.on('update', onUpdate);
    this.cleanups.push(() => this.doc.off('update', onUpdate));
    const online = (): void => patchStatus({ online: navigator.onLine });
    window.addEventListener('online', online);
    window.addEventListener('offline', online);
    this.cleanups.push(() => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', online);
    });
    if (this.role === 'teacher') this.cleanups.push(this.history.autoMark(5_000));
    this.cleanups.push(wireStageLeave(this));
  }

  /** The class's awareness (board cursors, the laser pointer). */
  get awareness(): Classroom['awareness'] {
    return this.classroom.awareness;
  }

  /** Camera, microphone and screen share. */
  get media(): ClassroomMedia {
    return this.classroom.media;
  }

  /** Our peer id. */
  get peerId(): string {
    return this.classroom.peerId;
  }

  /** Whether students may draw right now (the teacher always may). */
  canDraw(): boolean {
    return this.role === 'teacher' || !this.control.value.boardLocked;
  }

  /** Whether the teacher's latest signed request asks us to stay muted. */
  mutedByTeacher(): boolean {
    return this.role === 'student' && this.control.value.muteRequested === true;
  }

  /** Teacher: whether the latest signed request for `peerId` (or for everyone) says "muted". */
  muteRequestedFor(peerId: string): boolean {
    // Read the reactive control snapshot first so the panel re-renders on every control change.
    void this.control.value;
    return this.classroom.muteRequested(peerId) === true;
  }

  /** Teacher: asks one student, or everyone, to mute or unmute (signed; the newest request for a peer wins). */
  async requestMute(peerId: string | 'all', muted: boolean): Promise<void> {
    await this.classroom.requestMute(peerId, muted);
  }

  /** Whether we may share our screen: the teacher always, a student only while on stage (others would not receive it). */
  canShareScreen(): boolean {
    return this.role === 'teacher' || this.stage.value === this.peerId;
  }

  /** The camera stream of a peer, if we receive one. */
  remoteStream(peerId: string): MediaStream | null {
    return this.remoteMedia.value.find((m) => m.peerId === peerId && m.kind !== 'screen')?.stream ?? null;
  }

  /** Teacher: end the class for everyone (we see it ended at once). */
  async endClass(): Promise<void> {
    await this.classroom.endClass();
    this.finish('ended');
  }

  /** Leave the class. */
  destroy(): void {
    for (const c of this.cleanups) c();
    this.cleanups.length = 0;
    this.classroom.destroy();
    void this.persistence.destroy();
  }

  private finish(why: Exclude<SessionEnd, null>): void {
    if (this.endRef.value !== null) return;
    this.endRef.value = why;
    if (why === 'ended' && this.role !== 'teacher') this.classroom.leave();
  }

  private readControl(): SessionControl {
    const c = this.classroom;
    return { boardLocked: c.boardLocked(), slide: c.slide(), muteRequested: c.muteRequested() };
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
