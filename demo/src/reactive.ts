import type { Observable, ObservableV2 } from 'lib0/observable';
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

/** Subscribes to an event of a typed emitter (lib0 `ObservableV2`, as the framework's objects are) until the returned function is called. */
export function onEvent<E extends { [K in keyof E]: (...args: any[]) => void }, N extends keyof E & string>(target: ObservableV2<E>, name: N, fn: E[N]): () => void;
/** Subscribes to an event of an untyped lib0 `Observable` (y-protocols' Awareness). */
export function onEvent(target: Observable<string>, name: string, fn: (...args: never[]) => void): () => void;
export function onEvent(target: { on(name: string, fn: (...args: never[]) => void): unknown; off(name: string, fn: (...args: never[]) => void): unknown }, name: string, fn: (...args: never[]) => void): () => void {
  target.on(name, fn);
  return () => target.off(name, fn);
}
