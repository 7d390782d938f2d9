/**
 * The generated log of the history benchmarks: 50 nodes, each with 3 ENIs of 10 secondary IPs
 * bound, then pods churning through those 30 addresses (IpAllocated / IpReleased pairs), spread
 * over 30 days from 2026-01-01. Written 50 events per append and stream.
 */
import type { EventEnvelope, EventStore } from '@eni-ipam/core';

export const NODES = 50;
export const START = Date.UTC(2026, 0, 1);
export const ipOf = (node: number, eni: number, k: number) => `10.${node}.${eni}.${k + 10}`;
const eniOf = (node: number, eni: number) => `eni-${String(node * 10 + eni).padStart(8, '0')}`;
const nodeName = (i: number) => `node-${String(i).padStart(3, '0')}`;

export const generateLog = async (store: EventStore, total: number): Promise<void> => {
  const step = (30 * 86_400_000) / total;
  const start = START;
  const perAppend = 50;
  let n = 0;
  const seqs = new Map<string, number>();
  const batches = new Map<string, EventEnvelope[]>();
  const at = () => new Date(start + Math.floor(n * step)).toISOString();
  const emit = (node: string, type: string, data: unknown) => {
    const stream = `node/${node}`;
    const seq = (seqs.get(stream) ?? 0) + 1;
    seqs.set(stream, seq);
    n += 1;
    const list = batches.get(stream) ?? [];
    list.push({ id: `e${n}`, stream, seq, type, v: 1, at: at(), by: { replica: 'bench', term: 1 }, cause: {}, data });
    batches.set(stream, list);
  };
  const flush = async () => {
    // streams in parallel (the etcd store shares transactions among them), each in order
    await Promise.all(
      [...batches].map(async ([stream, events]) => {
        for (let k = 0; k < events.length; k += perAppend) {
          const chunk = events.slice(k, k + perAppend);
          await store.append([{ stream, expectedVersion: (chunk[0]?.seq ?? 1) - 1, events: chunk }]);
        }
      }),
    );
    batches.clear();
  };

  for (let i = 0; i < NODES; i++) {
    const node = nodeName(i);
    emit(node, 'NodeRegistered', {
      node,
      instanceId: `ins-${i}`,
      zone: 'ap-guangzhou-3',
      limits: { maxEnis: 4, ipsPerEni: 11 },
    });
    for (let e = 0; e < 3; e++) {
      const eniId = eniOf(i, e);
      const subnetId = 'subnet-aaaa0001';
      emit(node, 'EniCreateRequested', { intentId: `c${i}-${e}`, clientToken: `c${i}-${e}`, subnetId, why: 'bench' });
      emit(node, 'EniCreated', {
        intentId: `c${i}-${e}`,
        eniId,
        subnetId,
        primaryIp: ipOf(i, e, 0),
        mac: '52:54:00:00:00:01',
      });
      emit(node, 'EniAttachRequested', {
        intentId: `a${i}-${e}`,
        clientToken: `a${i}-${e}`,
        eniId,
        instanceId: `ins-${i}`,
        why: 'bench',
      });
      emit(node, 'EniAttached', { intentId: `a${i}-${e}`, eniId });
      const ips = Array.from({ length: 10 }, (_, k) => ipOf(i, e, k + 1));
      emit(node, 'IpBindRequested', {
        intentId: `b${i}-${e}`,
        clientToken: `b${i}-${e}`,
        eniId,
        subnetId,
        ips,
        why: 'bench',
      });
      emit(node, 'IpsBound', { intentId: `b${i}-${e}`, eniId, ips });
    }
  }
  await flush();
  let pod = 0;
  while (n < total) {
    for (let i = 0; i < NODES && n < total; i++) {
      const slot = Math.floor(pod / NODES) % 30;
      const ip = ipOf(i, Math.floor(slot / 10), (slot % 10) + 1);
      const eniId = eniOf(i, Math.floor(slot / 10));
      const p = { namespace: 'default', name: `pod-${pod}` };
      emit(nodeName(i), 'IpAllocated', { pod: p, containerId: `k${pod}`, ip, eniId, why: 'bench' });
      if (n < total) emit(nodeName(i), 'IpReleased', { pod: p, containerId: `k${pod}`, ip, eniId, why: 'bench' });
      pod += 1;
    }
    if (n % 5_000 < 2 * NODES) await flush();
  }
  await flush();
};
