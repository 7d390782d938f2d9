#!/usr/bin/env node
// ipamctl from the compiled output (the container image runs no tsx): dist/ipamctl/main.js.
const { main } = await import(new URL('../../../packages/ipamd/dist/ipamctl/main.js', import.meta.url).href);
process.exitCode = await main();
