import { ObservableV2 } from 'lib0/observable';
import type * as Y from 'yjs';
import { ControlState } from '../authority/controlState.js';
import { decodeSignedControl, type ControlBodies, type ControlKind } from '../authority/control.js';
import type { TeacherIdentity } from '../authority/identity.js';
import { signTeacherProof, verifyTeacherProof } from '../authority/teacherProof.js';
import { DocumentSet } from '../doctypes/documentSet.js';
import { chatType } from '../doctypes/chat.js';
import { presentationType } from '../doctypes/presentation.js';
import { createClassDoc, historyType } from '../doctypes/replay.js';
import type { DocType } from '../doctypes/types.js';
import { whiteboardType } from '../doctypes/whiteboard.js';
import { ClassroomMedia, type ConnectionQuality, type MediaKind } from '../media/classroomMedia.js';
import { MESSAGE_SIGNED_CONTROL } from '../protocol/messageTypes.js';
import { PeerclassProvider, randomPeerId } from '../provider/peerclassProvider.js';
import { classroomTopology, isTeacher, meshTopology, withoutPeers, type Role, type Topology } from '../topology/index.js';
import type { RtcImplementation } from '../transport/peerConnection.js';
import type { WebSocketConstructorLike } from '../transport/signalingClient.js';

/** Options of {@link Classroom.create}. `classId`, `secret` and `teacherKey` come from the join link. */
export interface ClassroomOptions {
  /** Relay URL(s). */
  signaling: string | string[];
  classId: string;
  secret: string;
  /** The teacher public key (base64url) from the join link. */
  teacherKey: string;
  /** Present only on the teacher's peer; its public key must equal `teacherKey`. */
  identity?: TeacherIdentity;
  /** Display name. */
  name: string;
  /** Stable peer id; default random. */
  peerId?: string;
  /** WebRTC implementation (default the browser's; `@roamhq/wrtc` in Node). */
  rtc?: RtcImplementation;
  /** WebSocket constructor (default the global; `ws` in Node). */
  WebSocket?: WebSocketConstructorLike;
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Extra (third-party) doc types registered besides the built-ins (whiteboard, chat, presentation, history). */
  docTypes?: DocType<unknown>[];
  /** The class document; default `createClassDoc()`. */
  doc?: Y.Doc;
  /** `getUserMedia`/`getDisplayMedia` source; default `navigator.mediaDevices`. */
  mediaDevices?: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
  /** Teacher uplink budget for video, bits per second (see {@link ClassroomMedia.setUplinkBudget}). */
  uplinkBudget?: number;
  /** Receives reasons for dropped or ignored peer input. */
  log?: (reason: string) => void;
  /** Interval of the `getStats` quality poll (and bitrate refresh), ms; 0 turns it off. Default 2000. */
  statsIntervalMs?: number;
  /**
   * `'classroom'` (default): star around the teacher plus the stage, media per `shouldSendMedia` (topology).
   * `'mesh'`: everyone connects to and sends media to everyone (small groups; the benchmark's baseline).
   */
  mode?: 'classroom' | 'mesh';
}

/** A person in the class, as this peer sees it. */
export interface Participant {
  peerId: string;
  name: string;
  /** `teacher` only for a peer announcing the class's teacher key. */
  role: Role;
  /** When the hand was raised (the raiser's clock, ms), or null. */
  handRaisedAt: number | null;
  onStage: boolean;
  /** Reachable now (directly or through the teacher). */
  connected: boolean;
  quality?: ConnectionQuality;
}

/** Connection summary for a status bar. */
export interface ClassroomStatus {
  signaling: 'connecting' | 'connected' | 'disconnected';
  /** Number of peers reachable. */
  peers: number;
  synced: boolean;
}

/** Events of a {@link Classroom}. */
export interface ClassroomEvents {
  /** Everyone present changed in any way (list, hands, stage, connectivity, quality). */
  participants: (participants: Participant[]) => void;
  /** Someone appeared in the class (their presence arrived). */
  'participant-joined': (participant: Participant) => void;
  /** Someone left, was removed, or became unreachable. */
  'participant-left': (peerId: string) => void;
  stage: (peerId: string | null) => void;
  /** The raised-hand queue, oldest first. */
  hands: (queue: string[]) => void;
  status: (status: ClassroomStatus) => void;
  /** The teacher removed this peer; the classroom has left. */
  removed: () => void;
  /** The teacher ended the class. */
  ended: () => void;
  /** A control statement was forged, replayed or malformed; `writer` is the peer that sent or wrote it, when known. */
  rejected: (event: { reason: string; writer?: string }) => void;
  'track-subscribed': (event: { peerId: string; track: MediaStreamTrack; stream: MediaStream; kind: MediaKind }) => void;
  'track-unsubscribed': (event: { peerId: string; track: MediaStreamTrack }) => void;
  quality: (event: { peerId: string; quality: ConnectionQuality }) => void;
}

/** Name of the awareness field the classroom keeps its presence in. */
export const CLASSROOM_AWARENESS_FIELD = 'classroom';

/** What each peer announces in awareness under {@link CLASSROOM_AWARENESS_FIELD}. */
interface Presence {
  peerId: string;
  name: string;
  role: Role;
  hand: number | null;
  /** Stream id of the screen share, so receivers tell it from the camera. */
  screen: string | null;
}

function readPresence(state: unknown): Presence | null {
  if (typeof state !== 'object' || state === null) return null;
  const p = (state as Record<string, unknown>)[CLASSROOM_AWARENESS_FIELD];
  if (typeof p !== 'object' || p === null) return null;
  const r = p as Record<string, unknown>;
  if (typeof r.peerId !== 'string' || r.peerId.length > 200) return null;
  return {
    peerId: r.peerId,
    name: typeof r.name === 'string' ? r.name.slice(0, 200) : '',
    role: r.role === 'teacher' ? 'teacher' : 'student',
    hand: typeof r.hand === 'number' && Number.isFinite(r.hand) ? r.hand : null,
    screen: typeof r.screen === 'string' && r.screen.length <= 200 ? r.screen : null,
  };
}

/**
 * Time the teacher's removal statement gets to reach the removed student before links to it are closed;
 * closing at once would abort the data channel carrying it and the student would keep redialling.
 */
const REMOVAL_GRACE_MS = 600;

/** How long a joining student waits to hear of the teacher before falling back to a mesh with the other students. */
const TEACHER_SETTLE_MS = 1500;

/**
 * One class: documents + peers + roles + media, with typed events.
 *
 * Peers connect in the classroom topology (star around the teacher, plus the staged student to everyone),
 * minus students the teacher removed. Teacher-only actions are signed control statements: written into the
 * document's control map (late joiners get them by sync) and sent at once as peer message 19.
 */
export class Classroom extends ObservableV2<ClassroomEvents> {
  readonly peerId: string;
  readonly role: Role;
  readonly name: string;
  readonly classId: string;
  readonly teacherKey: string;
  readonly ydoc: Y.Doc;
  readonly provider: PeerclassProvider;
  readonly control: ControlState;
  readonly documents: DocumentSet;
  readonly media: ClassroomMedia;
  private presence: Presence;
  private lastParticipants = '';
  /** Others present and reachable at the last `participants` event, for joined/left events. */
  private present = new Set<string>();
  private lastHands = '';
  private lastStage: string | null = null;
  private signalingStatus: ClassroomStatus['signaling'] = 'connecting';
  private endedEmitted = false;
  private left = false;
  private removalTimer: ReturnType<typeof setTimeout> | null = null;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Teachers whose presence left (graceful leave, or unreachable). Signaling never forgets a peer, so without
   * this a departed teacher would still count as present and students would stay in a star around nobody.
   * A peer leaves this set when it connects again (it dials us or answers our dial).
   */
  private readonly departed = new Set<string>();
  /** Peer id per awareness client, remembered so a removed state can still be attributed. */
  private readonly clientPeers = new Map<number, string>();

  /** Joins a class. Resolves once the control state held in `options.doc` (if any) is verified. */
  static async create(options: ClassroomOptions): Promise<Classroom> {
    if (options.identity !== undefined && options.identity.publicKey !== options.teacherKey) {
      throw new Error('Classroom.create: the identity does not hold the teacher key of this class (identity.publicKey !== teacherKey)');
    }
    const peerId = options.peerId ?? randomPeerId();
    const teacherProof = options.identity !== undefined ? await signTeacherProof(options.identity, options.classId, peerId) : undefined;
    const classroom = new Classroom(options, peerId, teacherProof);
    await classroom.control.ready;
    return classroom;
  }

  private constructor(options: ClassroomOptions, peerId: string, teacherProof: string | undefined) {
    super();
    this.peerId = peerId;
    this.role = options.identity !== undefined ? 'teacher' : 'student';
    this.name = options.name;
    this.classId = options.classId;
    this.teacherKey = options.teacherKey;
    this.ydoc = options.doc ?? createClassDoc();
    this.presence = { peerId: this.peerId, name: this.name, role: this.role, hand: null, screen: null };

    this.control = new ControlState({
      doc: this.ydoc, classId: options.classId, teacherKey: options.teacherKey, identity: options.identity,
      resolveWriter: (clientId) => readPresence(this.provider.awareness.getStates().get(clientId))?.peerId,
    });
    this.documents = new DocumentSet(this.ydoc, { peerId: this.peerId, name: this.name, role: this.role }, {
      isBoardLocked: () => this.control.boardLocked(),
    });
    for (const type of [whiteboardType, chatType, presentationType, historyType, ...(options.docTypes ?? [])]) {
      this.documents.register(type as DocType<unknown>);
    }

    const mesh = options.mode === 'mesh';
    const classroom = classroomTopology({ getStage: () => this.control.stage(), teacherKey: options.teacherKey });
    const joinedAt = Date.now();
    const settled: Topology = {
      name: classroom.name,
      neighbours: (self, known) => {
        // Announcements arrive one by one: a student that heard of other students before the teacher would open
        // fallback-mesh links only to close them a moment later. Hold student–student links until the teacher is
        // heard of or the settle time passed (then the no-teacher mesh applies).
        const teacherKnown = [self, ...known].some((p) => isTeacher(p, options.teacherKey));
        if (!teacherKnown && Date.now() - joinedAt < TEACHER_SETTLE_MS) return new Set();
        return classroom.neighbours(self, known);
      },
    };
    const topology = withoutPeers(mesh ? meshTopology : settled, () => {
      const excluded = this.control.removed();
      for (const peerId of this.departed) excluded.add(peerId);
      return excluded;
    });
    this.settleTimer = setTimeout(() => { this.settleTimer = null; this.provider.refreshTopology(); }, TEACHER_SETTLE_MS);
    this.provider = new PeerclassProvider(options.classId, this.ydoc, {
      signaling: options.signaling, secret: options.secret, rtc: options.rtc, WebSocket: options.WebSocket,
      iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy, topology, peerId: this.peerId,
      self: { role: this.role, name: this.name, ...(teacherProof !== undefined ? { teacherKey: options.teacherKey, teacherProof } : {}) },
      // The teacher key is in every join link: a teacher claim counts only with a signature by that key over the
      // claimer's own peer id. Anyone else announcing the teacher role is treated as a student and reported.
      verifyPeer: async (peer) => {
        if (peer.role !== 'teacher') return peer;
        if (peer.teacherKey === options.teacherKey && await verifyTeacherProof(options.teacherKey, options.classId, peer.peerId, peer.teacherProof)) return peer;
        this.emit('rejected', [{ reason: 'forged-teacher: a peer claimed the teacher role without proof of the teacher key', writer: peer.peerId }]);
        return { peerId: peer.peerId, role: 'student', ...(peer.name !== undefined ? { name: peer.name } : {}) };
      },
      connect: false, log: options.log,
    });
    this.provider.engine.registerChannel(MESSAGE_SIGNED_CONTROL, (payload, { origin }) => {
      // Only well-formed containers travel on; the signature check is async and done by every receiver anyway.
      if (decodeSignedControl(payload) === null) return 'drop';
      void this.control.ingest(Uint8Array.from(payload), origin);
      return 'forward';
    });

    this.media = new ClassroomMedia({
      provider: this.provider, teacherKey: options.teacherKey, getStage: () => this.control.stage(),
      screenStreamOf: (peerId) => this.presenceOf(peerId)?.screen ?? null,
      onScreenStream: (id) => this.updatePresence({ screen: id }),
      mediaDevices: options.mediaDevices, uplinkBudget: options.uplinkBudget, statsIntervalMs: options.statsIntervalMs, ...(mesh ? { sendRule: () => true } : {}),
      callbacks: {
        trackSubscribed: (e) => this.emit('track-subscribed', [e]),
        trackUnsubscribed: (e) => this.emit('track-unsubscribed', [e]),
        quality: (e) => { this.emit('quality', [e]); this.emitParticipants(); },
      },
    });

    this.control.on('change', this.onControlChange);
    this.control.on('rejected', (r) => {
      this.emit('rejected', [{ reason: `${r.reason}: ${r.detail}`, ...(r.writer !== undefined ? { writer: r.writer } : {}) }]);
    });
    this.provider.on('status', ({ status }) => { this.signalingStatus = status; this.emitStatus(); });
    this.provider.on('synced', () => this.emitStatus());
    this.provider.on('peers', () => {
      // The provider accepts a connection a peer dials on a newer view than ours (e.g. before we heard the stage)
      // and only re-checks on its own inputs; re-checking here closes links both views no longer want.
      this.provider.refreshTopology();
      this.emitStatus();
      this.emitParticipants();
      this.media.reevaluate();
    });
    this.provider.awareness.on('change', this.onAwarenessChange);
    this.provider.on('peer-connection', this.onPeerConnection);
    this.provider.awareness.setLocalStateField(CLASSROOM_AWARENESS_FIELD, this.presence);
    this.provider.connect();
  }

  /** The API of a registered doc type, e.g. `classroom.doc(whiteboardType)`. */
  doc<Api>(type: DocType<Api>): Api {
    return this.documents.get(type);
  }

  /** Everyone in the class as this peer sees it (itself first), without removed students. */
  participants(): Participant[] {
    const removed = this.control.removed();
    const stage = this.control.stage();
    const reachable = new Set(this.provider.reachablePeers());
    const known = new Map(this.provider.knownPeers().map((p) => [p.peerId, p]));
    const presences = new Map<string, Presence>();
    for (const state of this.provider.awareness.getStates().values()) {
      const p = readPresence(state);
      if (p !== null) presences.set(p.peerId, p);
    }
    const out: Participant[] = [{
      peerId: this.peerId, name: this.name, role: this.role, handRaisedAt: this.presence.hand, onStage: stage === this.peerId, connected: true,
    }];
    const ids = new Set([...presences.keys(), ...reachable]);
    for (const id of ids) {
      if (id === this.peerId || removed.has(id)) continue;
      const info = known.get(id);
      const presence = presences.get(id);
      const participant: Participant = {
        peerId: id,
        name: presence?.name ?? info?.name ?? '',
        // Believe a teacher claim only with the class key (the signaling announcement carries it).
        role: info !== undefined && isTeacher(info, this.teacherKey) ? 'teacher' : 'student',
        handRaisedAt: presence?.hand ?? null,
        onStage: stage === id,
        connected: reachable.has(id),
      };
      const quality = this.media.qualityOf(id);
      if (quality !== undefined) participant.quality = quality;
      out.push(participant);
    }
    return out;
  }

  /** The peer on stage, or null. */
  stage(): string | null {
    return this.control.stage();
  }

  /** Peer ids with a raised hand, oldest raise first. */
  handQueue(): string[] {
    return this.participants()
      .filter((p) => p.handRaisedAt !== null && p.role === 'student')
      .sort((a, b) => a.handRaisedAt! - b.handRaisedAt! || (a.peerId < b.peerId ? -1 : 1))
      .map((p) => p.peerId);
  }

  /** Raises this peer's hand (kept in its own awareness state, so only it can change it). */
  raiseHand(): void {
    if (this.presence.hand === null) this.updatePresence({ hand: Date.now() });
  }

  /** Lowers this peer's hand. */
  lowerHand(): void {
    if (this.presence.hand !== null) this.updatePresence({ hand: null });
  }

  /** Teacher: puts a student on stage (null: nobody). */
  async setStage(peerId: string | null): Promise<void> {
    await this.issue('setStage', 'stage', { peerId });
  }

  /** Teacher: removes a student; every peer disconnects it. */
  async removeStudent(peerId: string): Promise<void> {
    await this.issue('removeStudent', 'remove', { peerId });
  }

  /** Teacher: locks or unlocks the board for students. */
  async lockBoard(locked: boolean): Promise<void> {
    await this.issue('lockBoard', 'board-lock', { locked });
  }

  /** Teacher: asks one peer or everyone to mute (or unmute). */
  async requestMute(peerId: string | 'all', muted: boolean): Promise<void> {
    await this.issue('requestMute', 'mute-request', { peerId, muted });
  }

  /** Teacher: sets the current slide and whether students follow it. */
  async setSlide(index: number, follow: boolean): Promise<void> {
    await this.issue('setSlide', 'slide', { slideIndex: index, follow });
  }

  /** Teacher: ends the class. */
  async endClass(): Promise<void> {
    await this.issue('endClass', 'end-class', {});
  }

  /** Leaves the class: stops media, closes connections. The Y.Doc is left as it is. */
  leave(): void {
    if (this.left) return;
    this.left = true;
    if (this.removalTimer !== null) clearTimeout(this.removalTimer);
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.provider.awareness.off('change', this.onAwarenessChange);
    this.provider.off('peer-connection', this.onPeerConnection);
    this.control.off('change', this.onControlChange);
    this.media.destroy();
    this.provider.destroy();
    this.control.destroy();
    this.documents.destroy();
  }

  /** Same as {@link leave}; also drops listeners. */
  override destroy(): void {
    this.leave();
    super.destroy();
  }

  private async issue<K extends ControlKind>(action: string, kind: K, body: ControlBodies[K]): Promise<void> {
    if (this.role !== 'teacher') throw new Error(`Classroom.${action}: only the teacher can do this`);
    if (this.left) throw new Error(`Classroom.${action}: the classroom was left`);
    const bytes = await this.control.issue(kind, body);
    // The control map carries it too, but as a doc update it waits behind other sync; message 19 goes at once.
    this.provider.engine.broadcast(MESSAGE_SIGNED_CONTROL, bytes);
  }

  private presenceOf(peerId: string): Presence | null {
    for (const state of this.provider.awareness.getStates().values()) {
      const p = readPresence(state);
      if (p?.peerId === peerId) return p;
    }
    return null;
  }

  private updatePresence(change: Partial<Presence>): void {
    this.presence = { ...this.presence, ...change };
    if (!this.left) this.provider.awareness.setLocalStateField(CLASSROOM_AWARENESS_FIELD, this.presence);
  }

  private readonly onPeerConnection = (_connection: unknown, peer: { peerId: string }): void => {
    // A departed peer that dials us again (e.g. the teacher back online) is present again.
    if (this.departed.delete(peer.peerId)) queueMicrotask(() => { if (!this.left) this.provider.refreshTopology(); });
  };

  private readonly onAwarenessChange = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const states = this.provider.awareness.getStates();
    for (const clientId of [...added, ...updated]) {
      const peerId = readPresence(states.get(clientId))?.peerId;
      if (peerId !== undefined) { this.clientPeers.set(clientId, peerId); this.departed.delete(peerId); }
    }
    let left = false;
    for (const clientId of removed) {
      const peerId = this.clientPeers.get(clientId);
      this.clientPeers.delete(clientId);
      if (peerId === undefined || peerId === this.peerId) continue;
      // Another client of the same peer id (a reload) may already be present.
      if ([...this.clientPeers.values()].includes(peerId)) continue;
      // Only the teacher: the engine also drops the presence of peers that are merely unreachable for a moment
      // (a student behind the departed hub), and excluding those would keep the fallback mesh from forming.
      const info = this.provider.knownPeers().find((p) => p.peerId === peerId);
      if (info === undefined || !isTeacher(info, this.teacherKey)) continue;
      this.departed.add(peerId);
      left = true;
    }
    if (left) this.provider.refreshTopology();
    this.emitParticipants();
  };

  private readonly onControlChange = (kinds: ControlKind[]): void => {
    if (this.left) return;
    if (this.control.removed().has(this.peerId)) {
      this.emit('removed', []);
      this.leave();
      return;
    }
    if (kinds.includes('remove')) {
      if (this.removalTimer === null) {
        this.removalTimer = setTimeout(() => { this.removalTimer = null; this.provider.refreshTopology(); }, REMOVAL_GRACE_MS);
      }
    } else {
      this.provider.refreshTopology();
    }
    if (kinds.includes('mute-request')) {
      const muted = this.control.muteRequestFor(this.peerId);
      if (muted !== null) this.media.applyMuteRequest(muted);
    }
    this.media.reevaluate();
    const stage = this.control.stage();
    if (stage !== this.lastStage) {
      this.lastStage = stage;
      this.emit('stage', [stage]);
    }
    if (this.control.ended() && !this.endedEmitted) {
      this.endedEmitted = true;
      this.emit('ended', []);
    }
    this.emitParticipants();
  };

  private emitStatus(): void {
    if (this.left) return;
    this.emit('status', [{ signaling: this.signalingStatus, peers: this.provider.reachablePeers().length, synced: this.provider.synced }]);
  }

  private emitParticipants(): void {
    if (this.left) return;
    const participants = this.participants();
    const key = JSON.stringify(participants);
    if (key !== this.lastParticipants) {
      this.lastParticipants = key;
      const present = new Set<string>();
      for (const p of participants) {
        if (p.peerId === this.peerId || !p.connected) continue;
        present.add(p.peerId);
        if (!this.present.has(p.peerId)) this.emit('participant-joined', [p]);
      }
      for (const peerId of this.present) if (!present.has(peerId)) this.emit('participant-left', [peerId]);
      this.present = present;
      this.emit('participants', [participants]);
    }
    const hands = this.handQueue();
    const handsKey = JSON.stringify(hands);
    if (handsKey !== this.lastHands) {
      this.lastHands = handsKey;
      this.emit('hands', [hands]);
    }
  }
}
