#!/usr/bin/env node
// `npm run dev`: a local relay on ws://127.0.0.1:4444 plus Vite's dev server for demo/, which tells
// the app where the relay is (in the built app the relay serves the page and the app uses its origin).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PEERCLASS_PORT ?? 4444);

register();
const { startRelay } = await import('../signaling/index.ts');
const relay = await startRelay({ host: '127.0.0.1', port, logLevel: process.env.LOG_LEVEL ?? 'info' });
process.env.PEERCLASS_SIGNALING = relay.url;

const { createServer } = await import('vite');
const server = await createServer({ configFile: join(root, 'demo/vite.config.ts'), server: { host: '127.0.0.1' } });
await server.listen();
server.printUrls();
console.log(`peerclass dev: relay on ${relay.url}`);

const stop = async () => {
  await server.close();
  await relay.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
