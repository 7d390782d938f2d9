import { type IpamErrorCode, isIpamError, type Projection, type RecordedEvent } from '@eni-ipam/core';
import type { EtcdEventStore } from '@eni-ipam/store';
import { Command, CommanderError, Option } from 'commander';
import {
  buildAuditIndex,
  type EniHistory,
  eniHistory,
  type HistorySubject,
  type IpHistory,
  ipHistory,
  type PodHistory,
  podHistory,
  relevantTo,
} from './commands/history.js';
import { eventsUpTo, type LoggedEvent, loadAbout, loadHistory } from './commands/load.js';
import { archiveBefore, takeSnapshot } from './commands/maintenance.js';
import {
  parseCount,
  parseEni,
  parseIp,
  parseNode,
  parsePod,
  parseRevision,
  parseTime,
  parseWindow,
} from './commands/parse.js';
import { stateOf, statusOf } from './commands/state.js';
import { PROJECTION_SNAPSHOT, verify } from './commands/verify.js';
import { whatIf } from './commands/what-if.js';
import {
  archiveAbout,
  archivedStreams,
  type Connection,
  openArchiver,
  openCloud,
  openStore,
  resolveConnection,
  sharedOptions,
} from './connect.js';
import { getJson, historyPath, liveProjection, resolveIpamd } from './ipamd-client.js';
import * as r from './render.js';

/** Exit codes: 0 ok, 1 violations or differences found, 2 usage error, 3 cannot reach etcd or the cloud. */
export const EXIT = { ok: 0, findings: 1, usage: 2, unreachable: 3 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

/** Codes of bad operator input (a stored event that fails to decode is not one: it is a log finding). */
const USAGE: readonly IpamErrorCode[] = ['InvalidInput', 'InvalidIp', 'InvalidEniId', 'InvalidNodeName'];
const UNREACHABLE: readonly IpamErrorCode[] = [
  'StoreUnavailable',
  'IpamdUnavailable',
  'CloudAmbiguous',
  'CloudRetryable',
  'CloudPermanent',
];

/** The exit code of an error that stopped a command. */
export const exitCodeOf = (e: unknown): number => {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isIpamError(e)) {
    if (USAGE.includes(e.code)) return EXIT.usage;
    if (UNREACHABLE.includes(e.code)) return EXIT.unreachable;
  }
  return EXIT.findings;
};

interface Ctx {
  io: CliIo;
  json: boolean;
  conn: Connection;
  store: EtcdEventStore;
  events: () => Promise<LoggedEvent[]>;
  /** Only the events that pass `filter` (checked before decoding). */
  some: (filter: (e: RecordedEvent) => boolean) => Promise<LoggedEvent[]>;
}

/**
 * `ipamctl`: the operator's CLI. Parses the command line (commander), connects to etcd with
 * ipamd's flags and environment, runs one library command and prints a table or JSON.
 * Returns the exit code (never calls `process.exit`).
 */
export const main = async (argv: readonly string[], io: CliIo): Promise<number> => {
  let code: number = EXIT.ok;
  const program = new Command('ipamctl')
    .description("eni-ipam operator's CLI: state, history, verify and what-if from the event log")
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .configureHelp({ helpWidth: 110 })
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('--archive-dir <dir>', 'directory of archived log segments (history spans it and etcd)')
    .option('--timeout <ms>', 'deadline of each etcd call', '5000')
    .option('--ipamd <url>', 'ask this ipamd (history, verify) instead of replaying the log (env IPAMCTL_IPAMD)')
    .option(
      '--admin-token-file <path>',
      "ipamd's admin token for --ipamd (env ENI_IPAM_ADMIN_TOKEN_FILE or ENI_IPAM_ADMIN_TOKEN)",
    );
  for (const o of sharedOptions())
    program.option(o.flags, `${o.description.replace(' (required)', '')} (env ${o.env})`);

  /** Runs `f` connected; the store is closed afterwards. */
  const run =
    <A extends unknown[]>(f: (ctx: Ctx, ...args: A) => Promise<number | undefined>) =>
    async (...args: A): Promise<void> => {
      const g = program.opts<Record<string, string | undefined>>();
      const conn = resolveConnection(g, io.env, {
        timeoutMs: parseCount(g.timeout ?? '5000', '--timeout', 600_000),
        ...(g.archiveDir ? { archiveDir: g.archiveDir } : {}),
      });
      const store = openStore(conn);
      let loaded: LoggedEvent[] | undefined;
      const ctx: Ctx = {
        io,
        json: g.output === 'json',
        conn,
        store,
        events: async () => {
          loaded ??= await loadHistory(store, { archivedStreams: await archivedStreams(store, conn.archiveDir) });
          return loaded;
        },
        some: async (filter) =>
          loadHistory(store, { archivedStreams: await archivedStreams(store, conn.archiveDir), filter }),
      };
      try {
        code = (await f(ctx, ...args)) ?? EXIT.ok;
      } finally {
        await store.close();
      }
    };
  const print = (ctx: Ctx, data: unknown, human: () => string) =>
    ctx.io.out(ctx.json ? `${JSON.stringify(data, null, 2)}\n` : human());

  program
    .command('status')
    .description('cluster summary')
    .action(
      run(async (ctx) => {
        const s = statusOf(await ctx.events());
        print(ctx, s, () => r.renderStatus(s));
        return undefined;
      }),
    );
  program
    .command('nodes')
    .description('nodes and their pools')
    .action(
      run(async (ctx) => {
        const v = stateOf(await ctx.events());
        print(ctx, v.nodes, () => r.renderNodes(v.nodes));
        return undefined;
      }),
    );
  program
    .command('node <name>')
    .description("one node's ENIs, IPs, pending intents and waiting pods")
    .action(
      run(async (ctx, name: string) => {
        const node = parseNode(name);
        const v = stateOf(await ctx.events());
        const n = v.nodes.find((x) => x.node === node);
        if (!n) {
          ctx.io.err(`node ${node} is not in the log\n`);
          return EXIT.findings;
        }
        print(ctx, { ...n, intents: v.intents[node], refusals: v.refusals[node] }, () => r.renderNode(n, v));
        return undefined;
      }),
    );
  /** The subject of `history KIND ID`, checked before anything is read. */
  const subjectOf = (kind: string, id: string): HistorySubject => {
    if (kind === 'ip') return { kind, ip: parseIp(id) };
    if (kind === 'pod') return { kind, pod: parsePod(id) };
    if (kind === 'eni') return { kind, eniId: parseEni(id) };
    throw new CommanderError(
      2,
      'ipamctl.usage',
      `error: history: unknown kind ${JSON.stringify(kind)} (ip, pod or eni)`,
    );
  };
  const printHistory = (json: boolean, s: HistorySubject, h: unknown) =>
    io.out(
      json
        ? `${JSON.stringify(h, null, 2)}\n`
        : s.kind === 'ip'
          ? r.renderIpHistory(h as IpHistory)
          : s.kind === 'pod'
            ? r.renderPodHistory(h as PodHistory)
            : r.renderEniHistory(h as EniHistory),
    );
  program
    .command('history <kind> <id>')
    .description(
      'who held an IP, what a pod held, what happened to an ENI (kind: ip, pod or eni); with --ipamd asked of ipamd',
    )
    .option('--since <time>', 'from this ISO-8601 time')
    .option('--until <time>', 'up to this ISO-8601 time')
    .action(async (kind: string, id: string, opts: { since?: string; until?: string }) => {
      const subject = subjectOf(kind, id);
      const w = parseWindow(opts);
      const g = program.opts<Record<string, string | undefined>>();
      const target = resolveIpamd(g, io.env, parseCount(g.timeout ?? '5000', '--timeout', 600_000));
      if (target) {
        printHistory(g.output === 'json', subject, await getJson(target, historyPath(subject, opts)));
        return;
      }
      await run(async (ctx) => {
        // with the archive dir: only the segments whose sidecar index names the subject are read
        const events = ctx.conn.archiveDir
          ? await loadAbout(ctx.store, archiveAbout(ctx.store, ctx.conn.archiveDir, subject), relevantTo(subject))
          : await ctx.some(relevantTo(subject));
        const idx = buildAuditIndex(events);
        const h =
          subject.kind === 'ip'
            ? ipHistory(idx, subject.ip, w)
            : subject.kind === 'pod'
              ? podHistory(idx, subject.pod, w)
              : eniHistory(idx, subject.eniId, w);
        printHistory(ctx.json, subject, h);
        return undefined;
      })();
    });
  program
    .command('state')
    .description('nodes, ENIs, IPs and claims at a past time or revision')
    .option('--at <time>', 'ISO-8601 time')
    .option('--revision <r>', 'global revision')
    .action(
      run(async (ctx, opts: { at?: string; revision?: string }) => {
        if ((opts.at === undefined) === (opts.revision === undefined))
          throw new CommanderError(2, 'ipamctl.usage', 'error: state needs exactly one of --at TIME or --revision R');
        const cut =
          opts.at !== undefined
            ? { time: parseTime(opts.at, '--at') }
            : { revision: parseRevision(opts.revision as string) };
        const v = stateOf(eventsUpTo(await ctx.events(), cut));
        print(ctx, v, () => r.renderState(v));
        return undefined;
      }),
    );
  program
    .command('verify')
    .description(
      'replay the whole history; check invariants, the live snapshot, (--ipamd) the projection ipamd serves and (--cloud) the cloud; exit 1 on any finding',
    )
    .option('--cloud', 'also compare with the cloud (describeEnis by the cluster tag)')
    .option('--cluster-tag-key <key>', 'tag key marking the cluster ENIs', 'eni-ipam/cluster')
    .action(
      run(async (ctx, opts: { cloud?: boolean; clusterTagKey: string }) => {
        const g = program.opts<Record<string, string | undefined>>();
        const target = resolveIpamd(g, io.env, parseCount(g.timeout ?? '5000', '--timeout', 600_000));
        // ipamd's live projection first: the replay read after it covers its revision
        const live = target ? liveProjection(await getJson(target, '/v1/projection')) : undefined;
        const events = await ctx.events();
        const snapshot = await ctx.store.loadSnapshot<Projection>(PROJECTION_SNAPSHOT);
        const report = await verify({
          events,
          ...(snapshot ? { snapshot } : {}),
          ...(live ? { live } : {}),
          ...(opts.cloud
            ? {
                cloud: {
                  api: openCloud(ctx.conn, ctx.io.env),
                  clusterTag: { key: opts.clusterTagKey, value: ctx.conn.clusterId },
                },
              }
            : {}),
        });
        print(ctx, report, () => r.renderVerify(report));
        return report.findings.length > 0 ? EXIT.findings : EXIT.ok;
      }),
    );
  program
    .command('what-if')
    .description('replay the recorded pod churn against other pre-bind bounds (instantaneous cloud)')
    .requiredOption('--min-prebind <n>', 'idle IPs/ENIs kept at least')
    .requiredOption('--max-prebind <n>', 'idle IPs/ENIs kept at most')
    .option('--since <time>', 'only pods arriving from this ISO-8601 time')
    .option('--until <time>', 'only pods arriving up to this ISO-8601 time')
    .action(
      run(async (ctx, opts: { minPrebind: string; maxPrebind: string; since?: string; until?: string }) => {
        const min = parseCount(opts.minPrebind, '--min-prebind', 1024);
        const max = parseCount(opts.maxPrebind, '--max-prebind', 1024);
        if (min > max)
          throw new CommanderError(2, 'ipamctl.usage', `error: --min-prebind ${min} > --max-prebind ${max}`);
        const rep = whatIf(await ctx.events(), { min, max }, parseWindow(opts));
        print(ctx, rep, () => r.renderWhatIf(rep));
        return undefined;
      }),
    );
  program
    .command('snapshot')
    .description('save the projection of the whole history as the live snapshot')
    .action(
      run(async (ctx) => {
        const s = await takeSnapshot(ctx.store, await ctx.events());
        const out = { name: s.name, seq: s.seq, revision: s.revision };
        print(ctx, out, () => `snapshot ${s.name} saved: ${s.seq} events, revision ${s.revision}\n`);
        return undefined;
      }),
    );
  program
    .command('archive')
    .description('move events older than a time to archive segments (needs --archive-dir)')
    .requiredOption('--before <time>', 'ISO-8601 time')
    .option('--compact', 'then compact, defragment and disarm NOSPACE (Archiver.maintain)')
    .action(
      run(async (ctx, opts: { before: string; compact?: boolean }) => {
        const before = parseTime(opts.before, '--before');
        const archiver = openArchiver(ctx.store, ctx.conn);
        const segments = await archiveBefore(archiver, await ctx.events(), before);
        const maintenance = opts.compact ? await archiver.maintain() : undefined;
        print(ctx, { segments, maintenance }, () =>
          segments.length === 0
            ? 'nothing to archive\n'
            : `${segments.map((s) => `${s.stream} ${s.fromSeq}..${s.toSeq} -> ${s.file}`).join('\n')}\n${maintenance ? `compacted at ${maintenance.compactedAt}\n` : ''}`,
        );
        return undefined;
      }),
    );
  const events = program.command('events').description('the event log');
  events
    .command('tail')
    .description('the last events of the log')
    .option('-n, --lines <n>', 'how many', '20')
    .action(
      run(async (ctx, opts: { lines: string }) => {
        const n = parseCount(opts.lines, '--lines', 100_000);
        const all = await ctx.events();
        const last = n === 0 ? [] : all.slice(-n);
        print(ctx, last, () => r.renderEvents(last));
        return undefined;
      }),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (argv.length === 0) {
      io.out(program.helpInformation());
      return EXIT.usage;
    }
    return code;
  } catch (e) {
    const exit = exitCodeOf(e);
    if (!(e instanceof CommanderError)) io.err(`ipamctl: ${(e as Error).message}\n`);
    else if (e.code === 'ipamctl.usage') io.err(`${e.message}\n`);
    return exit;
  }
};
