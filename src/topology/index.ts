/**
 * Topologies: which peers hold a direct connection to which.
 *
 * A topology is a pure function of one peer's view of the room. Every peer evaluates it on its own,
 * so it must be symmetric: given the same set of peers, `a` lists `b` exactly when `b` lists `a`.
 * Otherwise one side would keep dialling a peer that keeps hanging up.
 */

import type { Role } from '../protocol/announce.js';

export type { Role };

/** What a peer knows about another peer (from signaling or awareness). */
export interface PeerInfo {
  /** Stable id of the peer in this class. */
  peerId: string;
  /** The role the peer announces. Whether it is believed is up to the topology (see `teacherKey`). */
  role: Role;
  /** Display name. */
  name?: string;
  /**
   * The teacher public key (base64url, as in the join link) the peer claims to hold. Only meaningful for
   * `role: 'teacher'`; a topology created with a `teacherKey` counts a peer as teacher only when it matches.
   */
  teacherKey?: string;
  /** The teacher's signature proving it holds `teacherKey` (see `signTeacherProof`); checked by the app, not here. */
  teacherProof?: string;
}

/** A rule for which peers connect directly. */
export interface Topology {
  /** Short name, for logs and benchmarks. */
  readonly name: string;
  /** Which of `known` (other peers) `self` should hold a direct connection to. */
  neighbours(self: PeerInfo, known: readonly PeerInfo[]): Set<string>;
}

/** Everyone connects to everyone. Right for small groups and for rooms without a teacher. */
export const meshTopology: Topology = {
  name: 'mesh',
  neighbours(self, known) {
    const out = new Set<string>();
    for (const peer of known) if (peer.peerId !== self.peerId) out.add(peer.peerId);
    return out;
  },
};

/** Options of {@link classroomTopology}. */
export interface ClassroomTopologyOptions {
  /** The peer id currently on stage (from the signed control state), or null. Read on every evaluation. */
  getStage(): string | null;
  /**
   * The standby student, or null: the one the teacher is most likely to stage next (the class computes it as the
   * head of the hand queue, see `standbyOf`). It is linked exactly like the staged student (to every student), but
   * data-only: who sends media is the send rule's business, and that one keeps a standby silent until staged. So
   * going on stage is a renegotiation of links that are already up instead of N new connections. Read on every
   * evaluation; every peer must derive it from the same inputs (presence) so both ends of a link want it.
   */
  getStandby?(): string | null;
  /**
   * The class's teacher public key. When set, a peer counts as the teacher only if it announces
   * `role: 'teacher'` and this key. The topology only compares claims; proving possession of the key
   * (a signed challenge on connect) belongs to the transport/classroom layer.
   */
  teacherKey?: string;
}

/** Whether `peer` counts as a teacher under `teacherKey` (undefined: trust the announced role). */
export function isTeacher(peer: PeerInfo, teacherKey?: string): boolean {
  if (peer.role !== 'teacher') return false;
  return teacherKey === undefined || peer.teacherKey === teacherKey;
}

/**
 * The classroom star with a stage.
 *
 * - every student ↔ every teacher (a class normally has one; several teachers also connect to each other);
 * - the staged student ↔ every student;
 * - the standby student (see `getStandby`; at most one) ↔ every student, data only until it is staged;
 * - no other student–student links.
 *
 * When no teacher is present (neither `self` nor any known peer), it falls back to a full mesh so students
 * keep working together; they resync with the teacher when it returns. The alternative is to elect a hub
 * (e.g. the lowest peer id) and keep a star. For the group sizes a class without its teacher realistically
 * has, a mesh is better: there is no election to agree on (every peer already agrees on the mesh from the
 * same view), no single student's uplink carries everyone, and no re-election churn when that student leaves.
 * The cost, N(N−1)/2 links, only matters for large rooms, where a teacher is present anyway.
 *
 * A stage or standby id that is not a known student (unknown, or a teacher) is ignored. The standby is the same
 * rule as the stage, applied to one more peer: the topology stays symmetric when every peer reads the same
 * stage and standby, and a standby that is also on stage adds nothing.
 */
export function classroomTopology(options: ClassroomTopologyOptions): Topology {
  const { teacherKey } = options;
  return {
    name: 'classroom',
    neighbours(self, known) {
      const everyone = [self, ...known.filter((p) => p.peerId !== self.peerId)];
      const teacherPresent = everyone.some((p) => isTeacher(p, teacherKey));
      if (!teacherPresent) return meshTopology.neighbours(self, known);
      // Students linked to every student: the staged one and the standby (never more than these two).
      const hubs = new Set<string>();
      const stage = options.getStage();
      const standby = options.getStandby?.() ?? null;
      if (stage !== null) hubs.add(stage);
      if (standby !== null) hubs.add(standby);
      const out = new Set<string>();
      const selfTeacher = isTeacher(self, teacherKey);
      for (const peer of everyone) {
        if (peer.peerId === self.peerId) continue;
        const peerTeacher = isTeacher(peer, teacherKey);
        if (selfTeacher || peerTeacher) out.add(peer.peerId);
        else if (hubs.has(peer.peerId) || hubs.has(self.peerId)) out.add(peer.peerId);
      }
      return out;
    },
  };
}

/**
 * Wraps a topology so that excluded peers (e.g. students the teacher removed, from
 * `ControlState.removed()`) get no links: they are dropped from every view before the inner topology runs,
 * and an excluded `self` connects to nobody. Symmetric among the remaining peers when the inner one is.
 */
export function withoutPeers(topology: Topology, getExcluded: () => ReadonlySet<string>): Topology {
  return {
    name: topology.name,
    neighbours(self, known) {
      const excluded = getExcluded();
      if (excluded.has(self.peerId)) return new Set();
      return topology.neighbours(
        self,
        known.filter((p) => !excluded.has(p.peerId)),
      );
    },
  };
}
