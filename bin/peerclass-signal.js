#!/usr/bin/env node
// The relay is TypeScript; tsx compiles it on the fly so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../signaling/cli.ts');
await main(process.argv.slice(2));
