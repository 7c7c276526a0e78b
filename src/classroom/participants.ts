import type { Presence } from '../protocol/presence.js';
import { isTeacher, type PeerInfo } from '../topology/index.js';
import type { ConnectionQuality } from '../media/index.js';
import type { Participant } from './types.js';

/** What {@link listParticipants} reads. */
export interface ParticipantSources {
  self: Participant;
  teacherKey: string;
  presences: Map<string, Presence>;
  known: PeerInfo[];
  reachable: string[];
  removed: Set<string>;
  /** Names the teacher admitted peers under (the signed roster): they win over self-declared names. */
  roster?: Map<string, { name: string }>;
  stage: string | null;
  qualityOf(peerId: string): ConnectionQuality | undefined;
}

/** Everyone in the class as this peer sees it (itself first), without removed students. */
export function listParticipants(sources: ParticipantSources): Participant[] {
  const reachable = new Set(sources.reachable);
  const known = new Map(sources.known.map((p) => [p.peerId, p]));
  const out: Participant[] = [sources.self];
  for (const id of new Set([...sources.presences.keys(), ...reachable])) {
    if (id === sources.self.peerId || sources.removed.has(id)) continue;
    const info = known.get(id);
    const presence = sources.presences.get(id);
    const participant: Participant = {
      peerId: id,
      name: sources.roster?.get(id)?.name || presence?.name || info?.name || '',
      // Believe a teacher claim only with the class key (the verified signaling announcement carries it).
      role: info !== undefined && isTeacher(info, sources.teacherKey) ? 'teacher' : 'student',
      handRaisedAt: presence?.hand ?? null,
      onStage: sources.stage === id,
      connected: reachable.has(id),
    };
    const quality = sources.qualityOf(id);
    if (quality !== undefined) participant.quality = quality;
    out.push(participant);
  }
  return out;
}

/** Students with a raised hand, oldest raise first. */
export function handQueue(participants: readonly Participant[]): string[] {
  return participants
    .filter((p): p is Participant & { handRaisedAt: number } => p.handRaisedAt !== null && p.role === 'student')
    .sort((a, b) => a.handRaisedAt - b.handRaisedAt || (a.peerId < b.peerId ? -1 : 1))
    .map((p) => p.peerId);
}

/**
 * The standby student: the one the teacher is most likely to stage next, i.e. the head of the hand queue (earliest
 * raised hand) skipping the student already on stage, or null. `participants` must come from {@link listParticipants}
 * (removed and non-admitted students are already left out; the teacher never counts, see {@link handQueue}).
 *
 * The class topology links the standby to every student like the staged one, data-only (the send rule keeps its
 * media off until it is staged), so `setStage(standby)` only adds tracks to links that are up. Every peer computes it
 * from the same presence (awareness converges), so both ends of each standby link want it.
 *
 * Trust: the hand timestamp is the student's own claim, so a modified client can claim an early hand and become
 * standby. All that gets it is the data links it would get when staged — links every student already accepts from the
 * staged student — and no media (the send rule ignores the standby). It is bounded: there is exactly one standby at a
 * time, so no number of lying clients widens the graph beyond star + stage + one. The teacher still decides who is
 * staged (signed control); a student who jumps the queue this way is visible in the hand queue every peer shows.
 */
export function standbyOf(participants: readonly Participant[], stage: string | null): string | null {
  return handQueue(participants).find((id) => id !== stage) ?? null;
}

/** What changed since the previous list, for the Classroom's events. */
export interface ParticipantsChange {
  /** The list, when anything in it changed. */
  participants: Participant[] | null;
  joined: Participant[];
  left: string[];
  /** The hand queue, when it changed. */
  hands: string[] | null;
}

/** Turns successive participant lists into change events (nothing is reported twice). */
export class ParticipantsDiff {
  #lastList = '';
  #lastHands = '';
  /** Others present and reachable at the last reported list. */
  #present = new Set<string>();

  next(participants: Participant[], selfId: string): ParticipantsChange {
    const change: ParticipantsChange = { participants: null, joined: [], left: [], hands: null };
    const key = JSON.stringify(participants);
    if (key !== this.#lastList) {
      this.#lastList = key;
      change.participants = participants;
      const present = new Set<string>();
      for (const p of participants) {
        if (p.peerId === selfId || !p.connected) continue;
        present.add(p.peerId);
        if (!this.#present.has(p.peerId)) change.joined.push(p);
      }
      change.left = [...this.#present].filter((id) => !present.has(id));
      this.#present = present;
    }
    const hands = handQueue(participants);
    const handsKey = JSON.stringify(hands);
    if (handsKey !== this.#lastHands) {
      this.#lastHands = handsKey;
      change.hands = hands;
    }
    return change;
  }
}
