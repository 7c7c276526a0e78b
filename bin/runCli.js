// Runs one of the package's command-line tools. In a checkout of the repository (the TypeScript source present) it
// runs the source through tsx, so `npm run signal` / `npm run keeper` need no build; installed from the package it
// runs the compiled module in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Loads `source` (repo) or `compiled` (package), both relative to the package root, and calls its `main(argv)`. */
export async function runCli(source, compiled) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const sourcePath = join(root, source);
  let cli;
  if (existsSync(sourcePath)) {
    const { register } = await import('tsx/esm/api');
    register();
    cli = await import(pathToFileURL(sourcePath).href);
  } else {
    cli = await import(pathToFileURL(join(root, compiled)).href);
  }
  await cli.main(process.argv.slice(2));
}
