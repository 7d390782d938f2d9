import { evolveNode, initialNodeState, type NodeEvent } from '@eni-ipam/core';
import { ENI_1, eniReady, meta, NODE, nodeRegistered, pod, SUBNET_A } from '@eni-ipam/core/testing';
import { describe, expect, it } from 'vitest';
import { type BatchItem, decideBatch } from './batch-decide.js';

const given = (events: NodeEvent[]) => events.reduce((s, e) => evolveNode(s, e), initialNodeState());
const item = (n: number, input: BatchItem['input']): BatchItem => ({ input, meta: meta(n) });
const allocate = (n: number, containerId: string, name: string) =>
  item(n, { type: 'AllocateIp', node: NODE, pod: pod(name), containerId });

describe('decideBatch: several commands of one node, one append', () => {
  const node = given([nodeRegistered(), ...eniReady(ENI_1, SUBNET_A, '10.0.1.10', ['10.0.1.11', '10.0.1.12'])]);

  it('given two bound IPs, when two pods, a refused command and a repeat are batched, then one append holds what each decided in turn', () => {
    const { appends, outcomes } = decideBatch(
      [
        allocate(1, 'c1', 'web-1'),
        item(2, { type: 'BindIps', node: NODE, eniId: 'eni-unknown1', count: 1, why: 'test' }),
        allocate(3, 'c2', 'web-2'),
        allocate(4, 'c1', 'web-1'), // the same container again: nothing new
      ],
      node,
      {},
    );
    expect(outcomes.map((o) => (o.ok ? o.appended : 'refused'))).toEqual([1, 'refused', 1, 0]);
    expect(appends).toHaveLength(1);
    const [a] = appends;
    expect(a?.expectedVersion).toBe(node.version);
    expect(a?.events.map((e) => e.seq)).toEqual([node.version + 1, node.version + 2]);
    expect(a?.events.map((e) => e.id)).toEqual(['c1:0', 'c3:0']);
    const ips = a?.events.map((e) => (e.data as { ip: string }).ip);
    expect(new Set(ips).size).toBe(2); // the second pod decided on the state the first left
  });

  it('given an empty batch or only refusals, then nothing to append', () => {
    expect(decideBatch([], node, {}).appends).toEqual([]);
    const r = decideBatch(
      [item(1, { type: 'BindIps', node: NODE, eniId: 'eni-unknown1', count: 1, why: 't' })],
      node,
      {},
    );
    expect(r.appends).toEqual([]);
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: { code: 'EniNotFound' } });
  });
});
