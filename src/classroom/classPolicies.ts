import type { ControlState } from '../authority/controlState.js';
import type { PolicyContext } from '../doctypes/policy.js';
import type { Role } from '../protocol/announce.js';
import { isTeacher, type PeerInfo } from '../topology/index.js';

/** Doc types the board lock makes read-only for students. */
export const LOCKED_BY_BOARD_LOCK = new Set(['whiteboard', 'presentation']);

/** What the class's write policies ask, answered from verified announces and the signed control state. */
export function classPolicyContext(o: {
  selfId: string; role: Role; teacherKey: string; control: ControlState; knownPeers(): PeerInfo[];
}): PolicyContext {
  return {
    isTeacher: (id) => (id === o.selfId ? o.role === 'teacher' : o.knownPeers().some((p) => p.peerId === id && isTeacher(p, o.teacherKey))),
    readOnly: (docType) => LOCKED_BY_BOARD_LOCK.has(docType) && o.control.boardLocked(),
    nameOf: (id) => o.control.roster().get(id)?.name,
    isRelay: (id) => o.control.keepers().has(id),
  };
}
