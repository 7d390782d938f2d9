/**
 * The log of a full cluster for the scale items (3, 4): `nodes` nodes, each registered with 6
 * ENIs created, attached and holding 20 secondary IPs, then `podsPerNode` pods allocated (live).
 * Written straight into etcd through the store's append (the events the product would write),
 * one append per node stream in chunks of whole transactions, many nodes in flight at once so
 * group commit packs them into shared transactions.
 */
import { performance } from 'node:perf_hooks';
import { decodeEvent, type EventEnvelope } from '@eni-ipam/core';
import { EtcdEventStore } from '@eni-ipam/store';
import { startEtcd } from '@eni-ipam/store/testing';

export const ENIS_PER_NODE = 6;
export const IPS_PER_ENI = 20;
const SUBNET = 'subnet-bench001';
const AT = Date.UTC(2026, 0, 1);

export const nodeName = (i: number) => `node-${String(i).padStart(5, '0')}`;
export const eniOf = (i: number, e: number) => `eni-${(i * 10 + e).toString(16).padStart(8, '0')}`;
/** Unique per (node, ENI, slot): 32 addresses per ENI counted through 10.0.0.0/8. */
export const ipOf = (i: number, e: number, k: number) => {
  const n = (i * ENIS_PER_NODE + e) * 32 + k;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

/** The events of one node's stream, in order. */
export const nodeEvents = (i: number, podsPerNode: number): EventEnvelope[] => {
  const node = nodeName(i);
  const stream = `node/${node}`;
  const out: EventEnvelope[] = [];
  const emit = (type: string, data: unknown) => {
    const seq = out.length + 1;
    out.push({
      id: `${node}-${seq}`,
      stream,
      seq,
      type,
      v: 1,
      at: new Date(AT + i * 1000 + seq).toISOString(),
      by: { replica: 'bench', term: 1 },
      cause: {},
      data,
    });
  };
  emit('NodeRegistered', {
    node,
    instanceId: `ins-${i}`,
    zone: 'ap-guangzhou-3',
    limits: { maxEnis: ENIS_PER_NODE + 2, ipsPerEni: IPS_PER_ENI + 1 },
  });
  for (let e = 0; e < ENIS_PER_NODE; e++) {
    const eniId = eniOf(i, e);
    emit('EniCreateRequested', { intentId: `c${i}-${e}`, clientToken: `c${i}-${e}`, subnetId: SUBNET, why: 'bench' });
    emit('EniCreated', {
      intentId: `c${i}-${e}`,
      eniId,
      subnetId: SUBNET,
      primaryIp: ipOf(i, e, 0),
      mac: '52:54:00:00:00:01',
    });
    emit('EniAttachRequested', {
      intentId: `a${i}-${e}`,
      clientToken: `a${i}-${e}`,
      eniId,
      instanceId: `ins-${i}`,
      why: 'bench',
    });
    emit('EniAttached', { intentId: `a${i}-${e}`, eniId });
    const ips = Array.from({ length: IPS_PER_ENI }, (_, k) => ipOf(i, e, k + 1));
    emit('IpBindRequested', {
      intentId: `b${i}-${e}`,
      clientToken: `b${i}-${e}`,
      eniId,
      subnetId: SUBNET,
      ips,
      why: 'bench',
    });
    emit('IpsBound', { intentId: `b${i}-${e}`, eniId, ips });
  }
  for (let p = 0; p < podsPerNode; p++) {
    const e = Math.floor(p / IPS_PER_ENI);
    const pod = { namespace: 'default', name: `pod-${i}-${p}` };
    emit('IpAllocated', {
      pod,
      containerId: `k${i}x${p}`,
      ip: ipOf(i, e, (p % IPS_PER_ENI) + 1),
      eniId: eniOf(i, e),
      why: 'bench',
    });
  }
  return out;
};

/** Writes the cluster's log; returns the number of events written. */
export const writeClusterLog = async (
  store: EtcdEventStore,
  nodes: number,
  podsPerNode: number,
  log: (m: string) => void = () => {},
): Promise<number> => {
  const perAppend = 100; // + the head key: within etcd's 128 operations per transaction
  const inFlight = 64;
  let next = 0;
  let written = 0;
  const worker = async () => {
    for (let i = next++; i < nodes; i = next++) {
      const events = nodeEvents(i, podsPerNode);
      for (let k = 0; k < events.length; k += perAppend) {
        const chunk = events.slice(k, k + perAppend);
        await store.append([{ stream: `node/${nodeName(i)}`, expectedVersion: k, events: chunk }]);
      }
      written += events.length;
      if ((i + 1) % 500 === 0) log(`  log: ${i + 1}/${nodes} nodes, ${written} events`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return written;
};

/**
 * The scale items' set-up: a fresh etcd (8 GiB quota) holding the log of `nodes` x 110 pods
 * (200 nodes with `quick`, else 5,000) under `prefix`; `f` runs on its store, then both go.
 */
export const onClusterLog = async <T>(
  o: { quick: boolean; prefix: string; what: string; log: (m: string) => void },
  f: (
    store: EtcdEventStore,
    log: { nodes: number; pods: number; events: number; writeMs: number; endpoints: string[] },
  ) => Promise<T>,
): Promise<T> => {
  const nodes = o.quick ? 200 : 5000;
  const pods = 110;
  const etcd = await startEtcd({ quotaBackendBytes: 8 * 1024 ** 3 });
  const store = new EtcdEventStore({
    connection: { endpoints: etcd.endpoints },
    prefix: o.prefix,
    decode: decodeEvent,
  });
  try {
    o.log(`${o.what}: writing ${nodes} nodes x ${pods} pods`);
    const t = performance.now();
    const events = await writeClusterLog(store, nodes, pods, o.log);
    const writeMs = performance.now() - t;
    o.log(`${o.what}: ${events} events in ${Math.round(writeMs)} ms`);
    return await f(store, { nodes, pods, events, writeMs, endpoints: etcd.endpoints });
  } finally {
    await store.close();
    await etcd.cleanup();
  }
};
