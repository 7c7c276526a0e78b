import { controlSlot, readSignedControl } from '../authority/control.js';
import { CONTROL_MAP_NAME, type ControlState } from '../authority/controlState.js';
import { ALLOW, deny, type DocPolicy, type PolicyContext } from '../doctypes/policy.js';
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

/** Largest signed control statement a slot holds (the biggest, an admit with a 200-character name, is far below). */
const MAX_STATEMENT_BYTES = 4096;

/**
 * The `control` map: one teacher-signed statement per slot. Students write there too (a peer that holds a valid
 * statement writes it back over an invalid or deleted one), so the rule is on the value: a well-formed statement for
 * this class under its own slot. The signature is checked asynchronously by every peer's ControlState, which ignores
 * and overwrites a forged one; this keeps everything else (garbage, megabytes) out of the document at once.
 */
export function controlMapPolicy(classId: string): DocPolicy {
  return (change) => {
    if (change.teacher) return ALLOW;
    const written = new Set<string>();
    for (const ins of change.inserts) {
      const place = ins.place;
      if (place === null) continue;
      if (place.depth !== 0 || place.key === null) return deny('invalid', 'control holds one signed statement per slot, nothing nested');
      for (const value of ins.values) {
        const statement = value instanceof Uint8Array && value.length <= MAX_STATEMENT_BYTES ? readSignedControl(value) : null;
        if (statement === null || statement.classId !== classId || controlSlot(statement) !== place.key) {
          return deny('invalid', `control/${place.key.slice(0, 80)} is not a signed statement of this class for that slot`);
        }
      }
      written.add(place.key);
    }
    for (const d of change.deletes) {
      if (d.place === null || (d.place.depth === 0 && d.place.key !== null && written.has(d.place.key))) continue;
      return deny('not-teacher', 'only the teacher clears a control slot');
    }
    return ALLOW;
  };
}

/** The top-level names a class keeps besides its doc types, with their write policies. */
export function classOtherTypes(classId: string): ReadonlyMap<string, DocPolicy> {
  return new Map([[CONTROL_MAP_NAME, controlMapPolicy(classId)]]);
}
