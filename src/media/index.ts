/** Media on the class's peer connections: local tracks, who sends to whom, bitrate, quality. */
export * from './classroomMedia.js';
