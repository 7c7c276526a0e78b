import { readLasers, setLaser, validate } from 'peerclass';
import type { ClassSession } from '../session.js';

/** This app's awareness fields (beside the classroom's own presence): who we are and where our pointer is on the board. */
export interface BoardUser {
  peerId: string;
  name: string;
  color: string;
}

/** A pointer position on a board page, in board units. */
export interface BoardCursor {
  pageId: string;
  x: number;
  y: number;
}

const USER_FIELD = 'user';
const CURSOR_FIELD = 'cursor';

const userCheck = validate.object({ peerId: validate.str(200), name: validate.str(200), color: validate.color });
const cursorCheck = validate.object({ pageId: validate.str(64, 1), x: validate.num(-1e6, 1e6), y: validate.num(-1e6, 1e6) });

/** The awareness the class shares; what {@link ClassSession.awareness} returns. */
type Awareness = ClassSession['awareness'];

/** Announces who we are, for the labels on our cursor. */
export function publishUser(awareness: Awareness, user: BoardUser): void {
  awareness.setLocalStateField(USER_FIELD, user);
}

/** Shows (or hides with null) our pointer on the board to the others. */
export function publishCursor(awareness: Awareness, cursor: BoardCursor | null): void {
  awareness.setLocalStateField(CURSOR_FIELD, cursor);
}

/** A remote pointer, as the board draws it. */
export interface RemoteCursor extends BoardCursor {
  clientId: number;
  name: string;
  color: string;
}

/** Other people's pointers on `pageId`; states another peer wrote malformed are skipped. */
export function remoteCursors(awareness: Awareness, pageId: string): RemoteCursor[] {
  const out: RemoteCursor[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue;
    const user = userCheck(state[USER_FIELD]);
    const cursor = cursorCheck(state[CURSOR_FIELD]);
    if (validate.isInvalid(user) || validate.isInvalid(cursor) || cursor.pageId !== pageId) continue;
    out.push({ clientId, name: user.name.slice(0, 80), color: user.color, ...cursor });
  }
  return out;
}

/** Every laser dot on `pageId` (ours included: the presenter sees what students see). */
export function lasersOn(awareness: Awareness, pageId: string): Array<{ clientId: number; x: number; y: number; color: string }> {
  const out: Array<{ clientId: number; x: number; y: number; color: string }> = [];
  for (const [clientId, l] of readLasers(awareness)) if (l.slideId === pageId) out.push({ clientId, x: l.x, y: l.y, color: l.color });
  return out;
}

/** Shows (or hides with null) our laser dot. */
export function publishLaser(awareness: Awareness, laser: { pageId: string; x: number; y: number } | null): void {
  setLaser(awareness, laser === null ? null : { slideId: laser.pageId, x: laser.x, y: laser.y });
}

/** Minimum interval between awareness updates of a moving pointer, ms. */
const CURSOR_INTERVAL_MS = 50;
const LASER_INTERVAL_MS = 33;

/** Throttles a moving pointer's awareness updates; one per board view. */
export class PointerBroadcast {
  private lastCursor = 0;
  private lastLaser = 0;

  constructor(private readonly awareness: Awareness) {}

  /** The pointer is at (x, y) on `pageId`; with `laser`, it also moves our laser dot. */
  moved(pageId: string, x: number, y: number, laser: boolean, force = false): void {
    const now = performance.now();
    if (force || now - this.lastCursor > CURSOR_INTERVAL_MS) {
      this.lastCursor = now;
      publishCursor(this.awareness, { pageId, x: Math.round(x), y: Math.round(y) });
    }
    if (laser && (force || now - this.lastLaser > LASER_INTERVAL_MS)) {
      this.lastLaser = now;
      publishLaser(this.awareness, { pageId, x, y });
    }
  }

  /** The pointer left the board: hide our cursor (and laser dot). */
  left(laser: boolean): void {
    publishCursor(this.awareness, null);
    if (laser) publishLaser(this.awareness, null);
  }
}
