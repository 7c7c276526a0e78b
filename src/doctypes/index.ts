/** Classroom documents: typed, validated doc types over one shared Y.Doc, and the extension API. */
export * from './types.js';
// Validators under one name: `validate.str(100)`, `validate.object({...})`. Short generic names would
// collide with other modules in the root barrel.
export * as validate from './validate.js';
export type { Check, Checked, Invalid, Shape, ShapeOf } from './validate.js';
export * from './documentSet.js';
// Write policies: the building blocks under one name (`policies.shared`, `policies.teacherOnlyKeys(...)`); types flat.
export * as policies from './policy.js';
export type { DocPolicy, PolicyCode, PolicyContext, PolicyVerdict, TypeChange } from './policy.js';
export { createPolicyGate, encodeOwnStep2, judgeUpdate } from './gate.js';
export type { PolicyGateOptions, PolicyRejection } from './gate.js';
export { CLIENT_CLAIMS, claimClientIds, ownerInDoc, plainClaim } from './ownership.js';
export type { ClaimVerifier } from './ownership.js';
export { viewUpdate } from './updateView.js';
export type { DeletedStruct, InsertedStruct, Place, UpdateView } from './updateView.js';
export { boardPolicy } from './boardPolicy.js';
export * from './ids.js';
export * from './ink.js';
export * from './boardModel.js';
// The live cache itself is the board's internals; its change events are API.
export type { BoardChange, BoardEvents } from './boardLive.js';
export * from './hitTest.js';
export * from './boardView.js';
export * from './board.js';
export * from './svg.js';
export * from './whiteboard.js';
export * from './chat.js';
export * from './poll.js';
export * from './presentation.js';
export * from './pdfPages.js';
export * from './laser.js';
export * from './replay.js';
