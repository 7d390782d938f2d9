import type { TencentVpcApiOptions } from '@eni-ipam/cloud';
import type { IpamdConfig } from '../config/config.js';
import type { Secrets } from '../config/secrets.js';

/**
 * The VPC adapter's options from the configuration. `--cloud-endpoint` is a host[:port] (the
 * real API, over HTTPS) or an `http://host:port` URL (a simulator: requests go there over HTTP
 * while the Host header and the TC3 signature stay those of the default endpoint).
 */
export const vpcOptionsOf = (
  config: IpamdConfig,
  secrets: Secrets,
): Pick<TencentVpcApiOptions, 'region' | 'credentials' | 'clusterId' | 'endpoint' | 'connectTo'> => {
  const base = { region: config.cloud.region, credentials: secrets.cloud, clusterId: config.clusterId };
  const endpoint = config.cloud.endpoint;
  if (!/^https?:\/\//.test(endpoint)) return { ...base, endpoint: endpoint.replace(/\/$/, '') };
  const url = new URL(endpoint);
  if (url.protocol === 'https:') return { ...base, endpoint: url.host };
  return { ...base, connectTo: { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) } };
};
