import type { ControlBodies } from '../authority/control.js';
import type { ControlState } from '../authority/controlState.js';
import { isTeacher, type PeerInfo } from '../topology/index.js';

/** How a class admits participants (teacher-signed state): see {@link ControlBodies}'s `admission`. */
export type AdmissionMode = ControlBodies['admission']['mode'];

/** A student waiting in the teacher's lobby. */
export interface Knock {
  peerId: string;
  /** The name it announced (shown to the teacher; once admitted, the roster holds it). */
  name: string;
  /** When this teacher first saw the knock (ms since the epoch, the teacher's clock). */
  since: number;
}

/** What {@link Admission} reads and does; the classroom wires it. */
export interface AdmissionOptions {
  /** This peer's id and whether it is the teacher (holds the key). */
  selfId: string;
  isTeacherSelf: boolean;
  teacherKey: string;
  control: ControlState;
  /** Peers announced through signaling, teacher claims already verified. */
  knownPeers(): PeerInfo[];
  /** Teacher only: signs and distributes a statement. */
  issue<K extends 'admit' | 'admission' | 'keeper'>(kind: K, body: ControlBodies[K]): Promise<void>;
  /** The lobby changed (teacher only). */
  onLobby(knocks: Knock[]): void;
  /** A signing failure while auto-admitting, for logs. */
  log?(reason: string): void;
}

/**
 * Who takes part in the class. The roster (teacher-signed `admit` statements) and the admission mode are control
 * state, so every peer applies the same rule to every other: a peer is admitted when it is the verified teacher, or
 * it is not removed or denied and either the class is open or the teacher admitted it. Peers neither connect to
 * nor accept links from others (the topology excludes them), and the teacher's own client auto-admits knocks in
 * an open class so the roster still names everyone.
 */
export class Admission {
  readonly #options: AdmissionOptions;
  readonly #knocks = new Map<string, Knock>();
  /** Admit statements this teacher is signing right now, so a burst of announces issues each once. */
  readonly #issuing = new Set<string>();
  #lastLobby = '';

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  /** The class's admission mode. */
  mode(): AdmissionMode {
    return this.#options.control.admissionMode();
  }

  /** Participants the teacher admitted, with the names they were admitted under (the signed roster). */
  roster(): Map<string, { name: string }> {
    return this.#options.control.roster();
  }

  /** Whether `peerId` may take part (see the class comment). */
  admits(peerId: string): boolean {
    if (peerId === this.#options.selfId) return true;
    const control = this.#options.control;
    if (this.#isVerifiedTeacher(peerId)) return true;
    if (control.removed().has(peerId) || control.denied().has(peerId)) return false;
    return control.admissionMode() === 'open' || control.roster().has(peerId);
  }

  /** Known peers that are not admitted: the topology excludes them. */
  excluded(): Set<string> {
    const out = new Set<string>();
    for (const peer of this.#options.knownPeers()) if (!this.admits(peer.peerId)) out.add(peer.peerId);
    return out;
  }

  /** Teacher: students waiting to be admitted, oldest first. */
  lobby(): Knock[] {
    return [...this.#knocks.values()].sort((a, b) => a.since - b.since || (a.peerId < b.peerId ? -1 : 1));
  }

  /** Teacher: admits a knocking (or denied) peer. */
  async admit(peerId: string): Promise<void> {
    const name = this.#knocks.get(peerId)?.name ?? this.#announcedName(peerId);
    await this.#options.issue('admit', { peerId, name, admitted: true });
    this.review();
  }

  /** Teacher: denies a knock; the peer stays out until admitted. */
  async deny(peerId: string): Promise<void> {
    await this.#options.issue('admit', { peerId, name: this.#knocks.get(peerId)?.name ?? this.#announcedName(peerId), admitted: false });
    this.review();
  }

  /** Teacher: admits everyone in the lobby. */
  async admitAll(): Promise<void> {
    for (const knock of this.lobby()) await this.admit(knock.peerId);
  }

  /**
   * Teacher: trusts `peerId` (a keeper, see `peerclass-keeper`) to relay others' content to late joiners, or stops.
   * Peers accept others' content over anti-entropy only from the teacher and such keepers.
   */
  async trustKeeper(peerId: string, trusted = true): Promise<void> {
    await this.#options.issue('keeper', { peerId, trusted });
  }

  /** Whether the teacher trusts `peerId` as a keeper. */
  isKeeper(peerId: string): boolean {
    return this.#options.control.keepers().has(peerId);
  }

  /** Teacher: switches between an open class and a lobby. */
  async setMode(mode: AdmissionMode): Promise<void> {
    await this.#options.issue('admission', { mode });
    this.review();
  }

  /**
   * Re-reads known peers and control state: the teacher's lobby gains new knocks and loses admitted, denied or
   * removed peers; in an open class the teacher signs an admit for every new student (the roster's names).
   */
  review(): void {
    const options = this.#options;
    if (!options.isTeacherSelf) return;
    const control = options.control;
    const roster = control.roster();
    const removed = control.removed();
    const denied = control.denied();
    const present = new Set<string>();
    for (const peer of options.knownPeers()) {
      const id = peer.peerId;
      present.add(id);
      if (id === options.selfId || isTeacher(peer, options.teacherKey) || roster.has(id) || removed.has(id) || denied.has(id)) {
        this.#knocks.delete(id);
        continue;
      }
      if (control.admissionMode() === 'open') {
        this.#knocks.delete(id);
        this.#autoAdmit(id, peer.name ?? '');
      } else if (!this.#knocks.has(id)) {
        this.#knocks.set(id, { peerId: id, name: peer.name ?? '', since: Date.now() });
      }
    }
    for (const id of [...this.#knocks.keys()]) if (!present.has(id)) this.#knocks.delete(id);
    const lobby = this.lobby();
    const key = lobby.map((k) => k.peerId).join(',');
    if (key !== this.#lastLobby) {
      this.#lastLobby = key;
      options.onLobby(lobby);
    }
  }

  #autoAdmit(peerId: string, name: string): void {
    if (this.#issuing.has(peerId)) return;
    this.#issuing.add(peerId);
    this.#options.issue('admit', { peerId, name, admitted: true })
      .catch((error: unknown) => this.#options.log?.(`could not admit ${peerId}: ${String(error)}`))
      .finally(() => this.#issuing.delete(peerId));
  }

  #isVerifiedTeacher(peerId: string): boolean {
    const info = this.#options.knownPeers().find((p) => p.peerId === peerId);
    return info !== undefined && isTeacher(info, this.#options.teacherKey);
  }

  #announcedName(peerId: string): string {
    return this.#options.knownPeers().find((p) => p.peerId === peerId)?.name ?? '';
  }
}
