import { expect, it } from 'vitest';
// README: `import { DocumentSet, pollType } from 'peerclass';`
import { DocumentSet, pollType } from '../../src/doctypes/index.js';
import * as Y from 'yjs';

it('README poll example runs as written', () => {
  // --- README snippet start ---
  const teacherDoc = new Y.Doc();
  const studentDoc = new Y.Doc();
  // In a real class the sync engine carries updates; here we wire the two docs directly.
  teacherDoc.on('update', (u: Uint8Array) => Y.applyUpdate(studentDoc, u));
  studentDoc.on('update', (u: Uint8Array) => Y.applyUpdate(teacherDoc, u));

  const teacher = new DocumentSet(teacherDoc, { peerId: 't1', name: 'Ms Rivera', role: 'teacher' });
  const student = new DocumentSet(studentDoc, { peerId: 's1', name: 'Sam', role: 'student' });
  const teacherPoll = teacher.register(pollType);
  const studentPoll = student.register(pollType);

  teacherPoll.on('change', () => console.log('tally', teacherPoll.current()?.tally));
  const id = teacherPoll.open('Which planet is largest?', ['Mars', 'Jupiter', 'Venus']);
  studentPoll.vote(id, 1);
  studentPoll.vote(id, 1); // one vote per participant: voting again replaces it
  teacherPoll.close(id);
  // teacherPoll.current() → { question: 'Which planet is largest?', tally: [0, 1, 0], voters: 1, closed: true, ... }
  // --- README snippet end ---

  expect(teacherPoll.current()).toMatchObject({ id, tally: [0, 1, 0], voters: 1, closed: true });
  expect(studentPoll.current()?.myVote).toBe(1);
  expect(() => studentPoll.vote(id, 0)).toThrow(/closed/);
});
