#!/usr/bin/env node
// The keeper. Installed from the package it runs the compiled dist/; in a checkout of the repository
// (src/keeper/*.ts present) it runs the TypeScript sources through tsx, so `npm run keeper` needs no build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/keeper/cli.ts');
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(source).href);
} else {
  cli = await import('../dist/src/keeper/cli.js');
}
await cli.main(process.argv.slice(2));
