import { fromBase64Url, toBase64Url } from './base64url.js';
import { isTeacherPublicKeyString } from './identity.js';

/** What a join link carries. All of it lives in the URL fragment, which browsers never send to a server. */
export interface JoinLinkParams {
  /** The class id (the relay only ever sees a hash of it). */
  classId: string;
  /** The class secret: the key material for end-to-end encryption of signaling. */
  secret: string;
  /** The teacher public key, base64url raw P-256 (see {@link TeacherIdentity.publicKey}). */
  teacherKey: string;
}

/** Thrown by {@link parseJoinLink} with a message a user can act on. */
export class JoinLinkError extends Error {
  override readonly name = 'JoinLinkError';
}

const CLASS_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const SECRET = /^[A-Za-z0-9_-]{16,512}$/;

function randomBase64Url(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  return toBase64Url(buf);
}

/** A random class id: 96 bits, base64url (16 characters). */
export function randomClassId(): string {
  return randomBase64Url(12);
}

/** A random class secret: 256 bits, base64url (43 characters). */
export function randomSecret(): string {
  return randomBase64Url(32);
}

function check(params: JoinLinkParams): void {
  if (!CLASS_ID.test(params.classId)) {
    throw new JoinLinkError('join link: class id must be 1–128 characters of A–Z a–z 0–9 . _ ~ -');
  }
  if (!SECRET.test(params.secret) || fromBase64Url(params.secret) === null) {
    throw new JoinLinkError('join link: secret must be base64url and at least 16 characters long');
  }
  if (!isTeacherPublicKeyString(params.teacherKey)) {
    throw new JoinLinkError('join link: teacher key is not a base64url P-256 public key (65 bytes, uncompressed)');
  }
}

/**
 * Builds a join link: `baseUrl` with `#class=…&secret=…&teacher=…` as its fragment (any existing fragment is replaced).
 * Throws {@link JoinLinkError} if a parameter is malformed, so a bad link is never handed out.
 */
export function createJoinLink(baseUrl: string | URL, params: JoinLinkParams): string {
  check(params);
  const url = new URL(baseUrl);
  const fragment = new URLSearchParams({ class: params.classId, secret: params.secret, teacher: params.teacherKey });
  url.hash = fragment.toString();
  return url.toString();
}

/** Reads and validates a join link (a full URL, or just its fragment starting with `#`). Throws {@link JoinLinkError}. */
export function parseJoinLink(link: string | URL): JoinLinkParams {
  let hash: string;
  if (typeof link === 'string' && link.startsWith('#')) hash = link;
  else {
    try {
      hash = new URL(link).hash;
    } catch {
      throw new JoinLinkError('join link: not a valid URL');
    }
  }
  if (hash.length <= 1) throw new JoinLinkError('join link: the link has no #class=…&secret=…&teacher=… part (was it cut off?)');
  const fragment = new URLSearchParams(hash.slice(1));
  const missing = ['class', 'secret', 'teacher'].filter((k) => !fragment.get(k));
  if (missing.length > 0) throw new JoinLinkError(`join link: missing ${missing.join(', ')} in the link fragment`);
  const params: JoinLinkParams = {
    classId: fragment.get('class')!,
    secret: fragment.get('secret')!,
    teacherKey: fragment.get('teacher')!,
  };
  check(params);
  return params;
}
