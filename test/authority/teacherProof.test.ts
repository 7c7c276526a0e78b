import { describe, expect, it } from 'vitest';
import { createTeacherIdentity, signTeacherProof, verifyTeacherProof } from '../../src/authority/index.js';

describe('teacher proof', () => {
  it('verifies only for the teacher key, the class and the peer id it was signed for', async () => {
    const teacher = await createTeacherIdentity();
    const other = await createTeacherIdentity();
    const proof = await signTeacherProof(teacher, 'class-1', 'peer-t');
    expect(await verifyTeacherProof(teacher.publicKey, 'class-1', 'peer-t', proof)).toBe(true);
    expect(await verifyTeacherProof(teacher.publicKey, 'class-1', 'peer-impostor', proof)).toBe(false); // copied proof
    expect(await verifyTeacherProof(teacher.publicKey, 'class-2', 'peer-t', proof)).toBe(false);
    expect(await verifyTeacherProof(other.publicKey, 'class-1', 'peer-t', proof)).toBe(false);
    expect(await verifyTeacherProof(teacher.publicKey, 'class-1', 'peer-t', await signTeacherProof(other, 'class-1', 'peer-t'))).toBe(false);
    for (const junk of [undefined, null, 42, '', 'not base64!', 'A'.repeat(86), 'x'.repeat(500), { proof }]) {
      expect(await verifyTeacherProof(teacher.publicKey, 'class-1', 'peer-t', junk)).toBe(false);
    }
  });
});
