import { isTeacher, type PeerInfo } from '../topology/index.js';

/**
 * Who sends media to whom: whether `self` adds its local tracks to its connection with `remote`.
 *
 * A rule only decides; connections that are not there are never created for media (the topology decides
 * those), so a rule answering true for a peer this peer has no connection to has no effect.
 *
 * @param stage - the peer id on stage, or null.
 * @param teacherKey - the class teacher key; a peer counts as the teacher only when it announces it.
 */
export type SendRule = (self: PeerInfo, remote: PeerInfo, stage: string | null, teacherKey?: string) => boolean;

/**
 * The classroom rule: the teacher sends to everyone, the staged student sends to everyone, every other
 * student sends to nobody (its tracks are not even added, so a student's uplink carries no idle video).
 */
export function shouldSendMedia(self: PeerInfo, remote: PeerInfo, stage: string | null, teacherKey?: string): boolean {
  if (self.peerId === remote.peerId) return false;
  if (isTeacher(self, teacherKey)) return true;
  return stage !== null && self.peerId === stage;
}

/** Everyone sends to everyone it is connected to (small groups; the benchmark's baseline). */
export function meshSendRule(self: PeerInfo, remote: PeerInfo): boolean {
  return self.peerId !== remote.peerId;
}
