import { ObservableV2 } from 'lib0/observable';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import type { ControlBodies, ControlKind } from '../authority/control.js';
import { ControlChannel } from '../authority/controlChannel.js';
import { ControlState } from '../authority/controlState.js';
import { signTeacherProof, verifyTeacherProof } from '../authority/teacherProof.js';
import { chatType } from '../doctypes/chat.js';
import { DocumentSet } from '../doctypes/documentSet.js';
import { presentationType } from '../doctypes/presentation.js';
import { createClassDoc, historyType } from '../doctypes/replay.js';
import { PermissionError, type AnyDocType, type DocType } from '../doctypes/types.js';
import { whiteboardType } from '../doctypes/whiteboard.js';
import { ClassroomMedia, meshSendRule } from '../media/index.js';
import type { Role } from '../protocol/announce.js';
import { decodePresence } from '../protocol/presence.js';
import type { PeerIdentity } from '../identity/peerIdentity.js';
import type { ClassNetwork, PeersChange } from '../provider/network.js';
import { PeerclassProvider, randomPeerId } from '../provider/peerclassProvider.js';
import { isTeacher, type PeerInfo } from '../topology/index.js';
import { Admission } from './admission.js';
import { classOtherTypes, classPolicyContext, LOCKED_BY_BOARD_LOCK } from './classPolicies.js';
import { createClassTopology, TEACHER_SETTLE_MS } from './classTopology.js';
import { resolvePeerIdentity } from './classIdentity.js';
import { listParticipants, handQueue, ParticipantsDiff, standbyOf } from './participants.js';
import { PresenceBoard } from './presenceBoard.js';
import { DepartedTeachers } from './departedTeachers.js';
import { LectureMode } from '../media/lecture/lectureMode.js';
import type { ClassroomEvents, ClassroomOptions, ClassroomStatus, Participant } from './types.js';

/** Time the removal statement gets to reach the removed student before links to it close (else it keeps redialling). */
const REMOVAL_GRACE_MS = 600;

/**
 * One class: documents + peers + roles + media, with typed events. A wiring of small parts: the provider (network),
 * the signed control state and its channel (authority), presence in awareness, the class topology, media.
 *
 * Peers connect in the classroom topology (star around the teacher, plus the staged student to everyone),
 * minus students the teacher removed. Teacher-only actions are signed control statements: written into the
 * document's control map (late joiners get them by sync) and sent at once on the control channel (message 19).
 */
export class Classroom extends ObservableV2<ClassroomEvents> {
  readonly peerId: string;
  readonly role: Role;
  readonly name: string;
  readonly classId: string;
  readonly teacherKey: string;
  /** The class document (every doc type lives in it). */
  readonly ydoc: Y.Doc;
  /** The class's network: awareness, peers, routed channels. */
  readonly network: ClassNetwork;
  readonly documents: DocumentSet;
  readonly media: ClassroomMedia;
  readonly #provider: PeerclassProvider;
  readonly #control: ControlState;
  private readonly controlChannel: ControlChannel;
  readonly #presence: PresenceBoard;
  /**
   * Lecture mode: the teacher's (and the staged student's) media through the SFU past a class size. Read `route`;
   * `publisherConnection()` / `subscriberConnection()` are the SFU connections, for stats.
   */
  readonly lecture: LectureMode;
  /** Who takes part: the lobby, admit / deny, the roster, the admission mode (teacher actions need the key). */
  readonly admission: Admission;
  readonly #diff = new ParticipantsDiff();
  readonly #departed: DepartedTeachers;
  #lastStage: string | null = null;
  #endedEmitted = false;
  #left = false;
  /** Set once every part exists: awareness fires while the parts are still being wired. */
  #wired = false;
  #removalTimer: ReturnType<typeof setTimeout> | null = null;
  #settleTimer: ReturnType<typeof setTimeout> | null = null;

  /** Joins a class. Resolves once the control state held in `options.doc` (if any) is verified. */
  static async create(options: ClassroomOptions): Promise<Classroom> {
    if (options.identity !== undefined && options.identity.publicKey !== options.teacherKey) {
      throw new PermissionError('join as teacher with an identity that does not hold this class\'s teacher key');
    }
    const peerIdentity = await resolvePeerIdentity(options);
    const peerId = peerIdentity?.peerId ?? options.peerId ?? randomPeerId();
    const teacherProof = options.identity !== undefined ? await signTeacherProof(options.identity, options.classId, peerId) : undefined;
    const classroom = new Classroom(options, peerId, teacherProof, peerIdentity);
    await classroom.#control.ready;
    return classroom;
  }

  private constructor(options: ClassroomOptions, peerId: string, teacherProof: string | undefined, peerIdentity: PeerIdentity | undefined) {
    super();
    this.peerId = peerId;
    this.role = options.identity !== undefined ? 'teacher' : 'student';
    this.name = options.name;
    this.classId = options.classId;
    this.teacherKey = options.teacherKey;
    this.ydoc = options.doc ?? createClassDoc();
    // Policies judge by the signed origin: without a key (a fixed test peerId) authorship is a claim.
    const writePolicies = options.writePolicies ?? peerIdentity !== undefined;

    this.#control = new ControlState({
      doc: this.ydoc, classId: options.classId, teacherKey: options.teacherKey, identity: options.identity,
      // The awareness client's sender (verified in signed mode) over what its presence claims.
      resolveWriter: (clientId) => this.#provider.awarenessOrigin(clientId) ?? decodePresence(this.#provider.awareness.getStates().get(clientId))?.peerId,
    });
    this.documents = new DocumentSet(this.ydoc, { peerId: this.peerId, name: this.name, role: this.role }, {
      readOnly: (docType) => this.role === 'student' && LOCKED_BY_BOARD_LOCK.has(docType) && this.#control.boardLocked(),
      ...(writePolicies ? { policies: { otherTypes: classOtherTypes(options.classId), context: classPolicyContext({
        selfId: peerId, role: this.role, teacherKey: options.teacherKey, control: this.#control, knownPeers: () => this.network.knownPeers(),
      }) } } : {}),
    });
    this.documents.on('rejected', (r) => {
      this.emit('rejected', [{ reason: 'write-policy', detail: `${r.docType ?? 'document'}: ${r.code}: ${r.reason}`, writer: r.author }]);
    });
    for (const type of [whiteboardType, chatType, presentationType, historyType, ...(options.docTypes ?? [])]) this.documents.register(type);

    this.admission = new Admission({
      selfId: peerId, isTeacherSelf: this.role === 'teacher', teacherKey: options.teacherKey, control: this.#control,
      knownPeers: () => this.network.knownPeers(),
      issue: (kind, body) => this.#issue('admit students', kind, body),
      onLobby: (knocks) => { if (!this.#left) this.emit('lobby', [knocks]); },
      log: (reason) => options.log?.(reason),
    });
    const mode = options.mode ?? 'classroom';
    const topology = createClassTopology({
      teacherKey: options.teacherKey, mode, getStage: () => this.#control.stage(),
      // The head of the hand queue is linked to every student (data-only) so staging it is only a renegotiation.
      getStandby: () => (this.#wired && !this.#left ? standbyOf(this.participants(), this.#control.stage()) : null),
      getExcluded: () => new Set([...this.#control.removed(), ...(this.#departed?.ids() ?? []), ...this.admission.excluded()]),
    });
    this.#settleTimer = setTimeout(() => { this.#settleTimer = null; this.#provider.refreshTopology(); }, TEACHER_SETTLE_MS);
    this.#provider = new PeerclassProvider(options.classId, this.ydoc, {
      signaling: options.signaling, secret: options.secret, rtc: options.rtc, WebSocket: options.WebSocket,
      iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy, topology,
      ...(peerIdentity !== undefined ? { identity: peerIdentity } : { peerId: this.peerId }),
      admitPeer: (id) => this.admission.admits(id),
      ...((options.relayToken ?? options.token) !== undefined ? { token: options.relayToken ?? options.token } : {}),
      self: { role: this.role, name: this.name, ...(teacherProof !== undefined ? { teacherKey: options.teacherKey, teacherProof } : {}) },
      verifyPeer: (peer) => this.#verifyPeer(peer),
      ...(writePolicies ? { updateGate: this.documents.gate() } : {}),
      connect: false, log: options.log,
    });
    this.network = this.#provider;
    this.#departed = new DepartedTeachers({
      network: this.network, teacherKey: options.teacherKey, present: (id) => this.#presence.present(id),
      left: () => this.#left, changed: () => this.#provider.refreshTopology(),
    });
    this.controlChannel = new ControlChannel(this.network, this.#control);

    this.#presence = new PresenceBoard(this.network.awareness, { peerId, name: this.name, role: this.role, hand: null, screen: null, sfu: null }, {
      onChange: () => { this.#emitParticipants(); this.#wired && this.lecture.reevaluate(); },
      onGone: (id) => this.#departed.onPresenceGone(id),
      originOf: (clientId) => this.#provider.awarenessOrigin(clientId),
    });

    this.media = new ClassroomMedia({
      network: this.network, teacherKey: options.teacherKey, getStage: () => this.#control.stage(),
      screenStreamOf: (id) => this.#presence.of(id)?.screen ?? null,
      mediaDevices: options.mediaDevices, uplinkBudget: options.uplinkBudget, statsIntervalMs: options.statsIntervalMs,
      ...(mode === 'mesh' ? { sendRule: meshSendRule } : {}),
      sendsPeerToPeer: () => this.lecture.sendsPeerToPeer(),
    });
    this.lecture = new LectureMode({
      classId: options.classId, secret: options.secret, selfId: peerId, teacherIdentity: options.identity, media: this.media,
      rtc: options.rtc?.RTCPeerConnection, iceServers: () => options.iceServers ?? [],
      relaySfuUrl: () => this.#provider.sfuUrl(),
      students: () => this.participants().filter((p) => p.role === 'student' && p.connected && p.peerId !== this.peerId && !this.admission.isKeeper(p.peerId)).map((p) => p.peerId),
      teacherId: () => (this.role === 'teacher' ? this.peerId : this.network.knownPeers().find((p) => isTeacher(p, this.teacherKey))?.peerId ?? null),
      presenceOf: (id) => (id === this.peerId ? this.#presence.own : this.#presence.of(id)),
      stage: () => this.#control.stage(),
      announce: (sfu) => this.#presence.update({ sfu }),
      onChange: (active) => { if (!this.#left) this.emit('lecture', [active]); },
      log: (reason) => options.log?.(reason),
    }, mode === 'mesh' ? { enabled: false } : options.lecture ?? {});
    this.media.on('local-tracks', () => this.lecture.reevaluate());
    this.media.on('screen-stream', ({ streamId }) => this.#presence.update({ screen: streamId }));
    this.media.on('track-subscribed', (e) => this.emit('track-subscribed', [e]));
    this.media.on('track-unsubscribed', (e) => this.emit('track-unsubscribed', [e]));
    this.media.on('quality', (e) => { this.emit('quality', [e]); this.#emitParticipants(); });

    this.#control.on('change', this.#onControlChange);
    this.#control.on('rejected', (r) => {
      this.emit('rejected', [{ reason: r.reason, detail: r.detail, ...(r.writer !== undefined ? { writer: r.writer } : {}) }]);
    });
    this.network.on('status', this.#emitStatus);
    this.network.on('synced', this.#emitStatus);
    this.network.on('peers', this.#onPeers);
    this.network.on('known-peers', () => this.admission.review());
    this.network.on('peer-connection', this.#departed.onPeerConnection);
    this.network.on('sfu', () => this.lecture.reevaluate());
    this.network.on('auth-failure', (f) => this.emit('rejected', [{ reason: `signature:${f.reason}`, detail: f.detail, writer: f.peer }]));
    this.#wired = true;
    this.#provider.connect();
  }

  /** The awareness synced with the class (presence, cursors, laser pointer). */
  get awareness(): Awareness {
    return this.network.awareness;
  }

  /** The API of a registered doc type, e.g. `classroom.doc(whiteboardType)`. */
  doc<Api>(type: DocType<Api>): Api {
    return this.documents.get(type);
  }

  /** Everyone in the class as this peer sees it (itself first), without removed students. */
  participants(): Participant[] {
    const own = this.#presence.own;
    const stage = this.#control.stage();
    return listParticipants({
      self: { peerId: this.peerId, name: this.name, role: this.role, handRaisedAt: own.hand, onStage: stage === this.peerId, connected: true },
      teacherKey: this.teacherKey, presences: this.#presence.all(), known: this.network.knownPeers(),
      reachable: this.network.reachablePeers(), removed: new Set([...this.#control.removed(), ...this.admission.excluded()]),
      roster: this.#control.roster(), stage,
      qualityOf: (id) => this.media.qualityOf(id),
    });
  }

  /** Connection summary (also emitted as `status`). */
  status(): ClassroomStatus {
    return { signaling: this.network.status, peers: this.network.reachablePeers().length, synced: this.network.synced };
  }

  /** The peer on stage, or null. */
  stage(): string | null {
    return this.#control.stage();
  }

  /** Whether the teacher locked the board for students. */
  boardLocked(): boolean {
    return this.#control.boardLocked();
  }

  /** The teacher's current slide and whether students follow it, or null before the teacher set one. */
  slide(): ControlBodies['slide'] | null {
    return this.#control.slide();
  }

  /** Whether the teacher asked `peerId` (default this peer) to mute (true), to unmute (false), or neither (null). */
  muteRequested(peerId: string = this.peerId): boolean | null {
    return this.#control.muteRequestFor(peerId);
  }

  /** Whether the teacher removed `peerId`. */
  isRemoved(peerId: string): boolean {
    return this.#control.removed().has(peerId);
  }

  /** Whether the teacher ended the class. */
  ended(): boolean {
    return this.#control.ended();
  }

  /** Peer ids with a raised hand, oldest raise first. */
  handQueue(): string[] {
    return handQueue(this.participants());
  }

  /** Raises this peer's hand (kept in its own awareness state, so only it can change it). */
  raiseHand(): void {
    if (this.#presence.own.hand === null) this.#presence.update({ hand: Date.now() });
  }

  /** Lowers this peer's hand. */
  lowerHand(): void {
    if (this.#presence.own.hand !== null) this.#presence.update({ hand: null });
  }

  /** Teacher: puts a student on stage (null: nobody). */
  async setStage(peerId: string | null): Promise<void> {
    await this.#issue('put a student on stage', 'stage', { peerId });
  }

  /** Teacher: removes a student; every peer disconnects it. */
  async removeStudent(peerId: string): Promise<void> {
    await this.#issue('remove a student', 'remove', { peerId });
  }

  /** Teacher: locks or unlocks the board for students. */
  async lockBoard(locked: boolean): Promise<void> {
    await this.#issue('lock the board', 'board-lock', { locked });
  }

  /** Teacher: asks one peer or everyone to mute (or unmute). */
  async requestMute(peerId: string | 'all', muted: boolean): Promise<void> {
    await this.#issue('ask students to mute', 'mute-request', { peerId, muted });
  }

  /** Teacher: sets the current slide and whether students follow it. */
  async setSlide(index: number, follow: boolean): Promise<void> {
    await this.#issue('set the slide', 'slide', { slideIndex: index, follow });
  }

  /** Teacher: ends the class. */
  async endClass(): Promise<void> {
    await this.#issue('end the class', 'end-class', {});
  }

  /** Leaves the class: stops media, closes connections. The Y.Doc is left as it is. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    if (this.#removalTimer !== null) clearTimeout(this.#removalTimer);
    if (this.#settleTimer !== null) clearTimeout(this.#settleTimer);
    this.#presence.close();
    this.network.off('peer-connection', this.#departed.onPeerConnection);
    this.network.off('peers', this.#onPeers);
    this.#control.off('change', this.#onControlChange);
    this.lecture.destroy();
    this.media.destroy();
    this.controlChannel.close();
    this.#provider.destroy();
    this.#control.destroy();
    this.documents.destroy();
  }

  /** Same as {@link leave}; also drops listeners. */
  override destroy(): void {
    this.leave();
    super.destroy();
  }

  async #issue<K extends ControlKind>(action: string, kind: K, body: ControlBodies[K]): Promise<void> {
    if (this.role !== 'teacher') throw new PermissionError(action);
    if (this.#left) throw new Error(`Classroom: cannot ${action}: the classroom was left`);
    await this.controlChannel.issue(kind, body);
  }

  /**
   * The teacher key is in every join link: a teacher claim counts only with a signature by that key over the
   * claimer's own peer id. Anyone else announcing the teacher role is treated as a student and reported.
   */
  async #verifyPeer(peer: PeerInfo): Promise<PeerInfo> {
    if (peer.role !== 'teacher') return peer;
    if (peer.teacherKey === this.teacherKey && await verifyTeacherProof(this.teacherKey, this.classId, peer.peerId, peer.teacherProof)) return peer;
    this.emit('rejected', [{ reason: 'forged-teacher', detail: 'a peer claimed the teacher role without proof of the teacher key', writer: peer.peerId }]);
    return { peerId: peer.peerId, role: 'student', ...(peer.name !== undefined ? { name: peer.name } : {}) };
  }

  readonly #onPeers = (change: PeersChange): void => {
    if (change.added.length > 0 && this.admission.isKeeper(this.peerId)) this.controlChannel.resend('keeper');
    // The provider accepts a connection a peer dials on a newer view than ours (e.g. before we heard the stage)
    // and only re-checks on its own inputs; re-checking here closes links both views no longer want.
    this.admission.review();
    this.#provider.refreshTopology();
    this.#emitStatus();
    this.#emitParticipants();
    this.media.reevaluate();
  };

  readonly #onControlChange = (kinds: ControlKind[]): void => {
    if (this.#left) return;
    if (this.#control.removed().has(this.peerId)) {
      this.emit('removed', []);
      this.leave();
      return;
    }
    if (kinds.includes('admit') || kinds.includes('admission') || kinds.includes('remove')) this.admission.review();
    // The removed student's links close after a grace: the statement (sent right after this change) must reach it.
    if (kinds.includes('remove') && this.role === 'teacher') for (const id of this.#control.removed()) void this.lecture.kick(id);
    if (kinds.includes('remove')) {
      this.#removalTimer ??= setTimeout(() => { this.#removalTimer = null; this.#provider.reviewPeers(); }, REMOVAL_GRACE_MS);
    } else {
      this.#provider.reviewPeers();
    }
    if (kinds.includes('mute-request')) {
      const muted = this.muteRequested();
      if (muted !== null) this.media.applyMuteRequest(muted);
    }
    this.media.reevaluate();
    this.lecture.reevaluate();
    this.emit('control', [{ kinds }]);
    const stage = this.#control.stage();
    if (stage !== this.#lastStage) {
      this.#lastStage = stage;
      this.emit('stage', [stage]);
    }
    if (this.#control.ended() && !this.#endedEmitted) {
      this.#endedEmitted = true;
      this.emit('ended', []);
    }
    this.#emitParticipants();
  };

  readonly #emitStatus = (): void => {
    if (!this.#left && this.#wired) this.emit('status', [this.status()]);
  };

  #emitParticipants(): void {
    if (this.#left || !this.#wired) return;
    const change = this.#diff.next(this.participants(), this.peerId);
    for (const p of change.joined) this.emit('participant-joined', [p]);
    for (const id of change.left) this.emit('participant-left', [id]);
    if (change.participants !== null) this.emit('participants', [change.participants]);
    if (change.hands !== null) {
      // The standby (head of the hand queue) is a topology input: its links open or close as the queue changes.
      this.#provider.refreshTopology();
      this.emit('hands', [change.hands]);
    }
  }
}
