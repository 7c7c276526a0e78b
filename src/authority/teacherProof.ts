import { fromBase64Url, toBase64Url } from './base64url.js';
import { importTeacherPublicKey, signBytes, verifyBytes, type TeacherIdentity } from './identity.js';

/**
 * A teacher's proof of holding the class key, bound to its peer id: base64url of the ECDSA P-256 signature over
 * UTF-8 `peerclass/teacher/v1|<classId>|<peerId>`. The public key is in every join link, so claiming the teacher
 * role with it proves nothing; this signature does. A copied proof only fits the real teacher's own peer id.
 */
function proofBytes(classId: string, peerId: string): Uint8Array {
  return new TextEncoder().encode(`peerclass/teacher/v1|${classId}|${peerId}`);
}

/** Signs the teacher-role proof for this peer id (teacher only). */
export async function signTeacherProof(identity: TeacherIdentity, classId: string, peerId: string): Promise<string> {
  return toBase64Url(await signBytes(identity.privateKey, proofBytes(classId, peerId)));
}

/** True when `proof` is the teacher key's signature for this class and peer id; false for anything else. Never throws. */
export async function verifyTeacherProof(teacherKey: string, classId: string, peerId: string, proof: unknown): Promise<boolean> {
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > 200) return false;
  try {
    const signature = fromBase64Url(proof);
    if (signature === null || signature.length !== 64) return false;
    return await verifyBytes(await importTeacherPublicKey(teacherKey), signature, proofBytes(classId, peerId));
  } catch {
    return false;
  }
}
