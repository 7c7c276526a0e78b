import { onBeforeUnmount, shallowRef } from 'vue';
import type { ShallowRef } from 'vue';
import { REACTION_MS, reactions } from './classSignals.js';
import type { Reaction } from './classSignals.js';
import type { ClassSession } from './session.js';

/**
 * Reactions showing right now, by peer id: each new reaction a participant sends (awareness, classSignals.ts) shows
 * for REACTION_MS from when it arrived here, so clocks do not matter.
 */
export function useReactions(s: ClassSession): Readonly<ShallowRef<ReadonlyMap<string, Reaction>>> {
  const showing = shallowRef<ReadonlyMap<string, Reaction>>(new Map());
  const seen = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const set = (peerId: string, emoji: Reaction | null): void => {
    const next = new Map(showing.value);
    if (emoji === null) next.delete(peerId);
    else next.set(peerId, emoji);
    showing.value = next;
  };
  const check = (): void => {
    const now = reactions(s.awareness);
    for (const p of s.participants.value) {
      const r = now.get(p.peerId);
      if (r === undefined || seen.get(p.peerId) === r.n) continue;
      seen.set(p.peerId, r.n);
      set(p.peerId, r.emoji);
      clearTimeout(timers.get(p.peerId));
      timers.set(p.peerId, setTimeout(() => set(p.peerId, null), REACTION_MS));
    }
  };
  s.awareness.on('change', check);
  onBeforeUnmount(() => {
    s.awareness.off('change', check);
    for (const t of timers.values()) clearTimeout(t);
  });
  return showing;
}
