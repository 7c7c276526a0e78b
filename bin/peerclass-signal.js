#!/usr/bin/env node
// The relay (see bin/runCli.js for how it finds its code).
import { runCli } from './runCli.js';

await runCli('signaling/cli.ts', 'dist/signaling/cli.js');
