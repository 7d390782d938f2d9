import {
  type ClusterConfig,
  CONFIGMAP_KEYS,
  clusterConfigSchema,
  configFromConfigMap,
  isIpamError,
} from '@eni-ipam/core';

/** What the change needs to know about subnets (state lives in the log, not here). */
export interface SubnetFacts {
  /** Addresses of the subnet bound to ENIs in our state (0 for a subnet we never used). */
  boundIps(subnetId: string): number;
  /**
   * True when the VPC shows no address in use in the subnet (container subnets are dedicated,
   * so an added one must be empty); undefined when that could not be checked.
   */
  isEmptyInVpc(subnetId: string): boolean | undefined;
}

export type ConfigMapResult =
  | {
      ok: true;
      config: ClusterConfig;
      /** Whether anything changed (an identical ConfigMap is accepted as a no-op). */
      changed: boolean;
      /** Things to log at info level: ignored keys, subnets draining. */
      notes: string[];
    }
  | { ok: false; reasons: string[] };

/**
 * Applies the data of ConfigMap `kube-system/tke-eni-ipamd` to the configuration in force. Pure:
 * facts about subnets come from `facts`. Every problem is reported; on any problem the old
 * configuration stays (the caller keeps `current`).
 *
 * - `TKE_ENI_IPAMD_SUBNET_ID`: subnet ids separated by `:` (blanks and empty parts ignored).
 *   Absent key: subnets unchanged. Malformed id or a duplicate: rejected, naming it.
 * - An added subnet must be empty in the VPC (unknown = rejected: it is not safe to assume).
 * - A removed subnet that still has bound IPs is accepted and drains: no new ENI or address
 *   comes from it, its pods keep their addresses, and its IPs and ENIs are released as they go
 *   idle (the pool reconciler's job). A note says how many are still bound.
 * - `TKE_ENI_IPAMD_VPC_ID`: absent = unchanged; set once, it cannot change (every ENI of the
 *   cluster lives in that VPC).
 * - `TKE_ENI_IPAMD_ZONE` is ignored (each subnet's zone comes from the VPC), with a note.
 * - Other keys are ignored with a note (the product ignores them too).
 *
 * @example applyConfigMap(cfg, { TKE_ENI_IPAMD_SUBNET_ID: 'subnet-aaaa1111:subnet-bbbb2222' }, facts)
 */
export const applyConfigMap = (
  current: ClusterConfig,
  data: Readonly<Record<string, string>>,
  facts: SubnetFacts,
): ConfigMapResult => {
  const reasons: string[] = [];
  const notes: string[] = [];
  const known = new Set<string>(Object.values(CONFIGMAP_KEYS));
  for (const key of Object.keys(data).sort()) {
    if (key === CONFIGMAP_KEYS.zone) notes.push(`${key} is ignored: each subnet's zone comes from the VPC`);
    else if (!known.has(key)) notes.push(`unknown key ${key} ignored`);
  }

  const rawSubnets = data[CONFIGMAP_KEYS.subnets];
  const parts =
    rawSubnets === undefined
      ? current.subnets
      : rawSubnets
          .split(':')
          .map((x) => x.trim())
          .filter((x) => x.length > 0);
  const seen = new Set<string>();
  parts.forEach((id) => {
    if (seen.has(id)) reasons.push(`${CONFIGMAP_KEYS.subnets}: subnet ${id} is listed twice`);
    seen.add(id);
  });
  const vpcRaw = data[CONFIGMAP_KEYS.vpcId]?.trim();
  if (vpcRaw !== undefined && current.vpcId !== '' && vpcRaw !== current.vpcId) {
    reasons.push(`${CONFIGMAP_KEYS.vpcId}: the VPC cannot change from ${current.vpcId} to ${JSON.stringify(vpcRaw)}`);
  }

  let next: ClusterConfig | undefined;
  try {
    next = configFromConfigMap({ ...data, [CONFIGMAP_KEYS.subnets]: [...seen].join(':') }, current);
  } catch (e) {
    if (!isIpamError(e)) throw e;
    for (const issue of (e.details.issues as { path: string; message: string }[] | undefined) ?? []) {
      const m = /^subnets\.(\d+)$/.exec(issue.path);
      if (m) reasons.push(`${CONFIGMAP_KEYS.subnets}: ${JSON.stringify([...seen][Number(m[1])])} ${issue.message}`);
      else if (issue.path === 'vpcId')
        reasons.push(`${CONFIGMAP_KEYS.vpcId}: ${JSON.stringify(vpcRaw)} ${issue.message}`);
      else reasons.push(`${issue.path || 'config'}: ${issue.message}`);
    }
    if (reasons.length === 0) reasons.push(e.message);
  }
  if (!next || reasons.length > 0) return { ok: false, reasons };

  const before = new Set(current.subnets);
  for (const id of next.subnets.filter((s) => !before.has(s))) {
    const empty = facts.isEmptyInVpc(id);
    if (empty === undefined) reasons.push(`added subnet ${id}: could not check that it is empty in the VPC`);
    else if (!empty) reasons.push(`added subnet ${id} is not empty in the VPC (container subnets must be dedicated)`);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  for (const id of current.subnets.filter((s) => !seen.has(s))) {
    const bound = facts.boundIps(id);
    if (bound > 0) {
      notes.push(`removed subnet ${id} still has ${bound} bound IPs: it drains (no new addresses; released as idle)`);
    }
  }
  const config = clusterConfigSchema.parse(next);
  return { ok: true, config, changed: JSON.stringify(config) !== JSON.stringify(current), notes };
};
