import { color, isInvalid, num, object, optional, str } from './validate.js';

/** Awareness field holding a peer's laser pointer. */
export const LASER_FIELD = 'laser';

/** A laser pointer position on a slide (or board page), in slide coordinates. */
export interface LaserPointer {
  slideId: string;
  x: number;
  y: number;
  color: string;
}

/** The part of y-protocols' Awareness these helpers use (kept structural so any awareness works). */
export interface AwarenessLike {
  /** Set one field of the local state. */
  setLocalStateField(field: string, value: unknown): void;
  /** All known states by client id. */
  getStates(): Map<number, Record<string, unknown>>;
}

const laserCheck = object({ slideId: str(64, 1), x: num(-1e6, 1e6), y: num(-1e6, 1e6), color: optional(color, '#ff0000') });

/** Show (or hide with null) the local laser pointer. Awareness, not the doc: pointers are ephemeral. */
export function setLaser(awareness: AwarenessLike, laser: { slideId: string; x: number; y: number; color?: string } | null): void {
  awareness.setLocalStateField(LASER_FIELD, laser === null ? null : { color: '#ff0000', ...laser });
}

/** Every peer's visible laser pointer by awareness client id; malformed ones are skipped (and passed to `onInvalid`). */
export function readLasers(awareness: AwarenessLike, onInvalid?: (clientId: number, reason: string) => void): Map<number, LaserPointer> {
  const out = new Map<number, LaserPointer>();
  for (const [clientId, state] of awareness.getStates()) {
    const value = state[LASER_FIELD];
    if (value === undefined || value === null) continue;
    const r = laserCheck(value);
    if (isInvalid(r)) onInvalid?.(clientId, r.reason);
    else out.set(clientId, r);
  }
  return out;
}
