import type { V1Node } from '@kubernetes/client-node';
import type { NodeFacts } from './ports.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const INSTANCE_RE = /^ins-[a-z0-9]{8}$/;
const ZONE_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export type NodeFactsResult = { ok: true; facts: NodeFacts } | { ok: false; reason: string };

/**
 * Reads a node's instance and zone. `spec.providerID` is `qcloud:///<zone>/<ins-id>` on TKE.
 * The zone is the providerID's zone part when it is a zone name (`ap-guangzhou-3`); TKE may put
 * the numeric zone id there instead, so a numeric or empty part gives way to the
 * `topology.kubernetes.io/zone` label. Pure.
 *
 * @example nodeFacts(node) // { ok: true, facts: { instanceId: 'ins-abcd1234', zone: 'ap-guangzhou-3', labels } }
 */
export const nodeFacts = (node: V1Node): NodeFactsResult => {
  const providerId = node.spec?.providerID;
  const labels = node.metadata?.labels ?? {};
  if (!providerId) return { ok: false, reason: 'the node has no spec.providerID (expected qcloud:///<zone>/<ins-id>)' };
  const m = /^qcloud:\/\/\/([^/]*)\/([^/]+)$/.exec(providerId);
  if (!m) {
    return { ok: false, reason: `spec.providerID ${JSON.stringify(providerId)} is not qcloud:///<zone>/<ins-id>` };
  }
  const [, zonePart = '', instanceId = ''] = m;
  if (!INSTANCE_RE.test(instanceId)) {
    return {
      ok: false,
      reason: `spec.providerID ${JSON.stringify(providerId)}: ${JSON.stringify(instanceId)} is not a CVM instance id (ins- + 8 lowercase alphanumerics)`,
    };
  }
  const label = labels[ZONE_LABEL];
  const isName = ZONE_RE.test(zonePart) && !/^\d+$/.test(zonePart);
  const zone = isName ? zonePart : label || zonePart;
  if (!zone) {
    return {
      ok: false,
      reason: `no zone: spec.providerID ${JSON.stringify(providerId)} has none and the node has no ${ZONE_LABEL} label`,
    };
  }
  if (!ZONE_RE.test(zone)) return { ok: false, reason: `zone ${JSON.stringify(zone)} is not a zone name` };
  return { ok: true, facts: { instanceId, zone, labels: { ...labels } } };
};
