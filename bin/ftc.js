#!/usr/bin/env node
// The `ftc` command: registers tsx's ESM loader (the project runs TypeScript with no build step),
// then runs the CLI. Works from any working directory: paths resolve from this file.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
