import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ControlState, createTeacherIdentity, decodeControlMessage, encodeControlMessage } from '../../src/authority/index.js';
import { MESSAGE_SIGNED_CONTROL, MESSAGE_SYNC } from '../../src/protocol/messageTypes.js';

describe('signed control peer message', () => {
  it('carries issued bytes unchanged to another peer, which applies them', async () => {
    const id = await createTeacherIdentity();
    const teacher = new ControlState({ doc: new Y.Doc(), classId: 'c', teacherKey: id.publicKey, identity: id });
    const student = new ControlState({ doc: new Y.Doc(), classId: 'c', teacherKey: id.publicKey });
    const signed = await teacher.issue('slide', { slideIndex: 4, follow: true });
    const message = encodeControlMessage(signed);
    expect(message[0]).toBe(MESSAGE_SIGNED_CONTROL);
    const inner = decodeControlMessage(message);
    expect(inner).toEqual(signed);
    expect((await student.ingest(inner!, 'teacher')).ok).toBe(true);
    expect(student.slide()).toEqual({ slideIndex: 4, follow: true });
    teacher.destroy();
    student.destroy();
  });

  it('returns null for other message types, truncation and trailing bytes', () => {
    const message = encodeControlMessage(new Uint8Array([1, 2, 3]));
    expect(decodeControlMessage(Uint8Array.of(MESSAGE_SYNC, 0))).toBeNull();
    expect(decodeControlMessage(message.subarray(0, message.length - 1))).toBeNull();
    expect(decodeControlMessage(Uint8Array.from([...message, 0]))).toBeNull();
    expect(decodeControlMessage(new Uint8Array())).toBeNull();
  });
});
