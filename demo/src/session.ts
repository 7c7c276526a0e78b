import {
  chatType, createClassDoc, DocumentSet, historyType, PeerclassProvider, persistToIndexedDb, presentationType, whiteboardType,
} from 'peerclass';
import type { BoardHistory, Chat, IndexedDbPersistence, Presentation, Role, Whiteboard } from 'peerclass';
import type * as Y from 'yjs';
import { lessonInfoType } from './lessonInfo.js';
import type { LessonInfo } from './lessonInfo.js';

/** What the app needs to enter a class. */
export interface SessionOptions {
  signaling: string;
  classId: string;
  secret: string;
  teacherKey: string;
  role: Role;
  name: string;
}

/** One person in the class, as the side panel shows them. */
export interface Participant {
  peerId: string;
  name: string;
  role: Role;
  handRaisedAt: number | null;
  onStage: boolean;
  connected: boolean;
  self: boolean;
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

/** Fields this app puts in awareness. */
export interface PresenceState {
  user?: { peerId: string; name: string; role: Role; color: string };
  hand?: number | null;
  /** Teacher only: who is on stage. */
  stage?: string | null;
  cursor?: { pageId: string; x: number; y: number } | null;
}

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#008080', '#9a6324', '#800000'];

type Listener = () => void;

/**
 * One class as this browser sees it: the shared doc, its typed documents, the provider and presence.
 * Kept free of Vue so it can later be swapped for the framework's Classroom without touching the views.
 */
export class ClassSession {
  readonly doc: Y.Doc;
  readonly provider: PeerclassProvider;
  readonly documents: DocumentSet;
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
  private readonly cleanups: Array<() => void> = [];

  constructor(readonly options: SessionOptions) {
    this.role = options.role;
    this.name = options.name;
    this.doc = createClassDoc();
    this.persistence = persistToIndexedDb(this.doc, `peerclass:${options.classId}`);
    this.provider = new PeerclassProvider(options.classId, this.doc, {
      signaling: options.signaling,
      secret: options.secret,
      self: { role: options.role, name: options.name, teacherKey: options.teacherKey },
    });
    this.documents = new DocumentSet(this.doc, { peerId: this.provider.peerId, name: options.name, role: options.role });
    this.board = this.documents.register(whiteboardType);
    this.chat = this.documents.register(chatType);
    this.presentation = this.documents.register(presentationType);
    this.history = this.documents.register(historyType);
    this.lesson = this.documents.register(lessonInfoType);
    this.color = COLORS[Math.abs(hash(this.provider.peerId)) % COLORS.length] ?? '#4363d8';
    this.provider.awareness.setLocalState({
      user: { peerId: this.provider.peerId, name: options.name, role: options.role, color: this.color },
      hand: null,
      cursor: null,
    } satisfies PresenceState);

    const changed = (): void => this.emit();
    this.provider.on('status', ({ status }) => this.setStatus({ signaling: status }));
    this.provider.on('synced', ({ synced }) => this.setStatus({ synced, pending: synced ? 0 : this.statusValue.pending }));
    this.provider.on('peers', ({ reachable }) => {
      this.setStatus({ peers: reachable.length, pending: reachable.length > 0 && this.provider.engine.synced ? 0 : this.statusValue.pending });
    });
    this.provider.awareness.on('change', changed);
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
    if (options.role === 'teacher') this.cleanups.push(this.history.autoMark(5_000));
  }

  /** Our peer id. */
  get peerId(): string {
    return this.provider.peerId;
  }

  /** Current connection state. */
  status(): SessionStatus {
    return this.statusValue;
  }

  /** Everyone whose presence we see (ourselves included), teacher first, then by name. */
  participants(): Participant[] {
    const stage = this.stage();
    const out = new Map<string, Participant>();
    for (const [clientId, raw] of this.provider.awareness.getStates()) {
      const state = raw as PresenceState;
      const u = state.user;
      if (u === undefined || typeof u.peerId !== 'string' || typeof u.name !== 'string') continue;
      const self = clientId === this.doc.clientID;
      out.set(u.peerId, {
        peerId: u.peerId,
        name: u.name.slice(0, 80),
        role: u.role === 'teacher' ? 'teacher' : 'student',
        handRaisedAt: typeof state.hand === 'number' ? state.hand : null,
        onStage: stage === u.peerId,
        connected: true,
        self,
      });
    }
    return [...out.values()].sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'teacher' ? -1 : 1));
  }

  /** Students with a raised hand, first raised first. */
  handQueue(): Participant[] {
    return this.participants().filter((p) => p.handRaisedAt !== null).sort((a, b) => (a.handRaisedAt ?? 0) - (b.handRaisedAt ?? 0));
  }

  /** Peer id on stage, as the teacher's presence says. */
  stage(): string | null {
    for (const raw of this.provider.awareness.getStates().values()) {
      const state = raw as PresenceState;
      if (state.user?.role === 'teacher' && typeof state.stage === 'string') return state.stage;
    }
    return null;
  }

  /** Raise this participant's hand. */
  raiseHand(): void {
    this.provider.awareness.setLocalStateField('hand', Date.now());
  }

  /** Lower this participant's hand. */
  lowerHand(): void {
    this.provider.awareness.setLocalStateField('hand', null);
  }

  /** Teacher: put a student on stage (or nobody). */
  setStage(peerId: string | null): void {
    if (this.role !== 'teacher') return;
    this.provider.awareness.setLocalStateField('stage', peerId);
  }

  /** Share where our pointer is on the board (throttled by the caller). */
  setCursor(cursor: PresenceState['cursor']): void {
    this.provider.awareness.setLocalStateField('cursor', cursor ?? null);
  }

  /** Re-render when anything presence- or connection-related changes. */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Leave the class. */
  destroy(): void {
    for (const c of this.cleanups) c();
    this.documents.destroy();
    this.provider.destroy();
    void this.persistence.destroy();
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
