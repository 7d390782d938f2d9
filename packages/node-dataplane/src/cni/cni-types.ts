import { z } from 'zod';

/** CNI spec versions this plugin speaks; results are rendered in the config's version. */
export const SUPPORTED_VERSIONS = ['0.4.0', '1.0.0'] as const;

/** Spec error codes (CNI 1.0.0 "Error"), plus ours from 100. */
export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  Io: 5,
  Decode: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  /** Ours: netlink work in the host or pod namespace failed (everything was rolled back). */
  NetworkSetupFailed: 100,
  /** Ours: ipamd refused the request for a reason retrying will not fix. */
  IpamdRejected: 101,
  /** Ours: the ENI ipamd named is not attached to this node (yet). */
  EniNotFound: 102,
  /** Ours: CHECK found the pod's network different from prevResult. */
  CheckFailed: 103,
  /** Ours: unexpected internal error. */
  Internal: 199,
} as const;

export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: number,
    message: string,
    readonly details = '',
  ) {
    super(message);
  }
}

export const PluginType = z.enum(['tke-route-eni', 'tke-direct-eni']);
export type PluginType = z.infer<typeof PluginType>;

const ResultIp = z.object({ address: z.string(), gateway: z.string().optional(), interface: z.number().optional() });
export const CniResultSchema = z.looseObject({
  cniVersion: z.string().optional(),
  interfaces: z
    .array(z.looseObject({ name: z.string(), mac: z.string().optional(), sandbox: z.string().optional() }))
    .optional(),
  ips: z.array(ResultIp).optional(),
  routes: z.array(z.looseObject({ dst: z.string(), gw: z.string().optional() })).optional(),
});
export type CniResult = z.infer<typeof CniResultSchema>;

/** The plugin's network config (one entry of a conflist, as the runtime hands it over). */
export const NetConfSchema = z.looseObject({
  cniVersion: z.string(),
  name: z.string().min(1),
  type: PluginType,
  /** The agent's unix socket (read by the shim). Default `/run/eni-agent/agent.sock`. */
  agentSocket: z.string().optional(),
  prevResult: CniResultSchema.optional(),
});
export type NetConf = z.infer<typeof NetConfSchema>;

export interface PodArgs {
  namespace: string;
  name: string;
  uid?: string;
}

/** What a handler gets after the dispatcher validated env and config. */
export interface CniRequest {
  conf: NetConf;
  containerId: string;
  ifname: string;
  /** Absent only on DEL. */
  netns?: string;
  pod?: PodArgs;
}

export interface CniHandlers {
  add(req: CniRequest & { netns: string; pod: PodArgs }): Promise<CniResult>;
  del(req: CniRequest): Promise<void>;
  check(req: CniRequest & { netns: string; prevResult: CniResult }): Promise<void>;
}

/** Renders a result in the config's CNI version (0.4.0 results carry `version: "4"` per IP). */
export const renderResult = (cniVersion: string, r: CniResult): CniResult => ({
  ...r,
  cniVersion,
  ...(cniVersion === '0.4.0' && r.ips ? { ips: r.ips.map((ip) => ({ version: '4', ...ip })) } : {}),
});
