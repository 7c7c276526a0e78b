#!/usr/bin/env node
// The keeper (see bin/runCli.js for how it finds its code).
import { runCli } from './runCli.js';

await runCli('src/keeper/cli.ts', 'dist/src/keeper/cli.js');
