/**
 * `npm run bench`: every benchmark in turn, each writing bench/results/<name>.json and printing its table.
 * Benchmarks are not part of `npm test`: their numbers are compared against the baseline of the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const runs: Array<{ script: string; name: string; args: string[] }> = [
  { script: 'bench/relay.ts', name: 'relay', args: [] },
  { script: 'bench/relay.ts', name: 'relay-burst', args: ['--burst', '6'] },
  { script: 'bench/sync.ts', name: 'sync-5', args: ['--peers', '5'] },
  { script: 'bench/sync.ts', name: 'sync-10', args: ['--peers', '10'] },
  { script: 'bench/docs.ts', name: 'docs', args: [] },
  { script: 'bench/media.ts', name: 'media', args: ['--students', '6'] },
  { script: 'bench/render.ts', name: 'render', args: [] },
  { script: 'bench/bundle.ts', name: 'bundle', args: [] },
  // Needs root (the network lab) and takes ~8 minutes (a 60 s cut and a 3-minute lesson under loss).
  { script: 'bench/network.ts', name: 'network', args: [] },
];

let failed = 0;
for (const run of runs) {
  if (!existsSync(run.script)) { console.log(`\n(skipping ${run.name}: ${run.script} not present)`); continue; }
  console.log(`\n=== ${run.name} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', run.script, ...run.args, '--json', `bench/results/${run.name}.json`], { stdio: 'inherit' });
  if (result.status !== 0) { failed++; console.error(`${run.name} failed with exit code ${result.status}`); }
}
process.exit(failed === 0 ? 0 : 1);
