/**
 * The poll doc type: the extension example. It is written only against the public extension API
 * (defineDocType, DocContext, the validation helpers), exactly as a third-party type would be.
 */
import { ObservableV2 } from 'lib0/observable';
import type * as Y from 'yjs';
import { defineDocType, InvalidInputError, PermissionError, ReadOnlyError } from './types.js';
import type { DocContext } from './types.js';
import { allOf, ALLOW, deny, shared, teacherOnlyKeys, type DocPolicy } from './policy.js';
import { arrayOf, int, isInvalid, num, object, oneOf, str } from './validate.js';

/** One poll as the app sees it. */
export interface PollState {
  id: string;
  question: string;
  options: string[];
  /** Votes per option, same order as `options`. */
  tally: number[];
  /** Number of participants who voted. */
  voters: number;
  /** The local participant's choice, or null. */
  myVote: number | null;
  closed: boolean;
  /** When the teacher opened it (teacher's clock). */
  openedAt: number;
}

/** Poll events. */
export type PollEvents = {
  /** Something changed (a poll opened or closed, a vote arrived). */
  change: () => void;
};

const question = object({
  question: str(500, 1),
  options: arrayOf(str(200, 1), 20),
  role: oneOf(['teacher'] as const),
  t: num(),
});
const teacherClaim = object({ role: oneOf(['teacher'] as const) });

/**
 * Polls in the class. Stored in one Y.Map: `q:<poll>` (question), `v:<poll>:<peer>` (a vote:
 * one key per participant, so each peer has exactly one vote and can change it), `c:<poll>` (closed).
 * Questions and close markers count only when they claim the teacher role.
 */
export class Poll extends ObservableV2<PollEvents> {
  private readonly map: Y.Map<unknown>;
  private readonly onChange = (): void => this.emit('change', []);
  private seq = 0;

  constructor(private readonly ctx: DocContext) {
    super();
    this.map = ctx.doc.getMap<unknown>('poll');
    this.map.observe(this.onChange);
  }

  /** Teacher: open a poll; returns its id. */
  open(text: string, options: string[]): string {
    this.assertTeacher('open polls');
    const record = { question: text, options, role: 'teacher', t: this.ctx.now() };
    if (isInvalid(question(record)) || options.length < 2) throw new InvalidInputError('a poll needs a question and 2..20 options');
    const id = `${this.ctx.localPeerId.slice(0, 32)}-${this.ctx.now().toString(36)}-${this.seq++}`;
    this.map.set(`q:${id}`, record);
    return id;
  }

  /** Teacher: close a poll; later votes are refused locally. */
  close(id: string): void {
    this.assertTeacher('close polls');
    this.map.set(`c:${id}`, { role: 'teacher' });
  }

  /** Vote (or change your vote) for option `choice` (0-based). */
  vote(id: string, choice: number): void {
    this.assertWritable('voting');
    const poll = this.get(id);
    if (poll === undefined) throw new InvalidInputError(`no poll ${id}`);
    if (poll.closed) throw new InvalidInputError('the poll is closed');
    if (!Number.isInteger(choice) || choice < 0 || choice >= poll.options.length) throw new InvalidInputError('no such option');
    this.map.set(`v:${id}:${this.ctx.localPeerId}`, choice);
  }

  /** One poll with its live tally. */
  get(id: string): PollState | undefined {
    const q = question(this.map.get(`q:${id}`));
    if (isInvalid(q)) return undefined;
    const tally = q.options.map(() => 0);
    const prefix = `v:${id}:`;
    const validChoice = int(0, q.options.length - 1);
    let voters = 0;
    let myVote: number | null = null;
    this.map.forEach((value, key) => {
      if (!key.startsWith(prefix)) return;
      const choice = validChoice(value);
      if (isInvalid(choice)) {
        this.ctx.report({ docType: 'poll', path: key, reason: choice.reason });
        return;
      }
      tally[choice] = (tally[choice] ?? 0) + 1;
      voters++;
      if (key === prefix + this.ctx.localPeerId) myVote = choice;
    });
    const closed = !isInvalid(teacherClaim(this.map.get(`c:${id}`)));
    return { id, question: q.question, options: q.options, tally, voters, myVote, closed, openedAt: q.t };
  }

  /** All valid polls, oldest first. */
  list(): PollState[] {
    const out: PollState[] = [];
    for (const key of this.map.keys()) {
      if (!key.startsWith('q:')) continue;
      const poll = this.get(key.slice(2));
      if (poll === undefined) this.reportQuestion(key);
      else out.push(poll);
    }
    return out.sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
  }

  /** The most recently opened poll. */
  current(): PollState | undefined {
    return this.list().at(-1);
  }

  /** Stop observing. */
  override destroy(): void {
    this.map.unobserve(this.onChange);
    super.destroy();
  }

  private assertTeacher(action: string): void {
    if (this.ctx.localRole !== 'teacher') throw new PermissionError(action);
    this.assertWritable(action);
  }

  private assertWritable(action: string): void {
    // The class may refuse this peer's writes (ctx.isReadOnly); a type of your own should honour it the same way.
    if (this.ctx.isReadOnly()) throw new ReadOnlyError('poll', action);
  }

  private reportQuestion(key: string): void {
    const value = this.map.get(key);
    const checked = question(value);
    if (!isInvalid(checked)) return;
    // A well-formed record that does not claim the teacher is a student's forgery, not garbage: say which.
    const forged = typeof value === 'object' && value !== null && isInvalid(teacherClaim(value));
    this.ctx.report({ docType: 'poll', path: key, code: forged ? 'not-teacher' : 'invalid', reason: checked.reason });
  }
}

/** A student writes only its own vote keys `v:<poll>:<its peer id>`, each an integer choice. */
const ownVotes: DocPolicy = (change) => {
  if (change.teacher) return ALLOW;
  for (const ins of change.inserts) {
    const key = ins.place?.topKey ?? '';
    const voter = /^v:[^:]+:(.+)$/.exec(key)?.[1];
    if (voter !== change.author) return deny('invalid', `a student writes only its own vote, not ${key.slice(0, 80)}`);
    if (ins.place?.depth !== 0 || ins.kind !== 'values' || !ins.values.every((v) => Number.isInteger(v))) return deny('invalid', 'a vote is one integer');
  }
  return ALLOW;
};

/**
 * The poll's write policy: questions and close markers are the teacher's; each student writes only its own vote key,
 * so it has one vote per poll (changing it overwrites its own).
 */
export const pollPolicy: DocPolicy = allOf(teacherOnlyKeys((k) => k.startsWith('q:') || k.startsWith('c:')), ownVotes, shared);

/** The poll doc type: `documents.register(pollType)` returns a {@link Poll}. */
export const pollType = defineDocType<Poll>({ name: 'poll', version: 1, create: (ctx) => new Poll(ctx), policy: pollPolicy });
