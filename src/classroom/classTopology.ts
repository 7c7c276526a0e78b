import { classroomTopology, isTeacher, meshTopology, withoutPeers, type Topology } from '../topology/index.js';

/** How long a joining student waits to hear of the teacher before falling back to a mesh with the other students. */
export const TEACHER_SETTLE_MS = 1500;

/** Inputs of {@link createClassTopology}, read on every evaluation. */
export interface ClassTopologyOptions {
  teacherKey: string;
  mode: 'classroom' | 'mesh';
  /** The staged peer (signed control state). */
  getStage(): string | null;
  /**
   * The standby student (head of the hand queue, see `standbyOf` in participants.ts), linked to every student like
   * the staged one but data-only, so staging it is only a renegotiation. Default: none.
   */
  getStandby?(): string | null;
  /** Peers nobody connects to: removed students and teachers who left. */
  getExcluded(): Set<string>;
  /** When this peer joined (ms); default now. */
  joinedAt?: number;
}

/**
 * The class's topology: the classroom star plus the stage and the standby (or a mesh in `'mesh'` mode), without excluded peers.
 *
 * Announcements arrive one by one: a student that heard of other students before the teacher would open
 * fallback-mesh links only to close them a moment later (which also crashed @roamhq/wrtc mid-negotiation). So
 * student–student links wait until the teacher is heard of or {@link TEACHER_SETTLE_MS} passed; the caller
 * re-evaluates once that time is up.
 */
export function createClassTopology(options: ClassTopologyOptions): Topology {
  const joinedAt = options.joinedAt ?? Date.now();
  const getStandby = options.getStandby;
  const classroom = classroomTopology({
    getStage: options.getStage, teacherKey: options.teacherKey, ...(getStandby !== undefined ? { getStandby: () => getStandby() } : {}),
  });
  const settled: Topology = {
    name: classroom.name,
    neighbours: (self, known) => {
      const teacherKnown = [self, ...known].some((p) => isTeacher(p, options.teacherKey));
      if (!teacherKnown && Date.now() - joinedAt < TEACHER_SETTLE_MS) return new Set();
      return classroom.neighbours(self, known);
    },
  };
  return withoutPeers(options.mode === 'mesh' ? meshTopology : settled, options.getExcluded);
}
