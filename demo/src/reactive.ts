import { onBeforeUnmount, ref } from 'vue';
import type { Ref } from 'vue';

/**
 * A counter bumped whenever `subscribe` reports a change; computed values read it to re-evaluate.
 * For framework objects that are plain observables (docs, presentation, history, awareness).
 */
export function useTick(subscribe: (fn: () => void) => () => void): Ref<number> {
  const tick = ref(0);
  const off = subscribe(() => {
    tick.value++;
  });
  onBeforeUnmount(off);
  return tick;
}
