import type { ClassNetwork } from '../provider/network.js';
import { isTeacher, type PeerInfo } from '../topology/index.js';

/** How long after its connection closed a teacher that still looks present is checked again, ms. */
const RECHECK_MS = 3000;

/** What {@link DepartedTeachers} reads around it. */
export interface DepartedTeachersHost {
  network: Pick<ClassNetwork, 'knownPeers' | 'mediaConnections' | 'reachablePeers'>;
  teacherKey: string;
  /** Whether `peerId` has a presence now. */
  present(peerId: string): boolean;
  /** Whether the classroom was left (nothing to decide any more). */
  left(): boolean;
  /** The set changed: the topology must be evaluated again. */
  changed(): void;
}

/**
 * Teachers whose presence left (graceful leave, or unreachable). Signaling never forgets a peer, so without this a
 * departed teacher would still count as present and students would stay in a star around nobody. A teacher leaves
 * this set when it dials us again ({@link DepartedTeachers.onPeerConnection}).
 */
export class DepartedTeachers {
  readonly #host: DepartedTeachersHost;
  readonly #departed = new Set<string>();

  constructor(host: DepartedTeachersHost) {
    this.#host = host;
  }

  /** The departed teachers' peer ids. */
  ids(): ReadonlySet<string> {
    return this.#departed;
  }

  /** A peer's last presence went away. */
  onPresenceGone(peerId: string): void {
    // Only the teacher: the engine also drops the presence of peers that are merely unreachable for a moment
    // (a student behind the departed hub), and excluding those would keep the fallback mesh from forming.
    const info = this.#host.network.knownPeers().find((p) => p.peerId === peerId);
    if (info === undefined || !isTeacher(info, this.#host.teacherKey)) return;
    // A connection to the teacher that is up or being negotiated (the teacher dialling us back) is not a departure:
    // its presence can vanish for a moment while routes change. Decide when that connection closes.
    const connection = this.#host.network.mediaConnections().get(peerId);
    const state = connection?.connectionState;
    if (connection !== undefined && (state === 'new' || state === 'connecting' || state === 'connected')) {
      connection.onClosed(() => this.#decide(peerId, true));
      return;
    }
    this.#mark(peerId);
  }

  /** A departed teacher is back when it dials us (its topology wants every student). */
  readonly onPeerConnection = (_connection: unknown, peer: PeerInfo, initiator: 'local' | 'remote'): void => {
    // Not when we dial it (a redial of the link that just died) and not when its presence reaches us through a student
    // still linked to it: either would restore the star before the teacher can hold it, and the fallback mesh would
    // open and close for good.
    if (initiator === 'remote' && this.#departed.delete(peer.peerId)) queueMicrotask(() => { if (!this.#host.left()) this.#host.changed(); });
  };

  /**
   * The teacher's connection closed. It left unless it still has a presence that reaches us some other way. A presence
   * alone is not enough: a student that missed the teacher's leave re-sends the teacher's last state to its new
   * fallback-mesh neighbours, and that stale state must not keep the class waiting for the 30 s forget.
   */
  #decide(peerId: string, recheck: boolean): void {
    if (this.#host.left() || this.#departed.has(peerId)) return;
    const reachable = this.#host.network.reachablePeers().includes(peerId);
    if (!this.#host.present(peerId) || !reachable) { this.#mark(peerId); return; }
    if (recheck) setTimeout(() => this.#decide(peerId, false), RECHECK_MS);
  }

  #mark(peerId: string): void {
    if (this.#departed.has(peerId)) return;
    this.#departed.add(peerId);
    this.#host.changed();
  }
}
