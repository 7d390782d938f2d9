#!/usr/bin/env node
// The VPC simulator from the compiled output (the container image runs no tsx): dist/sim/cli.js.
const { main } = await import(new URL('../../../packages/cloud/dist/sim/cli.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
