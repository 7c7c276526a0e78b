import { validate } from 'peerclass';
import type { Check } from 'peerclass';
import type { ClassSession } from './session.js';

/**
 * Short-lived class signals this app keeps in the class's awareness (nothing here needs to outlive a peer's stay):
 * the teacher's board viewport, emoji reactions, a staged student's "leave the stage" and the teacher's
 * "please turn your camera off". Each peer writes only its own awareness state; readers find a peer's state by the
 * peer id the app publishes in its `user` field (board/presence.ts), and trust the teacher's entries only for the
 * peer the classroom verified as the teacher. These are cooperative, like the teacher's mute request: a modified
 * client can ignore them.
 */
type Awareness = ClassSession['awareness'];

const userPeer = validate.object({ peerId: validate.str(200) });

/** The awareness states written by `peerId`. */
export function statesOf(awareness: Awareness, peerId: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const state of awareness.getStates().values()) {
    const user = userPeer(state.user);
    if (!validate.isInvalid(user) && user.peerId === peerId) out.push(state);
  }
  return out;
}

/** Every peer's awareness states, by peer id (one pass, for readers that look at everyone). */
export function statesByPeer(awareness: Awareness): Map<string, Array<Record<string, unknown>>> {
  const out = new Map<string, Array<Record<string, unknown>>>();
  for (const state of awareness.getStates().values()) {
    const user = userPeer(state.user);
    if (validate.isInvalid(user)) continue;
    const list = out.get(user.peerId);
    if (list === undefined) out.set(user.peerId, [state]);
    else list.push(state);
  }
  return out;
}

/** The first valid value of `field` among `peerId`'s awareness states. */
function fieldOf<T>(awareness: Awareness, peerId: string, field: string, check: Check<T>): T | null {
  for (const state of statesOf(awareness, peerId)) {
    const v = check(state[field]);
    if (!validate.isInvalid(v)) return v;
  }
  return null;
}

// --- the teacher's board viewport -------------------------------------------------------------------------------

/** The board area the teacher sees (board units) and whether students should follow it. */
export interface SharedBoardView {
  pageId: string;
  x: number;
  y: number;
  w: number;
  h: number;
  follow: boolean;
}

const BOARD_VIEW = 'boardView';
const coord = validate.num(-1e7, 1e7);
const boardViewCheck = validate.object({
  pageId: validate.str(64, 1), x: coord, y: coord, w: validate.num(1, 1e7), h: validate.num(1, 1e7), follow: validate.bool,
});

export function publishBoardView(awareness: Awareness, view: SharedBoardView | null): void {
  awareness.setLocalStateField(BOARD_VIEW, view);
}

export function teacherBoardView(awareness: Awareness, teacherPeerId: string): SharedBoardView | null {
  return fieldOf(awareness, teacherPeerId, BOARD_VIEW, boardViewCheck);
}

// --- reactions ----------------------------------------------------------------------------------------------------

/** The reactions offered. */
export const REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'] as const;
export type Reaction = (typeof REACTIONS)[number];
const REACTION = 'reaction';
const reactionCheck = validate.object({ emoji: validate.oneOf(REACTIONS), n: validate.int(0) });
/** How long a reaction shows over a tile, ms. */
export const REACTION_MS = 4_000;

let reactionSeq = 0;
/** Sends a reaction; each call is a new one (a counter), even with the same emoji. */
export function sendReaction(awareness: Awareness, emoji: Reaction): void {
  awareness.setLocalStateField(REACTION, { emoji, n: ++reactionSeq });
}

/** Everyone's latest reaction, by peer id. */
export function reactions(awareness: Awareness): Map<string, { emoji: Reaction; n: number }> {
  const out = new Map<string, { emoji: Reaction; n: number }>();
  for (const [peerId, states] of statesByPeer(awareness)) {
    for (const state of states) {
      const r = reactionCheck(state[REACTION]);
      if (!validate.isInvalid(r)) {
        out.set(peerId, r);
        break;
      }
    }
  }
  return out;
}

// --- a staged student leaves the stage ------------------------------------------------------------------------------

const LEAVE_STAGE = 'leaveStage';

/**
 * A student asks to leave the stage. Only the teacher can sign a stage change (Classroom.setStage), so the
 * student's app raises this flag and the teacher's app takes them off stage when it sees it.
 */
export function askToLeaveStage(awareness: Awareness, leave: boolean): void {
  awareness.setLocalStateField(LEAVE_STAGE, leave ? true : null);
}

export function wantsToLeaveStage(awareness: Awareness, peerId: string): boolean {
  return fieldOf(awareness, peerId, LEAVE_STAGE, validate.bool) === true;
}

// --- the teacher asks a student to turn the camera off -------------------------------------------------------------

const CAMERA_OFF = 'cameraOffAsk';
const cameraAskCheck = validate.object({ peerId: validate.str(200, 1), n: validate.int(0) });
let cameraSeq = 0;

/** Teacher: ask `peerId` to turn their camera off (cooperative: their app turns it off, they may turn it on again). */
export function askCameraOff(awareness: Awareness, peerId: string): void {
  awareness.setLocalStateField(CAMERA_OFF, { peerId, n: ++cameraSeq });
}

/** The teacher's latest camera-off request, if it is for `peerId`. */
export function cameraOffAskFor(awareness: Awareness, teacherPeerId: string, peerId: string): number | null {
  const ask = fieldOf(awareness, teacherPeerId, CAMERA_OFF, cameraAskCheck);
  return ask !== null && ask.peerId === peerId ? ask.n : null;
}

/**
 * Keeps the stage-leave flags working: the teacher's app takes a student off stage when they ask; a student's app
 * clears its own flag once off stage. Returns a cleanup function.
 */
export function wireStageLeave(session: ClassSession): () => void {
  const check = (): void => {
    const stage = session.stage.value;
    if (session.role === 'teacher') {
      if (stage !== null && wantsToLeaveStage(session.awareness, stage)) {
        session.classroom.setStage(null).catch(() => undefined);
      }
    } else if (stage !== session.peerId && wantsToLeaveStage(session.awareness, session.peerId)) {
      askToLeaveStage(session.awareness, false);
    }
  };
  session.awareness.on('change', check);
  session.classroom.on('stage', check);
  return () => {
    session.awareness.off('change', check);
    session.classroom.off('stage', check);
  };
}

// --- the teacher records the lesson ------------------------------------------------------------------------------

const RECORDING = 'recording';

/** Teacher: tell everyone whether this lesson is being recorded. */
export function announceRecording(awareness: Awareness, on: boolean): void {
  awareness.setLocalStateField(RECORDING, on ? true : null);
}

/**
 * Whether the teacher says it is recording. Any state under the teacher's peer id saying so counts: a state forged
 * under that id (awareness entries are not bound to peers) can then only show the indicator, never hide it.
 */
export function teacherRecording(awareness: Awareness, teacherPeerId: string): boolean {
  return statesOf(awareness, teacherPeerId).some((state) => state[RECORDING] === true);
}
