/**
 * Item 9: CNI ADD p50 of eni-ipam (the C shim to the node agent, libcni driving it in real
 * network namespaces) vs Debian's `ptp` + `host-local` through the same driver in the same node
 * namespace; the dataplane benchmark (`npm run bench:cni`) does the measuring. Needs root.
 */
import { runCniBench } from '@eni-ipam/node-dataplane/testing';
import type { BenchItem } from '../types.js';

const item: BenchItem = {
  id: '9-cni-add',
  title: 'CNI ADD p50 vs ptp + host-local',
  needsRoot: true,
  async run(ctx) {
    const pods = ctx.quick ? 20 : 100;
    const r = await runCniBench({ pods, log: ctx.log });
    const { reference, shim, nodeForwarder } = r.ms;
    return [
      {
        key: 'cniAddP50',
        title: 'CNI ADD p50 (C shim to the agent)',
        figure: shim.add.p50,
        unit: 'ms',
        baseline: reference.add.p50,
        baselineLabel: "Debian's ptp + host-local ADD p50, same driver and node namespace",
        ratio: r.addP50VsReference,
        target: 'ratio <= 2',
        pass: r.addP50VsReference <= 2,
        details: {
          pods,
          addP99Ms: shim.add.p99,
          referenceAddP99Ms: reference.add.p99,
          addP99VsReference: r.addP99VsReference,
          delP50Ms: shim.del.p50,
          referenceDelP50Ms: reference.del.p50,
          nodeForwarderAddP50Ms: nodeForwarder.add.p50,
          execCostP50Ms: Object.fromEntries(Object.entries(r.execCostMs).map(([k, s]) => [k, s.p50])),
          ipamd: 'the in-memory FakeIpamd on loopback (the agent and the plugin are what is measured)',
        },
      },
    ];
  },
};
export default item;
