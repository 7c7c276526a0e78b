#!/usr/bin/env node
// `npm start`: builds the package (dist/) and the classroom app (demo/dist) when their sources changed,
// then runs one relay from dist/ that serves the app on http://127.0.0.1:4444 and introduces peers on
// ws://127.0.0.1:4444. No external service.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'demo');
const dist = join(demo, 'dist');

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).filter((n) => n !== 'dist' && n !== 'node_modules').map((n) => newestMtime(join(path, n))));
}

execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });

if (existsSync(join(demo, 'index.html'))) {
  const sources = Math.max(newestMtime(demo), newestMtime(join(root, 'src')));
  const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
  if (built < sources) {
    console.log('building the classroom app (demo/) …');
    execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(demo, 'vite.config.ts')], { cwd: root, stdio: 'inherit' });
  }
}

const { main } = await import('../dist/signaling/cli.js');
const staticArgs = existsSync(join(dist, 'index.html')) ? ['--static', dist] : [];
const relay = await main([...staticArgs, ...process.argv.slice(2)]);
if (relay !== null) console.log(`peerclass: open ${relay.httpUrl} (signaling on ${relay.url})`);
