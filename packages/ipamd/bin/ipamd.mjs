#!/usr/bin/env node
// Runs ipamd's TypeScript entry through tsx (no build step needed). Workspace packages are
// resolved to their sources through the `source` export condition, added by a resolve hook.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register(
  `data:text/javascript,${encodeURIComponent(
    'export const resolve = (s, c, next) => next(s, { ...c, conditions: [...new Set([...c.conditions, "source"])] });',
  )}`,
);
registerTsx();
const { main } = await import('../src/main/main.ts');
process.exitCode = await main();
