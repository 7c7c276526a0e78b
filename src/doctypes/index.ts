/** Classroom documents: typed, validated doc types over one shared Y.Doc, and the extension API. */
export * from './types.js';
export * from './validate.js';
export * from './documentSet.js';
export * from './ink.js';
export * from './board.js';
export * from './svg.js';
export * from './whiteboard.js';
export * from './chat.js';
export * from './poll.js';
export * from './presentation.js';
export * from './laser.js';
export * from './replay.js';
