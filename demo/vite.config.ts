import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The classroom app. `npm start` builds it into demo/dist; `npm run dev` serves it with a local relay. */
export const config = defineConfig({
  root: here('.'),
  base: './',
  plugins: [vue()],
  resolve: { alias: { peerclass: here('../src/index.ts') } },
  // The relay URL for dev mode (the built app derives it from location instead).
  // PEERCLASS_TEST_HOOKS=1 (the app tests only) exposes the session on `window.__peerclassTest`; other builds drop that code.
  define: {
    __PEERCLASS_SIGNALING__: JSON.stringify(process.env.PEERCLASS_SIGNALING ?? ''),
    __PEERCLASS_TEST_HOOKS__: JSON.stringify(process.env.PEERCLASS_TEST_HOOKS === '1'),
  },
  server: { host: '127.0.0.1', port: Number(process.env.PEERCLASS_DEV_PORT ?? 5173), strictPort: false },
  build: { outDir: here('dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  logLevel: process.env.PEERCLASS_VITE_LOG === 'silent' ? 'silent' : 'info',
});

// Vite loads a config file through its default export; the project otherwise uses named exports only.
export default config;
