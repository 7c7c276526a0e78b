/**
 * What a peer announces about itself through signaling (the `info` of an announce, PROTOCOL.md §1) and the role
 * vocabulary shared by every layer above.
 */

/** What a peer is in the class. */
export type Role = 'teacher' | 'student';

/** The announce info as read from the wire: every field bounded, anything malformed dropped. */
export interface Announcement {
  role: Role;
  name?: string;
  /** The teacher public key (base64url) a teacher claims to hold. */
  teacherKey?: string;
  /** The teacher's signature over its own peer id (see authority/teacherProof). */
  teacherProof?: string;
  /** The peer's own public key (base64url of the raw P-256 point) in signed mode; its hash must be the peer id. */
  peerKey?: string;
}

const MAX_NAME = 200;
const MAX_KEY = 200;

/** Reads announced info; malformed fields fall back to a plain student (a peer cannot crash us with its announce). */
export function decodeAnnouncement(info: unknown): Announcement {
  if (typeof info !== 'object' || info === null) return { role: 'student' };
  const record = info as Record<string, unknown>;
  const out: Announcement = { role: record.role === 'teacher' ? 'teacher' : 'student' };
  if (typeof record.name === 'string') out.name = record.name.slice(0, MAX_NAME);
  if (typeof record.teacherKey === 'string' && record.teacherKey.length <= MAX_KEY) out.teacherKey = record.teacherKey;
  if (typeof record.teacherProof === 'string' && record.teacherProof.length <= MAX_KEY) out.teacherProof = record.teacherProof;
  if (typeof record.peerKey === 'string' && record.peerKey.length <= MAX_KEY) out.peerKey = record.peerKey;
  return out;
}
