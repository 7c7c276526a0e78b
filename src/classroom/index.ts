/** The Classroom: one class = documents + peers + roles + media, with typed events. */
export * from './classroom.js';
