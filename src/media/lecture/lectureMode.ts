import type { TeacherIdentity } from '../../authority/identity.js';
import type { SfuPresence } from '../../protocol/presence.js';
import { ensureRoom, JanusSession, kickParticipant, SfuPublisher, sfuAdminSecret, sfuRoomFor, type SfuRoom } from '../sfu/index.js';
import { LectureSwitch, type MediaRoute } from './lectureSwitch.js';
import { randomFeedId, sameTracks } from './feeds.js';
import { RoomPolice } from './roomPolice.js';
import { SfuReceiving } from './sfuReceiving.js';
import type { LectureHost, LectureOptions } from './types.js';
export type { LectureHost, LectureOptions } from './types.js';

interface OwnPublication {
  url: string;
  room: number;
  publisher: SfuPublisher;
  feed: number;
  /** The tracks handed to the SFU (so a re-evaluation that changes nothing costs nothing). */
  sent: MediaStreamTrack[];
  /** The SFU carries this peer's media alone now: its peer connections stopped sending. */
  handedOver: boolean;
  /** Janus has our media (webrtcup): receivers can subscribe to the feed. */
  live: boolean;
  /** The latest time the peer-to-peer copy stops even if not every receiver confirmed, or null. */
  handoverDeadline: ReturnType<typeof setTimeout> | null;
}

/** How often the teacher checks who is in the SFU room, ms. */
const PATROL_MS = 5000;

/** Wait before retrying a failed SFU join or subscription, ms. */
const RETRY_MS = 2000;


/**
 * Lecture mode: past a class size (or a thin teacher uplink), the teacher's camera, microphone and screen go once to
 * the SFU (Janus VideoRoom) and students receive them there; the student on stage publishes there too. Data (board,
 * slides, chat) stays on the peer-to-peer topology.
 *
 * Only the teacher decides ({@link LectureSwitch}); it says so by announcing its SFU feed in its presence, which is
 * bound to its sender. Receivers subscribe to the feeds the verified teacher and the staged student announce in
 * their own presences, nothing else. A switch leaves no gap: the publisher sends on both routes until its receivers
 * announce that the SFU's media arrives (or `handoverMs` passed), then stops the peer-to-peer copy. Every participant
 * also joins the room as a silent publisher and announces that feed, so the teacher can kick a removed student.
 */
export class LectureMode {
  readonly #host: LectureHost;
  readonly #options: LectureOptions;
  readonly #switch: LectureSwitch;
  readonly #handoverMs: number;
  #room: Promise<SfuRoom> | null = null;
  #admin: Promise<string> | null = null;
  #session: { url: string; session: Promise<JanusSession> } | null = null;
  #roomReady: Promise<void> | null = null;
  #own: OwnPublication | null = null;
  #starting: Promise<void> | null = null;
  #publishRetryAt = 0;
  #receiving: SfuReceiving | null = null;
  #receivingBusy = false;
  #active = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #destroyed = false;
  readonly #police = new RoomPolice();
  #lastPatrol = 0;

  constructor(host: LectureHost, options: LectureOptions = {}) {
    this.#host = host;
    this.#options = options;
    this.#switch = new LectureSwitch(options);
    this.#handoverMs = options.handoverMs ?? 5000;
    if (host.teacherIdentity !== undefined && options.enabled !== false) {
      this.#timer = setInterval(() => this.reevaluate(), options.checkIntervalMs ?? 1000);
    }
  }

  /** `'sfu'` while the class is in lecture mode as this peer sees it (the teacher decided; students follow its presence). */
  get route(): MediaRoute {
    return this.#active ? 'sfu' : 'p2p';
  }

  /** Whether this peer's media still goes on its peer connections (false once handed over to the SFU). */
  sendsPeerToPeer(): boolean {
    return !(this.#own?.handedOver ?? false);
  }

  /** This peer's connection to the SFU carrying its media, if publishing (for stats). */
  publisherConnection(): RTCPeerConnection | null {
    return this.#own?.publisher.pc ?? null;
  }

  /** This peer's connection receiving others' media from the SFU, if any (for stats). */
  subscriberConnection(): RTCPeerConnection | null {
    return this.#receiving?.subscriber.pc ?? null;
  }

  /** The peer each track received from the SFU belongs to, by its mid on {@link subscriberConnection} (for stats). */
  receivedMids(): Map<string, string> {
    return this.#receiving?.mids() ?? new Map();
  }

  /** The SFU URL lecture mode uses now (the option, else the relay's assignment), or null. */
  sfuUrl(): string | null {
    return this.#options.sfuUrl ?? this.#host.relaySfuUrl();
  }

  /** Re-decides what to publish and receive; call on presence, stage, roster or local-track changes. */
  reevaluate(): void {
    if (this.#destroyed || this.#options.enabled === false) return;
    if (this.#host.teacherIdentity !== undefined) {
      const route = this.#switch.update({ students: this.#host.students().length, uplinkBps: this.#host.media.uplinkEstimate() });
      // No SFU known: stay peer to peer (a class without `--sfu` keeps working as before).
      this.#setActive(route === 'sfu' && this.sfuUrl() !== null);
    } else {
      this.#setActive(this.#teacherSfu() !== null);
    }
    this.#reconcilePublication();
    this.#checkHandover();
    this.#reconcileReceiving();
    if (this.#active && this.#own !== null && this.#host.teacherIdentity !== undefined && Date.now() - this.#lastPatrol >= PATROL_MS) {
      this.#lastPatrol = Date.now();
      void this.#patrol(this.#own);
    }
  }

  /** Teacher: kicks participants of the SFU room that no admitted peer announced (e.g. a removed student back with the pin). */
  async #patrol(own: OwnPublication): Promise<void> {
    const announced = [own.feed, ...this.#host.students().map((id) => this.#host.presenceOf(id)?.sfu?.feed ?? 0)];
    const secret = this.#adminSecret(this.#host.teacherIdentity!);
    await this.#police.patrol(own.publisher.handle, own.room, secret, new Set(announced), (m) => this.#host.log(`lecture: ${m}`));
  }

  /** Teacher: kicks a removed student's participant from the SFU room (its subscriptions go with it). */
  async kick(peerId: string): Promise<void> {
    const sfu = this.#host.presenceOf(peerId)?.sfu ?? null;
    const identity = this.#host.teacherIdentity;
    const own = this.#own;
    if (sfu === null || identity === undefined || own === null || sfu.room !== own.room) return;
    await this.#adminSecret(identity).then((secret) => kickParticipant(own.publisher.handle, own.room, secret, sfu.feed))
      .catch((err: unknown) => this.#host.log(`lecture: kicking ${peerId} from the SFU room failed: ${String(err)}`));
  }

  /** Leaves the SFU room and closes its connections. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#receiving?.close();
    this.#receiving = null;
    const own = this.#own;
    this.#own = null;
    if (own !== null) {
      if (own.handoverDeadline !== null) clearTimeout(own.handoverDeadline);
      void own.publisher.close();
    }
    const session = this.#session;
    this.#session = null;
    void session?.session.then((s) => s.close()).catch(() => undefined);
  }

  #setActive(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    this.#host.onChange(active);
  }

  #isTeacher(): boolean { return this.#host.teacherIdentity !== undefined; }

  /** The SFU feed the verified teacher announced (on the teacher: its own while it lectures), or null. */
  #teacherSfu(): SfuPresence | null {
    if (this.#isTeacher()) return this.#active ? this.#ownPresence() : null;
    const teacher = this.#host.teacherId();
    return teacher === null ? null : this.#host.presenceOf(teacher)?.sfu ?? null;
  }

  #ownPresence(): SfuPresence | null {
    const own = this.#own;
    if (own === null) return null;
    return { url: own.url, room: own.room, feed: own.feed, screenFeed: null, watching: this.#receiving?.flowing() ?? [], publishing: own.live && own.sent.length > 0 };
  }

  /** Derived once: a non-exportable teacher key gets a random secret, and every kick must use the room's first one. */
  #adminSecret(identity: TeacherIdentity): Promise<string> {
    return (this.#admin ??= sfuAdminSecret(identity, this.#host.classId).then((a) => a.secret));
  }

  #roomOf(): Promise<SfuRoom> {
    return (this.#room ??= sfuRoomFor(this.#host.classId, this.#host.secret));
  }

  #sessionFor(url: string): Promise<JanusSession> {
    if (this.#session?.url !== url) {
      void this.#session?.session.then((s) => s.close()).catch(() => undefined);
      const session = JanusSession.connect({ url, ...(this.#options.WebSocket !== undefined ? { WebSocket: this.#options.WebSocket } : {}) });
      session.then((s) => s.on('closed', () => { if (this.#session?.session === session) { this.#session = null; this.#roomReady = null; } }), (err: unknown) => {
        this.#host.log(`lecture: cannot reach the SFU at ${url}: ${String(err)}`);
        if (this.#session?.session === session) { this.#session = null; this.#roomReady = null; }
      });
      this.#session = { url, session };
      this.#roomReady = null;
    }
    return this.#session.session;
  }

  /** Which tracks this peer should send to the SFU now ([] = join silently), or null when it should not be in the room. */
  #wantedTracks(): MediaStreamTrack[] | null {
    if (!this.#active) return null;
    if (!this.#isTeacher() && this.#host.stage() !== this.#host.selfId) return [];
    const screen = this.#host.media.screenStreamId;
    const local = this.#host.media.localTracks();
    // The SFU client tells the screen from the camera by content hint (also the right hint for encoding a screen).
    for (const { track, stream } of local) if (stream.id === screen && track.kind === 'video' && track.contentHint === '') track.contentHint = 'detail';
    const order = (t: MediaStreamTrack): number => (t.kind === 'audio' ? 1 : t.contentHint === 'detail' ? 2 : 0);
    return local.map((l) => l.track).sort((a, b) => order(a) - order(b));
  }

  #reconcilePublication(): void {
    if (this.#starting !== null) return;
    const wanted = this.#wantedTracks();
    const own = this.#own;
    const url = this.sfuUrl();
    if (wanted === null || url === null) {
      if (own !== null) this.#stopPublishing(own);
      return;
    }
    if (own === null || own.url !== url) {
      if (own !== null) this.#stopPublishing(own);
      if (Date.now() < this.#publishRetryAt) return;
      this.#starting = this.#startPublishing(url, wanted).then((ok) => {
        this.#starting = null;
        if (!ok) { this.#publishRetryAt = Date.now() + RETRY_MS; setTimeout(() => this.reevaluate(), RETRY_MS); }
        if (!this.#destroyed) this.reevaluate();
      });
      return;
    }
    if (sameTracks(own.sent, wanted)) return;
    own.sent = wanted;
    own.publisher.setTracks(wanted).then(() => { if (wanted.length > 0) this.#whenLive(own); })
      .catch((err: unknown) => this.#host.log(`lecture: publishing to the SFU failed: ${String(err)}`));
    if (wanted.length === 0) { this.#takeBack(own); this.#announce(); } else this.#startHandover(own);
  }

  /** Announces the feed as live once Janus has its media: subscribing earlier gets 428 (no such feed). */
  #whenLive(own: OwnPublication): void {
    if (own.live) { this.#announce(); return; }
    own.publisher.whenUp().then(() => {
      own.live = true;
      if (this.#own === own) this.#announce();
    }, (err: unknown) => this.#host.log(`lecture: the SFU did not take our media: ${String(err)}`));
  }

  async #startPublishing(url: string, tracks: MediaStreamTrack[]): Promise<boolean> {
    try {
      const session = await this.#sessionFor(url);
      const { room, pin } = await this.#roomOf();
      const identity = this.#host.teacherIdentity;
      if (identity !== undefined) {
        this.#roomReady ??= this.#adminSecret(identity).then(async (secret) => {
          const handle = await session.attachVideoRoom();
          // require_pvtid: a subscription belongs to a participant, so kicking the participant ends what it receives.
          try { await ensureRoom(handle, { room, pin, secret, requirePrivateId: true }); } finally { await handle.detach().catch(() => undefined); }
        });
        await this.#roomReady;
      }
      const feed = randomFeedId();
      const publisher = await SfuPublisher.publish({
        session, room, pin, feedId: feed, display: this.#host.selfId, tracks, simulcast: this.#options.simulcast ?? true,
        iceServers: this.#host.iceServers(), ...(this.#host.rtc !== undefined ? { rtc: this.#host.rtc } : {}),
      });
      if (this.#destroyed) { void publisher.close(); return true; }
      const own: OwnPublication = { url, room, publisher, feed, sent: tracks, handedOver: false, live: false, handoverDeadline: null };
      this.#own = own;
      this.#announce();
      if (tracks.length > 0) this.#whenLive(own);
      const lost = (why: string): void => { if (this.#own === own) { this.#host.log(`lecture: ${why}`); this.#dropPublication(own); } };
      publisher.handle.on('hangup', () => lost('the SFU hung up our media'));
      publisher.handle.on('detached', () => lost('the SFU dropped our participant'));
      this.#startHandover(own);
      return true;
    } catch (err) {
      this.#roomReady = null;
      this.#host.log(`lecture: joining the SFU room failed: ${String(err)}`);
      return false;
    }
  }

  #announce(): void { if (!this.#destroyed) this.#host.announce(this.#ownPresence()); }

  /** Starts the forward switch: the peer-to-peer copy stops once every receiver has the SFU's, at the latest after handoverMs. */
  #startHandover(own: OwnPublication): void {
    if (own.sent.length === 0 || own.handedOver || own.handoverDeadline !== null) return;
    own.handoverDeadline = setTimeout(() => { own.handoverDeadline = null; this.#handOver(own); }, this.#handoverMs);
    this.#checkHandover();
  }

  /** Hands over early once everyone this peer sends to announces that its SFU feed arrives. */
  #checkHandover(): void {
    const own = this.#own;
    if (own === null || own.handedOver || own.handoverDeadline === null) return;
    const audience = [...this.#host.students(), ...(this.#isTeacher() ? [] : [this.#host.teacherId()])]
      .filter((id): id is string => id !== null && id !== this.#host.selfId);
    if (audience.every((id) => this.#host.presenceOf(id)?.sfu?.watching.includes(own.feed) === true)) this.#handOver(own);
  }

  #handOver(own: OwnPublication): void {
    if (own.handoverDeadline !== null) { clearTimeout(own.handoverDeadline); own.handoverDeadline = null; }
    if (this.#own !== own || own.sent.length === 0 || own.handedOver) return;
    own.handedOver = true;
    this.#host.media.reevaluate();
  }

  /** Peer connections carry this peer's media again (it stopped publishing, or left the stage). */
  #takeBack(own: OwnPublication): void {
    if (own.handoverDeadline !== null) { clearTimeout(own.handoverDeadline); own.handoverDeadline = null; }
    if (!own.handedOver) return;
    own.handedOver = false;
    this.#host.media.reevaluate();
  }

  /** The reverse switch: peer connections carry the media again at once; the SFU copy stops after handoverMs. */
  #stopPublishing(own: OwnPublication): void {
    const linger = own.handedOver ? this.#handoverMs : 0;
    this.#own = null;
    this.#takeBack(own);
    setTimeout(() => {
      if (this.#own === null) this.#host.announce(null);
      void own.publisher.close();
    }, linger);
  }

  #dropPublication(own: OwnPublication): void {
    this.#own = null;
    this.#takeBack(own);
    this.#host.announce(null);
    void own.publisher.close();
  }

  /** Feeds to receive: the verified teacher's and the staged student's, as each announced in its own presence. */
  #wantedFeeds(teacherSfu: SfuPresence): Map<number, string> {
    const out = new Map<number, string>();
    const teacher = this.#host.teacherId();
    if (teacher !== null && teacher !== this.#host.selfId && teacherSfu.publishing) out.set(teacherSfu.feed, teacher);
    const stage = this.#host.stage();
    if (stage !== null && stage !== this.#host.selfId) {
      const staged = this.#host.presenceOf(stage)?.sfu ?? null;
      if (staged !== null && staged.publishing && staged.url === teacherSfu.url && staged.room === teacherSfu.room) out.set(staged.feed, stage);
    }
    return out;
  }

  #reconcileReceiving(): void {
    // Subscribe after joining as a participant, so the subscription carries our private id (a kick then ends it too).
    if (this.#receivingBusy || this.#starting !== null || this.#destroyed) return;
    const teacherSfu = this.#teacherSfu();
    const wanted = teacherSfu === null ? new Map<number, string>() : this.#wantedFeeds(teacherSfu);
    const current = this.#receiving;
    if (teacherSfu === null || wanted.size === 0) {
      if (current !== null) { this.#receiving = null; current.close(); this.#announce(); }
      return;
    }
    if (current !== null && current.url !== teacherSfu.url) { this.#receiving = null; current.close(); }
    else if (current !== null && current.receives(wanted)) return;
    this.#receivingBusy = true;
    void this.#receive(teacherSfu.url, wanted).then((ok) => {
      this.#receivingBusy = false;
      if (this.#destroyed) return;
      // After a failure (SFU unreachable, room not there yet) try again later rather than in a tight loop.
      if (ok) this.#reconcileReceiving();
      else setTimeout(() => this.#reconcileReceiving(), RETRY_MS);
    });
  }

  async #receive(url: string, wanted: Map<number, string>): Promise<boolean> {
    try {
      if (this.#receiving !== null) { await this.#receiving.update(wanted); return true; }
      const session = await this.#sessionFor(url);
      const { room, pin } = await this.#roomOf();
      const receiving = await SfuReceiving.open({
        url, session, room, pin, privateId: this.#own?.publisher.privateId, rtc: this.#host.rtc, iceServers: this.#host.iceServers(),
      }, wanted, {
        addRemoteTrack: (e) => this.#host.media.addRemoteTrack(e),
        onWatchingChange: () => this.#announce(),
        log: (reason) => this.#host.log(reason),
      });
      if (this.#destroyed) { receiving.close(); return true; }
      this.#receiving = receiving;
      receiving.subscriber.on('closed', (reason) => {
        if (this.#receiving !== receiving) return;
        this.#host.log(`lecture: the SFU subscription ended (${reason})`);
        this.#receiving = null;
        receiving.close();
        this.#announce();
      });
      return true;
    } catch (err) {
      this.#host.log(`lecture: receiving from the SFU failed: ${String(err)}`);
      this.#receiving?.close();
      this.#receiving = null;
      return false;
    }
  }
}
