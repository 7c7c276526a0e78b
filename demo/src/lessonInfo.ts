import { defineDocType, validate } from 'peerclass';
import type { DocContext } from 'peerclass';

/** Class title and the like, shared by the teacher. A small app-defined doc type (the extension API). */
export class LessonInfo {
  private readonly map;
  private readonly listeners = new Set<() => void>();
  private readonly check = validate.str(200);

  constructor(private readonly ctx: DocContext) {
    this.map = ctx.doc.getMap<unknown>('lesson');
    this.map.observe(() => this.listeners.forEach((l) => l()));
  }

  /** The class title ('' until the teacher's copy arrives). */
  title(): string {
    const v = this.check(this.map.get('title'));
    return validate.isInvalid(v) ? '' : v;
  }

  /** Set the title (teacher only; students' writes would be ignored by convention). */
  setTitle(title: string): void {
    if (this.ctx.localRole !== 'teacher') return;
    this.map.set('title', title.slice(0, 200));
  }

  /** Call `fn` whenever the info changes; returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The lesson info doc type. */
export const lessonInfoType = defineDocType<LessonInfo>({ name: 'lesson', version: 1, create: (ctx) => new LessonInfo(ctx) });
