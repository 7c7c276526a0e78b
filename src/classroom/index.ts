/** The Classroom: one class = documents + peers + roles + media, with typed events. */
export { Classroom } from './classroom.js';
export { Admission } from './admission.js';
export { LectureMode, type LectureOptions } from '../media/lecture/lectureMode.js';
export type { AdmissionMode, Knock } from './admission.js';
export type { ClassroomEvents, ClassroomOptions, ClassroomRejection, ClassroomRejectionReason, ClassroomStatus, Participant } from './types.js';
export { PRESENCE_FIELD as CLASSROOM_AWARENESS_FIELD } from '../protocol/presence.js';
