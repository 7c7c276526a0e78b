/** Relay URL injected by `npm run dev`; empty in the built app (which uses its own origin). */
declare const __PEERCLASS_SIGNALING__: string;
/** True only in builds for the app's tests (PEERCLASS_TEST_HOOKS=1): they reach the session through the window. */
declare const __PEERCLASS_TEST_HOOKS__: boolean;

interface Window {
  /** Test builds only: the current class session, for tests that act as a misbehaving client. */
  __peerclassTest?: { session: unknown };
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
