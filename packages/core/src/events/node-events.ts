import { z } from 'zod';
import { eniIdSchema, nodeNameSchema, subnetIdSchema } from '../values/ids.js';
import { ipv4Schema } from '../values/ipv4.js';
import {
  clientTokenSchema,
  cloudErrorCodeSchema,
  containerIdSchema,
  type EventsOf,
  events,
  intentIdSchema,
  messageSchema,
  podRefSchema,
  whySchema,
} from './common.js';

/** ENI limits of the node's instance type (DescribeNetworkInterfaceLimit). */
export const nodeLimitsSchema = z.strictObject({
  /** ENIs the instance may have, including its primary ENI (eth0), which eni-ipam never uses. */
  maxEnis: z.number().int().min(1).max(64),
  /** Private IPs per ENI, including the ENI's own primary IP. */
  ipsPerEni: z.number().int().min(1).max(256),
});
export type NodeLimits = z.infer<typeof nodeLimitsSchema>;

const ips = z.array(ipv4Schema).min(1).max(256);
const eniOperation = z.enum(['create', 'attach', 'detach', 'delete']);
/** A cloud ENI operation named by an intent. */
export type EniOperation = z.infer<typeof eniOperation>;

/**
 * The events of a `node/<nodeName>` stream: the node, its ENIs (intent then outcome for every
 * cloud call), its bound secondary IPs, pod allocations (shared mode) and ENI assignments
 * (exclusive mode). Every type is at version 1.
 */
export const nodeEvents = events('node', {
  /** The node joined: its instance, zone and ENI limits. A removed node may register again. */
  NodeRegistered: {
    v: 1,
    data: z.strictObject({
      /** Kubernetes node name. */
      node: nodeNameSchema,
      /** Cloud instance id (CVM `ins-...`). */
      instanceId: z.string().min(1).max(100),
      /** Availability zone, e.g. `ap-guangzhou-3`; the node uses subnets of this zone only. */
      zone: z.string().min(1).max(100),
      /** ENI limits of the instance type. */
      limits: nodeLimitsSchema,
    }),
  },
  /** The instance's ENI limits changed (for example a resize); excess idle IPs go at once. */
  NodeLimitsChanged: {
    v: 1,
    data: z.strictObject({
      /** The new limits. */
      limits: nodeLimitsSchema,
      /** The limits before. */
      previous: nodeLimitsSchema,
    }),
  },
  /** The node takes no new pods; its pool is released and its ENIs deleted. */
  NodeDrainStarted: { v: 1, data: z.strictObject({ /** Why (node deleted, cordoned...). */ reason: whySchema }) },
  /** The node is gone from the pool: it had no ENIs and no allocations left. */
  NodeRemoved: { v: 1, data: z.strictObject({ /** Why. */ reason: whySchema }) },

  /** Intent: create an ENI in a subnet. The outcome is EniCreated or EniOperationFailed. */
  EniCreateRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id; outcomes name it. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call (equal to intentId). */
      clientToken: clientTokenSchema,
      /** Subnet the ENI goes to. */
      subnetId: subnetIdSchema,
      /** Why this subnet and why a new ENI. */
      why: whySchema,
    }),
  },
  /** Outcome: the ENI exists (not attached yet). */
  EniCreated: {
    v: 1,
    data: z.strictObject({
      /** The EniCreateRequested this resolves. */
      intentId: intentIdSchema,
      /** The new ENI. */
      eniId: eniIdSchema,
      /** Its subnet. */
      subnetId: subnetIdSchema,
      /** Its primary private IP (chosen by the cloud; never given to a pod in shared mode). */
      primaryIp: ipv4Schema,
      /** Its MAC address, how the node agent finds the link. */
      mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'not a MAC address'),
    }),
  },
  /** Intent: attach a detached ENI to the node's instance. */
  EniAttachRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call. */
      clientToken: clientTokenSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** The instance it goes to. */
      instanceId: z.string().min(1).max(100),
      /** Why. */
      why: whySchema,
    }),
  },
  /** Outcome: the ENI is attached and usable. */
  EniAttached: {
    v: 1,
    data: z.strictObject({
      /** The EniAttachRequested this resolves. */
      intentId: intentIdSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** Device index on the instance, when the cloud reports it. */
      deviceIndex: z.number().int().min(0).max(64).optional(),
    }),
  },
  /** Intent: detach an attached ENI that holds no secondary IPs and serves no pod. */
  EniDetachRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call. */
      clientToken: clientTokenSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** The instance it leaves. */
      instanceId: z.string().min(1).max(100),
      /** Why (idle, node draining, static pod gone). */
      why: whySchema,
      /** True for the pool's paced slow release (one per release interval above pods + max);
       *  absent for trims, drains and claim unbinds, which are not paced. */
      slowRelease: z.literal(true).optional(),
    }),
  },
  /** Outcome: the ENI is detached (it still exists). */
  EniDetached: {
    v: 1,
    data: z.strictObject({ /** Intent. */ intentId: intentIdSchema, /** ENI. */ eniId: eniIdSchema }),
  },
  /** Intent: delete a detached ENI. */
  EniDeleteRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call. */
      clientToken: clientTokenSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** Why. */
      why: whySchema,
    }),
  },
  /** Outcome: the ENI is deleted in the VPC; its primary IP is back in the subnet. */
  EniDeleted: {
    v: 1,
    data: z.strictObject({ /** Intent. */ intentId: intentIdSchema, /** ENI. */ eniId: eniIdSchema }),
  },
  /** Outcome: a create, attach, detach or delete failed; the ENI is back in its prior state. */
  EniOperationFailed: {
    v: 1,
    data: z.strictObject({
      /** The intent this resolves. */
      intentId: intentIdSchema,
      /** Which operation failed. */
      operation: eniOperation,
      /** The ENI (absent for a failed create). */
      eniId: eniIdSchema.optional(),
      /** IpamError code of the cloud adapter (`CloudCapacity`, `CloudPermanent`...). */
      errorCode: cloudErrorCodeSchema,
      /** The adapter's message. */
      message: messageSchema,
    }),
  },

  /** Intent: bind these secondary IPs (chosen from the subnet stream) to an attached ENI. */
  IpBindRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call. */
      clientToken: clientTokenSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** The ENI's subnet, where the addresses are reserved in the same append. */
      subnetId: subnetIdSchema,
      /** The exact addresses asked for. */
      ips,
      /** Why (below pods+min, a claimed IP for a pod...). */
      why: whySchema,
      /** `namespace/name` of the pod these are bound for (claims); others may not take them. */
      forPod: z.string().min(3).max(400).optional(),
    }),
  },
  /** Outcome: the addresses are bound to the ENI. */
  IpsBound: {
    v: 1,
    data: z.strictObject({
      /** Intent. */ intentId: intentIdSchema,
      /** ENI. */ eniId: eniIdSchema,
      /** Addresses. */ ips,
    }),
  },
  /** Outcome: the bind failed; none of the addresses is bound (the cloud call is atomic). */
  IpBindFailed: {
    v: 1,
    data: z.strictObject({
      /** Intent. */
      intentId: intentIdSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses of the intent. */
      ips,
      /** IpamError code of the cloud adapter. */
      errorCode: cloudErrorCodeSchema,
      /** The adapter's message. */
      message: messageSchema,
    }),
  },
  /** Intent: unbind idle secondary IPs from an ENI (back to the VPC subnet). */
  IpUnbindRequested: {
    v: 1,
    data: z.strictObject({
      /** This event's id. */
      intentId: intentIdSchema,
      /** Idempotency token of the cloud call. */
      clientToken: clientTokenSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses. */
      ips,
      /** Why (above pods+max, above max bindable, static pod gone...). */
      why: whySchema,
      /** True for the pool's paced slow release (one per release interval above pods + max);
       *  absent for trims, drains and claim unbinds, which are not paced. */
      slowRelease: z.literal(true).optional(),
    }),
  },
  /** Outcome: the addresses are unbound and free in the subnet again. */
  IpsUnbound: {
    v: 1,
    data: z.strictObject({
      /** Intent. */ intentId: intentIdSchema,
      /** ENI. */ eniId: eniIdSchema,
      /** Addresses. */ ips,
    }),
  },
  /**
   * The cloud no longer has these bound addresses on this ENI, though no unbind of ours was
   * recorded (found when the cloud gave one of them to a new ENI as its primary: a call that
   * escaped our fencing, or someone else's change to our ENI). They leave the pool and are free
   * in the subnet again; a pod that held one was released just before (`IpReleased`).
   */
  IpsLost: {
    v: 1,
    data: z.strictObject({
      /** This event's id (the subnet's `AddressesFreed` refers to it). */
      intentId: intentIdSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses. */
      ips,
      /** What showed they are gone. */
      why: whySchema,
    }),
  },
  /** Outcome: the unbind failed; the addresses stay bound (idle). */
  IpUnbindFailed: {
    v: 1,
    data: z.strictObject({
      /** Intent. */
      intentId: intentIdSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses. */
      ips,
      /** IpamError code of the cloud adapter. */
      errorCode: cloudErrorCodeSchema,
      /** The adapter's message. */
      message: messageSchema,
    }),
  },

  /** Shared mode: a pod got a bound secondary IP. One per container id. */
  IpAllocated: {
    v: 1,
    data: z.strictObject({
      /** The pod. */
      pod: podRefSchema,
      /** The CNI container (sandbox) id: the idempotency key of ADD and DEL. */
      containerId: containerIdSchema,
      /** The address. */
      ip: ipv4Schema,
      /** The ENI holding it. */
      eniId: eniIdSchema,
      /** Why this IP (least-ENI order, the pod's claim...). */
      why: whySchema,
      /** Set when the address is the pod's static claim: the claim's policy. A claimed address
       *  is held for the pod name after release until it is unbound. */
      claim: z.enum(['Immediate', 'Never']).optional(),
    }),
  },
  /** Shared mode: a pod's IP went back to the node pool (not to the VPC). */
  IpReleased: {
    v: 1,
    data: z.strictObject({
      /** The pod. */
      pod: podRefSchema,
      /** The container id of the allocation. */
      containerId: containerIdSchema,
      /** The address. */
      ip: ipv4Schema,
      /** The ENI holding it. */
      eniId: eniIdSchema,
      /** Why (CNI DEL, pod deleted...). */
      why: whySchema,
    }),
  },
  /** A pod could not get an address or ENI now; recorded so history says why it was stuck. */
  AllocationRefused: {
    v: 1,
    data: z.strictObject({
      /** The pod. */
      pod: podRefSchema,
      /** Its container id. */
      containerId: containerIdSchema,
      /** Shared (an IP) or exclusive (an ENI). */
      mode: z.enum(['shared', 'exclusive']),
      /** Stable IpamError code (`PoolExhausted`, `NodeDraining`, `ClaimConflict`...). */
      code: z.string().min(1).max(100),
      /** Human reason, e.g. `pool empty and refilling`. */
      reason: whySchema,
    }),
  },
  /** Exclusive mode: a pod took a whole attached ENI from the node's pool. */
  EniAssigned: {
    v: 1,
    data: z.strictObject({
      /** The pod. */
      pod: podRefSchema,
      /** Its container id. */
      containerId: containerIdSchema,
      /** The ENI, moved into the pod's netns. */
      eniId: eniIdSchema,
      /** Why this ENI. */
      why: whySchema,
    }),
  },
  /** Exclusive mode: the pod is gone; its ENI returns to the node's pool (not deleted). */
  EniReturned: {
    v: 1,
    data: z.strictObject({
      /** The pod. */
      pod: podRefSchema,
      /** Container id of the assignment. */
      containerId: containerIdSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** Why. */
      why: whySchema,
    }),
  },
});

/** Every event of a node stream, as decide returns and evolve takes them. */
export type NodeEvent = EventsOf<typeof nodeEvents>;
export type NodeEventType = NodeEvent['type'];
