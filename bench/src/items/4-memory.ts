/**
 * Item 4: resident bytes per live allocation of an ipamd replica holding 5,000 nodes x 110 pods
 * (the audit index reported separately), target <= 400 B. The log is written straight into etcd
 * (as for item 3), a snapshot is saved as a replica saves it, and a fresh process with
 * `--expose-gc` loads the state through ProjectionHost (scale/memory-child.ts): the figure is the
 * heap it holds after a full collection, less the same process's heap before loading, divided by
 * the live allocations. The baseline is the log's own size per allocation (the JSON values in
 * etcd), so the ratio says how compact the in-memory state is against the data it comes from.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProjectionHost } from '@eni-ipam/ipamd';
import { onClusterLog } from '../scale/cluster-log.js';
import type { BenchContext, BenchItem, BenchResult } from '../types.js';
import { rawPagedRead } from './3-restart-to-ready.js';

const PREFIX = '/eni-ipam/bench4';
const CHILD = fileURLToPath(new URL('../scale/memory-child.ts', import.meta.url));

interface ChildReport {
  allocations: number;
  nodes: number;
  loadedMs: number;
  auditPendingAtMeasure: boolean;
  heapBefore: number;
  heapProjection: number;
  heapWithAudit: number;
  rssBefore: number;
  rssProjection: number;
  rssWithAudit: number;
}

const measure = (endpoints: string[]): Promise<ChildReport> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--conditions=source', CHILD, endpoints.join(','), PREFIX],
      { timeout: 1_200_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`memory child failed: ${err.message}\n${stderr.slice(-2000)}`));
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(line) as ChildReport);
        } catch {
          reject(new Error(`memory child printed no report: ${stdout.slice(-500)} ${stderr.slice(-2000)}`));
        }
      },
    );
  });

const item: BenchItem = {
  id: '4-memory',
  title: 'Resident bytes per live allocation (5,000 nodes x 110 pods), audit index apart',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    return onClusterLog({ quick: ctx.quick, prefix: PREFIX, what: 'item 4', log: ctx.log }, async (store, log) => {
      const { nodes, pods, events } = log;
      const { endpoints } = log;
      const raw = await rawPagedRead(store);
      ctx.log('item 4: folding and saving the snapshot a replica would load');
      const writer = new ProjectionHost({ store, snapshotEvery: 0, audit: false });
      await writer.start();
      await writer.saveSnapshot();
      await writer.stop();
      ctx.log('item 4: loading in a fresh process');
      const r = await measure(endpoints);
      if (r.allocations !== nodes * pods)
        throw new Error(`loaded ${r.allocations} allocations, expected ${nodes * pods}`);
      const perAllocation = (r.heapProjection - r.heapBefore) / r.allocations;
      const auditPerAllocation = (r.heapWithAudit - r.heapProjection) / r.allocations;
      const logPerAllocation = raw.bytes / r.allocations;
      const round = (x: number) => Math.round(x);
      return [
        {
          key: 'bytesPerAllocation',
          title: `heap per live allocation, ${r.allocations} allocations on ${r.nodes} nodes (projection)`,
          figure: round(perAllocation),
          unit: 'B',
          baseline: round(logPerAllocation),
          baselineLabel: 'bytes of the event log in etcd (JSON values) per live allocation',
          ratio: Math.round((perAllocation / logPerAllocation) * 100) / 100,
          target: '<= 400 B per allocation',
          pass: perAllocation <= 400,
          details: {
            nodes,
            podsPerNode: pods,
            events,
            loadedMs: r.loadedMs,
            heapBeforeBytes: r.heapBefore,
            heapProjectionBytes: r.heapProjection,
            rssDeltaBytes: r.rssProjection - r.rssBefore,
            rssPerAllocation: round((r.rssProjection - r.rssBefore) / r.allocations),
            auditRebuiltDuringMeasure: !r.auditPendingAtMeasure,
            note: 'the projection holds every node state (ENIs, IPs, allocations, intents) and the ENI facts',
          },
        },
        {
          key: 'auditBytesPerAllocation',
          title: 'audit index heap per live allocation (reported apart)',
          figure: round(auditPerAllocation),
          unit: 'B',
          baseline: round(perAllocation),
          baselineLabel: 'projection heap per allocation (same run)',
          ratio: Math.round((auditPerAllocation / perAllocation) * 100) / 100,
          target: 'reported (no target)',
          pass: null,
          details: {
            heapWithAuditBytes: r.heapWithAudit,
            rssWithAuditBytes: r.rssWithAudit,
            note: 'per-IP, per-pod and per-ENI history spans of every event in the log',
          },
        },
      ];
    });
  },
};

export default item;
