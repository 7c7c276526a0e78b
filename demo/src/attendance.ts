import type { Participant } from 'peerclass';

/** One stay in the class: who, and from when to when (ms since the epoch; `left` null while still here). */
export interface Stay {
  peerId: string;
  name: string;
  role: string;
  joined: number;
  left: number | null;
}

const KEY = 'peerclass:attendance:';

/**
 * The teacher's attendance list: who joined and left, as the teacher's browser saw it. Kept in localStorage per
 * class so a reload of the teacher's tab keeps it (the time the teacher was away is not covered).
 */
export class AttendanceLog {
  private readonly stays: Stay[];

  constructor(private readonly classId: string) {
    this.stays = AttendanceLog.load(classId);
    // Our previous tab ended without saying who left: close those stays now (the best time we know).
    for (const s of this.stays) if (s.left === null) s.left = Date.now();
  }

  joined(p: Pick<Participant, 'peerId' | 'name' | 'role'>, at = Date.now()): void {
    const open = this.stays.find((s) => s.peerId === p.peerId && s.left === null);
    if (open !== undefined) {
      open.name = p.name.slice(0, 100);
      return;
    }
    this.stays.push({ peerId: p.peerId, name: p.name.slice(0, 100), role: p.role, joined: at, left: null });
    this.save();
  }

  left(peerId: string, at = Date.now()): void {
    for (const s of this.stays) if (s.peerId === peerId && s.left === null) s.left = at;
    this.save();
  }

  /** Everyone still here leaves now (the teacher leaves the class). */
  close(at = Date.now()): void {
    for (const s of this.stays) if (s.left === null) s.left = at;
    this.save();
  }

  list(): Stay[] {
    return this.stays.map((s) => ({ ...s }));
  }

  /** name, role, joined, left (ISO 8601, UTC), minutes, peer id; one row per stay, in join order. */
  csv(now = Date.now()): string {
    const iso = (t: number | null): string => (t === null ? '' : new Date(t).toISOString());
    const rows = [['name', 'role', 'joined', 'left', 'minutes', 'peer id']];
    for (const s of [...this.stays].sort((a, b) => a.joined - b.joined)) {
      rows.push([s.name, s.role, iso(s.joined), iso(s.left), (((s.left ?? now) - s.joined) / 60_000).toFixed(1), s.peerId]);
    }
    return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
  }

  private save(): void {
    try {
      localStorage.setItem(KEY + this.classId, JSON.stringify(this.stays));
    } catch {
      // Storage full or disabled: the list still lives in this tab.
    }
  }

  private static load(classId: string): Stay[] {
    try {
      const raw: unknown = JSON.parse(localStorage.getItem(KEY + classId) ?? '[]');
      if (!Array.isArray(raw)) return [];
      return raw.filter((s): s is Stay => typeof s === 'object' && s !== null && typeof s.peerId === 'string' && typeof s.name === 'string' && typeof s.joined === 'number');
    } catch {
      return [];
    }
  }
}

/** A CSV field, quoted when needed; a leading = + - @ is defused so spreadsheets do not run it as a formula. */
function csvField(value: string): string {
  const v = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
