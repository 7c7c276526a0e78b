/**
 * The write policy of a board map (the whiteboard, the presentation's annotation layers): elements (`e:<id>`) are
 * shared — anyone adds, a student changes and erases only its own, and an element's author field names its writer —
 * everything else at the top level is the teacher's, and while the board is locked only the teacher writes.
 */
import { BOARD_LIMITS, ELEMENT_KEYS, ELEMENT_PREFIX } from './boardModel.js';
import { allOf, ALLOW, deny, lockable, shared, teacherOnlyKeys, type DocPolicy } from './policy.js';

/** A student's element must name the student as its author (`a`); the teacher may restore others' (undo). */
const elementAuthor: DocPolicy = (change) => {
  if (change.teacher) return ALLOW;
  const own = change.author.slice(0, BOARD_LIMITS.idLength);
  for (const ins of change.inserts) {
    if (ins.place?.depth !== 1 || ins.place.key !== ELEMENT_KEYS.author) continue;
    if (ins.kind !== 'values' || ins.values.some((v) => v !== own)) return deny('forged-author', `element ${ins.place.topKey?.slice(0, 80) ?? ''} names another author`);
  }
  return ALLOW;
};

/** Board policy where top-level keys other than elements are teacher-only unless `studentKey` accepts them. */
export function boardPolicy(studentKey: (topKey: string) => boolean = () => false): DocPolicy {
  return allOf(
    teacherOnlyKeys((k) => !k.startsWith(ELEMENT_PREFIX) && !studentKey(k)),
    lockable,
    shared,
    elementAuthor,
  );
}
