#!/usr/bin/env node
// The relay. Installed from the package it runs the compiled dist/; in a checkout of the repository
// (signaling/*.ts present) it runs the TypeScript sources through tsx, so `npm run signal` needs no build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'signaling/cli.ts');
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(source).href);
} else {
  cli = await import('../dist/signaling/cli.js');
}
await cli.main(process.argv.slice(2));
