/**
 * `npm run bench [-- --only 1,2] [-- --quick] [-- --json]`: the system benchmarks of issue 8.
 * Every figure is paired with a raw baseline measured in the same run. Progress goes to stderr;
 * the table (or, with --json, the results) to stdout. Exit 1 when an item failed to run, 2 on
 * bad arguments; a missed target is a result, not a failure of the run.
 */
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './args.js';
import { formatComparison, formatTable } from './report.js';
import { runBench } from './runner.js';

const main = async (): Promise<number> => {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // the items (and the packages they load) only once the arguments are known to be good
  const { items } = await import('./items/index.js');
  if (args.help) {
    process.stdout.write(`${USAGE}\n\nitems:\n${items.map((i) => `  ${i.id}  ${i.title}`).join('\n')}\n`);
    return 0;
  }
  const resultsDir = args.resultsDir ?? fileURLToPath(new URL('../results', import.meta.url));
  const out = await runBench({ args, items, resultsDir, log: (m) => process.stderr.write(`${m}\n`) });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(out.latest, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatTable(out.latest)}\n`);
    if (out.comparison)
      process.stdout.write(`\n${formatComparison(out.comparison.rows, out.comparison.previousDate)}\n`);
  }
  return out.failed ? 1 : 0;
};

main().then(
  (code) => {
    // items close what they open, but a stray handle must not keep the process alive
    process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
