import { isTeacher } from 'peerclass';
import type { AdmissionMode, Classroom, ClassroomRejection, ClassroomRejectionReason, Knock } from 'peerclass';
import { shallowRef } from 'vue';
import type { ShallowRef } from 'vue';

/** A peer whose messages or edits the teacher's client refused, with how often and why. */
export interface Offender {
  /** The writer's peer id, or '' when the refusal named nobody. */
  peerId: string;
  count: number;
  /** Plain-words reasons with their counts, most frequent first. */
  reasons: Array<{ text: string; count: number }>;
  /** When the latest refusal arrived (this browser's clock). */
  last: number;
}

/** What a student sees before the class opens for it. */
export type WaitState = 'none' | 'waiting' | 'not-let-in';

/** After this long with the relay reached, the teacher there and no link, a student is waiting in the lobby. */
export const WAIT_AFTER_MS = 4_000;
/** After this long in the lobby, the student is told the teacher has not let them in (yet). */
export const NOT_LET_IN_AFTER_MS = 30_000;

/** A rejection reason in words a teacher understands. */
export function reasonText(reason: ClassroomRejectionReason): string {
  if (reason === 'write-policy') return 'tried to change something they may not';
  if (reason.startsWith('signature:')) return 'sent a message with a bad signature';
  if (reason === 'forged-teacher') return 'pretended to be the teacher';
  if (reason === 'replay') return 'replayed an old teacher instruction';
  return 'sent a teacher instruction that was not valid';
}

/**
 * The admission side of a class as the app shows it, from the Classroom's events (no polling): the teacher's lobby
 * and admission mode, the refused writers, and for a student whether it is waiting to be let in.
 */
export class AdmissionView {
  /** Teacher: students knocking, oldest first (the Classroom's `lobby` event). */
  readonly knocks: ShallowRef<Knock[]>;
  /** The class's admission mode (signed control state, re-read on `control`). */
  readonly mode: ShallowRef<AdmissionMode>;
  /** Bumped on every `control` event, so views that read signed state (keepers) re-render. */
  readonly controlTick = shallowRef(0);
  /** Teacher: refused writers, most recent first (the Classroom's `rejected` event). */
  readonly offenders = shallowRef<Offender[]>([]);
  /** Student: waiting in the lobby, or told the teacher has not let them in. */
  readonly wait = shallowRef<WaitState>('none');
  private readonly byWriter = new Map<string, { count: number; last: number; reasons: Map<string, number> }>();
  private readonly cleanups: Array<() => void> = [];
  private reachedPeer = false;
  private waitingSince: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly classroom: Classroom) {
    const admission = classroom.admission;
    this.knocks = shallowRef(classroom.role === 'teacher' ? admission.lobby() : []);
    this.mode = shallowRef(admission.mode());
    const onLobby = (knocks: Knock[]): void => { this.knocks.value = knocks; };
    const onControl = (): void => {
      this.mode.value = admission.mode();
      this.controlTick.value++;
      if (classroom.role === 'teacher') this.knocks.value = admission.lobby();
    };
    const onRejected = (r: ClassroomRejection): void => this.refused(r);
    const onChange = (): void => this.reviewWait();
    classroom.on('lobby', onLobby);
    classroom.on('control', onControl);
    classroom.on('rejected', onRejected);
    classroom.on('status', onChange);
    classroom.network.on('known-peers', onChange);
    this.cleanups.push(() => {
      classroom.off('lobby', onLobby);
      classroom.off('control', onControl);
      classroom.off('rejected', onRejected);
      classroom.off('status', onChange);
      classroom.network.off('known-peers', onChange);
    });
    this.reviewWait();
  }

  /** Stops listening. */
  destroy(): void {
    for (const c of this.cleanups) c();
    this.cleanups.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** A name for a peer: the signed roster, else what it announced, else a short id. */
  nameOf(peerId: string): string {
    if (peerId === '') return 'Unknown sender';
    const c = this.classroom;
    const named = c.admission.roster().get(peerId)?.name || c.participants().find((p) => p.peerId === peerId)?.name
      || c.network.knownPeers().find((p) => p.peerId === peerId)?.name;
    return named ? named.slice(0, 80) : `peer ${peerId.slice(0, 10)}…`;
  }

  /** Whether the teacher trusts `peerId` as a keeper (reactive). */
  isKeeper(peerId: string): boolean {
    void this.controlTick.value;
    return this.classroom.admission.isKeeper(peerId);
  }

  private refused(r: ClassroomRejection): void {
    if (this.classroom.role !== 'teacher') return;
    const writer = r.writer ?? '';
    if (writer === this.classroom.peerId) return;
    const entry = this.byWriter.get(writer) ?? { count: 0, last: 0, reasons: new Map<string, number>() };
    const text = reasonText(r.reason);
    entry.count++;
    entry.last = Date.now();
    entry.reasons.set(text, (entry.reasons.get(text) ?? 0) + 1);
    this.byWriter.set(writer, entry);
    this.offenders.value = [...this.byWriter].map(([peerId, e]) => ({
      peerId, count: e.count, last: e.last,
      reasons: [...e.reasons].map(([t, count]) => ({ text: t, count })).sort((a, b) => b.count - a.count),
    })).sort((a, b) => b.last - a.last);
  }

  /** Teacher: forget a refused writer (after removing it, or when the teacher dismisses the row). */
  dismiss(peerId: string): void {
    this.byWriter.delete(peerId);
    this.offenders.value = this.offenders.value.filter((o) => o.peerId !== peerId);
  }

  /**
   * A student that reached the relay and sees the verified teacher there but has no link to anyone for a few seconds
   * is not admitted yet (a lobby class: the teacher's client ignores it until admitted). Once it reached a peer, a
   * later outage is the status bar's business.
   */
  private reviewWait(): void {
    const c = this.classroom;
    if (c.role === 'teacher' || this.reachedPeer) return;
    const status = c.status();
    if (status.peers > 0) {
      this.reachedPeer = true;
      this.setWait('none');
      return;
    }
    const teacherThere = c.network.knownPeers().some((p) => isTeacher(p, c.teacherKey));
    if (status.signaling !== 'connected' || !teacherThere) {
      this.waitingSince = null;
      if (this.wait.value === 'none') this.clearTimer();
      return;
    }
    this.waitingSince ??= Date.now();
    this.schedule();
  }

  private schedule(): void {
    this.clearTimer();
    if (this.waitingSince === null) return;
    const elapsed = Date.now() - this.waitingSince;
    if (elapsed >= NOT_LET_IN_AFTER_MS) { this.setWait('not-let-in'); return; }
    if (elapsed >= WAIT_AFTER_MS) this.setWait('waiting');
    const next = (elapsed < WAIT_AFTER_MS ? WAIT_AFTER_MS : NOT_LET_IN_AFTER_MS) - elapsed;
    this.timer = setTimeout(() => { this.timer = null; this.reviewWait(); }, next);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setWait(state: WaitState): void {
    if (this.wait.value !== state) this.wait.value = state;
  }
}
