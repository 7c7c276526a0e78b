/** Relay URL injected by `npm run dev`; empty in the built app (which uses its own origin). */
declare const __PEERCLASS_SIGNALING__: string;

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
