import { createTeacherIdentity, exportTeacherIdentity, importTeacherIdentity } from 'peerclass';
import type { ExportedTeacherIdentity, TeacherIdentity } from 'peerclass';

const KEY = 'peerclass:teacher:';
const NAME = 'peerclass:name:';

/** Make a teacher identity and keep its private key in localStorage, so a reload keeps the teacher role. */
export async function newStoredTeacher(): Promise<TeacherIdentity> {
  const id = await createTeacherIdentity();
  localStorage.setItem(KEY + id.publicKey, JSON.stringify(await exportTeacherIdentity(id)));
  return id;
}

/** The stored identity for this teacher key, if this browser created the class. */
export async function storedTeacher(publicKey: string): Promise<TeacherIdentity | null> {
  const raw = localStorage.getItem(KEY + publicKey);
  if (raw === null) return null;
  try {
    return await importTeacherIdentity(JSON.parse(raw) as ExportedTeacherIdentity);
  } catch {
    return null;
  }
}

/** Remember the display name used in a class. */
export function rememberName(classId: string, name: string): void {
  localStorage.setItem(NAME + classId, name);
}

/** The display name used last time in this class. */
export function rememberedName(classId: string): string | null {
  return localStorage.getItem(NAME + classId);
}
