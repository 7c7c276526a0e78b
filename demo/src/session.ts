import { Classroom, createClassDoc, persistToIndexedDb } from 'peerclass';
import type {
  BoardHistory, Chat, ClassroomMedia, Participant as ClassroomParticipant, ConnectionQuality, IndexedDbPersistence, MediaKind, PeerclassProvider, Presentation, Role, TeacherIdentity, Whiteboard,
} from 'peerclass';
import { chatType, historyType, presentationType, whiteboardType } from 'peerclass';
import type * as Y from 'yjs';
import { lessonInfoType } from './lessonInfo.js';
import type { LessonInfo } from './lessonInfo.js';

/** What the app needs to enter a class. */
export interface SessionOptions {
  signaling: string;
  classId: string;
  secret: string;
  teacherKey: string;
  /** The teacher's signing identity; present only in the browser that created the class. */
  identity?: TeacherIdentity;
  name: string;
}

/** One person in the class, as the side panel shows them. */
/** One person in the class, as the side panel shows them: the framework's participant plus what the panel marks. */
export interface Participant extends Omit<ClassroomParticipant, 'quality'> {
  self: boolean;
  /** Last measured connection quality to this peer; undefined for ourselves or before the first measurement. */
  quality: ConnectionQuality | undefined;
  /** Whether the teacher's latest signed request for this peer (or for everyone) is "muted". */
  mutedByTeacher: boolean;
}

/** Connection state for the status bar. */
export interface SessionStatus {
  signaling: 'connecting' | 'connected' | 'disconnected';
  /** Peers we reach (directly or forwarded). */
  peers: number;
  synced: boolean;
  /** Local edits made while no peer was reachable (they sync when one comes back). */
  pending: number;
  online: boolean;
}

/** Fields this app puts in awareness besides the classroom's own presence. */
export interface PresenceState {
  user?: { peerId: string; name: string; role: Role; color: string };
  cursor?: { pageId: string; x: number; y: number } | null;
}

/** How this browser's stay in the class ended, if it did. */
export type SessionEnd = 'removed' | 'ended' | null;

/** A remote video/audio stream the video column can show. */
export interface RemoteMedia {
  peerId: string;
  stream: MediaStream;
  kind: MediaKind;
}

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#008080', '#9a6324', '#800000'];

type Listener = () => void;

/**
 * One class as this browser sees it: the framework's Classroom plus what the app adds on top
 * (IndexedDB persistence, the lesson info doc type, cursors, the pending-changes counter).
 * Kept free of Vue so the views only depend on this small surface.
 */
export class ClassSession {
  readonly doc: Y.Doc;
  readonly classroom: Classroom;
  readonly board: Whiteboard;
  readonly chat: Chat;
  readonly presentation: Presentation;
  readonly history: BoardHistory;
  readonly lesson: LessonInfo;
  readonly persistence: IndexedDbPersistence;
  readonly role: Role;
  readonly name: string;
  readonly color: string;
  private readonly listeners = new Set<Listener>();
  private statusValue: SessionStatus = { signaling: 'connecting', peers: 0, synced: false, pending: 0, online: true };
  private endValue: SessionEnd = null;
  /** Remote streams by peer id; camera and screen kept apart. */
  private readonly remote = new Map<string, RemoteMedia>();
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
      name: options.name,
      doc,
      docTypes: [lessonInfoType as never],
    });
    return new ClassSession(options, classroom, persistence);
  }

  private constructor(readonly options: SessionOptions, classroom: Classroom, persistence: IndexedDbPersistence) {
    this.classroom = classroom;
    this.persistence = persistence;
    this.doc = classroom.ydoc;
    this.role = classroom.role;
    this.name = options.name;
    this.board = classroom.doc(whiteboardType);
    this.chat = classroom.doc(chatType);
    this.presentation = classroom.doc(presentationType);
    this.history = classroom.doc(historyType);
    this.lesson = classroom.doc(lessonInfoType);
    this.color = COLORS[Math.abs(hash(classroom.peerId)) % COLORS.length] ?? '#4363d8';
    // Field by field: the classroom keeps its own presence in the same awareness state.
    this.provider.awareness.setLocalStateField('user', { peerId: classroom.peerId, name: options.name, role: this.role, color: this.color });
    this.provider.awareness.setLocalStateField('cursor', null);

    const changed = (): void => this.emit();
    const on = <K extends Parameters<Classroom['on']>[0]>(name: K, fn: Parameters<Classroom['on']>[1] & object): void => {
      classroom.on(name, fn as never);
      this.cleanups.push(() => classroom.off(name, fn as never));
    };
    on('status', ({ signaling, peers, synced }: { signaling: SessionStatus['signaling']; peers: number; synced: boolean }) => {
      this.setStatus({ signaling, peers, synced, pending: peers > 0 && synced ? 0 : this.statusValue.pending });
    });
    on('participants', changed);
    on('stage', changed);
    on('hands', changed);
    on('quality', changed);
    on('removed', () => this.finish('removed'));
    on('ended', () => this.finish('ended'));
    on('track-subscribed', ({ peerId, stream, kind }: RemoteMedia) => {
      if (kind === 'microphone' && this.remote.get(peerId)?.stream === stream) return;
      this.remote.set(kind === 'screen' ? `${peerId}:screen` : peerId, { peerId, stream, kind });
      this.emit();
    });
    on('track-unsubscribed', ({ peerId, track }: { peerId: string; track: MediaStreamTrack }) => {
      for (const [key, m] of this.remote) {
        if (m.peerId !== peerId) continue;
        // Camera and microphone share one stream: keep it while another of its tracks still plays.
        if (m.stream.getTracks().every((t) => t === track || t.readyState === 'ended')) this.remote.delete(key);
      }
      this.emit();
    });
    // Board lock and the like arrive as control changes, which need not change the participant list.
    const onControl = (): void => this.emit();
    classroom.control.on('change', onControl);
    this.cleanups.push(() => classroom.control.off('change', onControl));
    this.provider.awareness.on('change', changed);
    this.cleanups.push(() => this.provider.awareness.off('change', changed));
    // Counting our own updates while nobody is reachable: what "N changes waiting" shows.
    const onUpdate = (_u: Uint8Array, origin: unknown): void => {
      // With nobody reachable, only our own edits (not IndexedDB's reload) can change the doc.
      if (this.statusValue.peers === 0 && origin !== this.provider.engine && origin !== this.persistence.provider) {
        this.setStatus({ pending: this.statusValue.pending + 1 });
      }
    };
    this.doc.on('update', onUpdate);
    this.cleanups.push(() => this.doc.off('update', onUpdate));
    const online = (): void => this.setStatus({ online: navigator.onLine });
    window.addEventListener('online', online);
    window.addEventListener('offline', online);
    this.cleanups.push(() => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', online);
    });
    if (this.role === 'teacher') this.cleanups.push(this.history.autoMark(5_000));
  }

  /** The classroom's provider (awareness for cursors and the laser). */
  get provider(): PeerclassProvider {
    return this.classroom.provider;
  }

  /** Camera, microphone and screen share. */
  get media(): ClassroomMedia {
    return this.classroom.media;
  }

  /** Our peer id. */
  get peerId(): string {
    return this.classroom.peerId;
  }

  /** Current connection state. */
  status(): SessionStatus {
    return this.statusValue;
  }

  /** Why we are no longer in the class, or null while we are. */
  ended(): SessionEnd {
    return this.endValue;
  }

  /** Whether the teacher has locked the board for students. */
  boardLocked(): boolean {
    return this.classroom.control.boardLocked();
  }

  /** Whether students may draw right now (the teacher always may). */
  canDraw(): boolean {
    return this.role === 'teacher' || !this.boardLocked();
  }

  /** Everyone in the class (ourselves included), teacher first, then by name. */
  participants(): Participant[] {
    const control = this.classroom.control;
    return this.classroom.participants()
      .map((p) => ({
        peerId: p.peerId, name: p.name.slice(0, 80), role: p.role, handRaisedAt: p.handRaisedAt,
        onStage: p.onStage, connected: p.connected, self: p.peerId === this.peerId,
        quality: p.quality ?? this.media.qualityOf(p.peerId),
        mutedByTeacher: p.role === 'student' && control.muteRequestFor(p.peerId) === true,
      }))
      .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'teacher' ? -1 : 1));
  }

  /** Students with a raised hand, first raised first. */
  handQueue(): Participant[] {
    const byId = new Map(this.participants().map((p) => [p.peerId, p]));
    return this.classroom.handQueue().flatMap((id) => byId.get(id) ?? []);
  }

  /** Peer id on stage, from the teacher's signed control state. */
  stage(): string | null {
    return this.classroom.stage();
  }

  /** The camera stream of a peer, if we receive one. */
  remoteStream(peerId: string): MediaStream | null {
    return this.remote.get(peerId)?.stream ?? null;
  }

  /** Screen shares we receive (at most one per peer), teacher's first. */
  remoteScreens(): RemoteMedia[] {
    const teacher = this.participants().find((p) => p.role === 'teacher')?.peerId;
    return [...this.remote.values()].filter((m) => m.kind === 'screen').sort((a, b) => Number(b.peerId === teacher) - Number(a.peerId === teacher));
  }

  /** Whether we may share our screen: the teacher always, a student only while on stage (others would not receive it). */
  canShareScreen(): boolean {
    return this.role === 'teacher' || this.stage() === this.peerId;
  }

  /** Whether the teacher's latest signed request asks us to stay muted. */
  mutedByTeacher(): boolean {
    return this.role === 'student' && this.classroom.control.muteRequestFor(this.peerId) === true;
  }

  /** The slide students should see, from the teacher's signed control state; null before the teacher set one. */
  signedSlide(): { slideIndex: number; follow: boolean } | null {
    return this.classroom.control.slide();
  }

  /** Raise this participant's hand. */
  raiseHand(): void {
    this.classroom.raiseHand();
  }

  /** Lower this participant's hand. */
  lowerHand(): void {
    this.classroom.lowerHand();
  }

  /** Teacher: put a student on stage (or nobody). Signed by the teacher key. */
  async setStage(peerId: string | null): Promise<void> {
    if (this.role !== 'teacher') return;
    await this.classroom.setStage(peerId);
  }

  /** Teacher: lock or unlock the board for students. */
  async lockBoard(locked: boolean): Promise<void> {
    if (this.role === 'teacher') await this.classroom.lockBoard(locked);
  }

  /** Teacher: ask everyone to mute. */
  async muteAll(): Promise<void> {
    if (this.role === 'teacher') await this.classroom.requestMute('all', true);
  }

  /** Teacher: ask one student to mute or unmute (signed; newer than an earlier "mute all", so it overrides it for them). */
  async requestMute(peerId: string, muted: boolean): Promise<void> {
    if (this.role === 'teacher') await this.classroom.requestMute(peerId, muted);
  }

  /** Teacher: set the slide students follow, as a signed statement (the slide index in the presentation's order). */
  async setSlide(index: number, follow: boolean): Promise<void> {
    if (this.role === 'teacher') await this.classroom.setSlide(index, follow);
  }

  /** Teacher: remove a student from the class. */
  async removeStudent(peerId: string): Promise<void> {
    if (this.role === 'teacher') await this.classroom.removeStudent(peerId);
  }

  /** Teacher: end the class for everyone. */
  async endClass(): Promise<void> {
    if (this.role !== 'teacher') return;
    await this.classroom.endClass();
    this.finish('ended');
  }

  /** Share where our pointer is on the board (throttled by the caller). */
  setCursor(cursor: PresenceState['cursor']): void {
    this.provider.awareness.setLocalStateField('cursor', cursor ?? null);
  }

  /** Re-render when anything presence-, control- or connection-related changes. */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Leave the class. */
  destroy(): void {
    for (const c of this.cleanups) c();
    this.cleanups.length = 0;
    this.classroom.destroy();
    void this.persistence.destroy();
  }

  private finish(end: Exclude<SessionEnd, null>): void {
    if (this.endValue !== null) return;
    this.endValue = end;
    if (end === 'ended' && this.role !== 'teacher') this.classroom.leave();
    this.emit();
  }

  private setStatus(patch: Partial<SessionStatus>): void {
    this.statusValue = { ...this.statusValue, ...patch };
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}
