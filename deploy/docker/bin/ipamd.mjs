#!/usr/bin/env node
// ipamd from the compiled output (the container image runs no tsx): dist/main/main.js.
const { main } = await import(new URL('../../../packages/ipamd/dist/main/main.js', import.meta.url).href);
process.exitCode = await main();
