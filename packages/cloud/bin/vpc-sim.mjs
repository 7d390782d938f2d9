#!/usr/bin/env node
// Runs the VPC simulator's TypeScript entry through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/sim/cli.ts');
process.exitCode = await main(process.argv.slice(2));
