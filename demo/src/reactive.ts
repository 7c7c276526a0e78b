import { onBeforeUnmount, ref } from 'vue';
import type { Ref } from 'vue';

/**
 * A counter bumped whenever `subscribe` reports a change; computed values read it to re-evaluate.
 * The framework objects are plain observables, so this is the one bridge into Vue's reactivity.
 */
export function useTick(subscribe: (fn: () => void) => () => void): Ref<number> {
  const tick = ref(0);
  const off = subscribe(() => {
    tick.value++;
  });
  onBeforeUnmount(off);
  return tick;
}

/** Subscribe to an ObservableV2-style event and unsubscribe on unmount. */
export function onEvent<T extends { on(name: string, fn: (...args: never[]) => void): void; off(name: string, fn: (...args: never[]) => void): void }>(
  target: T,
  name: string,
  fn: (...args: never[]) => void,
): () => void {
  target.on(name, fn);
  return () => target.off(name, fn);
}
