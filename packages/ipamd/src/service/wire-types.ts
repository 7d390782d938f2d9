/**
 * Temporary: replaced by core's api module at merge. Type shapes copied from branch `ipamd`
 * (packages/core/src/api/*.ts and packages/ipamd/src/api/service.ts) so this branch compiles
 * on its own; the service returns exactly these shapes.
 */
import type { PodRef as CorePodRef } from '@eni-ipam/core';

export type Mode = 'shared' | 'exclusive';

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string | undefined;
}

export interface AllocateRequest {
  pod: CorePodRef;
  containerId: string;
  mode: Mode;
}

export interface Allocation {
  ip: string;
  eniId: string;
  eniMac: string;
  gateway: string;
  subnetCidr: string;
  routeTable?: number;
}

export interface PodAllocation extends Allocation {
  containerId: string;
  pod: PodRef;
  mode: Mode;
}

export interface Eni {
  id: string;
  mac: string;
  primaryIp: string;
  subnetCidr: string;
  gateway: string;
  mode: Mode;
}

export interface NodeState {
  revision: number;
  enis: Eni[];
  allocations: PodAllocation[];
}

export type FeedEvent =
  | { revision: number; type: 'EniAttached'; eni: Eni }
  | { revision: number; type: 'EniDetached'; eniId: string }
  | { revision: number; type: 'IpAllocated'; allocation: PodAllocation }
  | { revision: number; type: 'IpReleased'; containerId: string };

export interface NodeSummary {
  name: string;
  zone?: string;
  poolPolicy: 'warm' | 'on-demand';
  enis: number;
  bound: number;
  allocated: number;
  capacity: number;
  draining: boolean;
  ackedRevision?: number;
}

export interface NodeList {
  revision: number;
  nodes: NodeSummary[];
}

export interface NodeDetail extends NodeSummary {
  revision: number;
  eniList: Eni[];
  allocations: PodAllocation[];
}

export interface EniView {
  id: string;
  node?: string;
  subnetId: string;
  mode: Mode;
  status: string;
  primaryIp?: string;
  ips: string[];
}

export interface EniList {
  revision: number;
  enis: EniView[];
}

export interface ClaimView {
  pod: string;
  ip: string;
  subnetId: string;
  policy: 'Immediate' | 'Never';
  node?: string;
  expiresAt?: string;
}

export interface ClaimList {
  revision: number;
  claims: ClaimView[];
}

export interface Probe {
  ok: boolean;
  checks?: Record<string, string>;
}

export type Principal = { kind: 'node'; node: string } | { kind: 'admin' };

export interface RequestContext {
  requestId: string;
  principal: Principal;
}

/** The HTTP layer's view of ipamd (packages/ipamd/src/api/service.ts on branch `ipamd`). */
export interface IpamService {
  hasNode(node: string): Promise<boolean>;
  allocate(node: string, req: AllocateRequest, ctx: RequestContext): Promise<Allocation>;
  release(node: string, containerId: string, ctx: RequestContext): Promise<void>;
  nodeState(node: string): Promise<NodeState>;
  nodeFeed(node: string, from: number, signal: AbortSignal): Promise<AsyncIterable<FeedEvent>>;
  ack(node: string, revision: number, ctx: RequestContext): Promise<void>;
  listNodes(): Promise<NodeList>;
  node(node: string): Promise<NodeDetail>;
  enis(): Promise<EniList>;
  claims(): Promise<ClaimList>;
  health(): Promise<Probe>;
  ready(): Promise<Probe>;
}
