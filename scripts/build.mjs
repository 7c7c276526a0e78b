#!/usr/bin/env node
// `npm run build`: compiles src/ and signaling/ to ESM + .d.ts in dist/ (tsconfig.build.json).
// Always a clean build: tsc writes into a fresh temporary folder that replaces dist/ only when it
// succeeded, so a failed build (or a module renamed since the last one) never leaves stale files to pack.
//
//   node scripts/build.mjs             build now
//   node scripts/build.mjs --if-stale  build only when a source is newer than the last build
//                                      (what `npm test`, `npm start`, `npm pack` and the package test use)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
// Everything the output depends on. Directory mtimes count too: they change when a file is added or removed.
const inputs = ['src', 'signaling', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** Newest modification time under `path` (files and directories), 0 when it does not exist. */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when dist/ is missing or older than any input. */
export function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return inputs.some((input) => newestMtime(join(root, input)) > built);
}

/** Compiles into a temporary folder and swaps it in for dist/; throws (keeping the old dist/) on errors. */
export function build() {
  const started = Date.now();
  const tmp = join(root, `.dist-build-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
    // The stamp carries the start time, so a source saved during the compile makes the next check rebuild.
    writeFileSync(join(tmp, '.build-stamp'), `${new Date(started).toISOString()}\n`);
    utimesSync(join(tmp, '.build-stamp'), new Date(started), new Date(started));
    // Another build may swap its output in between our rm and rename (two test runs at once): retry.
    for (let attempt = 0; ; attempt++) {
      rmSync(dist, { recursive: true, force: true });
      try {
        renameSync(tmp, dist);
        break;
      } catch (error) {
        if (attempt >= 3 || !['ENOTEMPTY', 'EEXIST'].includes(/** @type {NodeJS.ErrnoException} */ (error).code ?? '')) throw error;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`peerclass: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !isStale()) {
    console.log('peerclass: dist/ is up to date');
  } else {
    try {
      build();
    } catch {
      console.error('peerclass: build failed (dist/ left as it was)');
      process.exit(1);
    }
  }
}
