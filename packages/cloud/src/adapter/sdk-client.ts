/**
 * Builds the Tencent Cloud SDK's VPC client. Deep import: loading the package root would load
 * every one of its ~260 services at start-up; this path loads the VPC service only.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { Client } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_client.js';
import type { CloudCredentials } from './credentials.js';

export type VpcSdkClient = Client;

export const DEFAULT_ENDPOINT = 'vpc.tencentcloudapi.com';

/**
 * An agent that sends every request to one loopback address whatever the URL says, so the SDK
 * keeps the production endpoint in its Host header and signature while it talks to the simulator.
 */
export class ConnectToAgent extends HttpAgent {
  constructor(
    private readonly target: { host: string; port: number },
    opts: { keepAlive?: boolean; maxSockets?: number } = {},
  ) {
    super({ keepAlive: opts.keepAlive ?? true, maxSockets: opts.maxSockets ?? 64 });
  }
  // Node's Agent uses a socket returned synchronously (its callback form is for async creation).
  override createConnection(): Socket {
    return connect(this.target.port, this.target.host);
  }
}

export interface SdkClientOptions {
  region: string;
  credentials: CloudCredentials;
  endpoint?: string;
  /** Send requests to this host:port over plain HTTP (the simulator). */
  connectTo?: { host: string; port: number };
  requestTimeoutMs: number;
}

export const createVpcSdkClient = (o: SdkClientOptions): VpcSdkClient =>
  new Client({
    credential: { ...o.credentials },
    region: o.region,
    profile: {
      signMethod: 'TC3-HMAC-SHA256',
      httpProfile: {
        endpoint: o.endpoint ?? DEFAULT_ENDPOINT,
        reqMethod: 'POST',
        reqTimeout: o.requestTimeoutMs / 1000,
        // Always an explicit agent: without one the SDK silently routes through $http_proxy.
        ...(o.connectTo
          ? { protocol: 'http://', agent: new ConnectToAgent(o.connectTo) }
          : { protocol: 'https://', agent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) }),
      },
    },
  });
