import { z } from 'zod';
import { CLAIM_POLICIES } from '../values/annotations.js';
import { cidrSchema } from '../values/cidr.js';
import { eniIdSchema, nodeNameSchema, subnetIdSchema } from '../values/ids.js';
import { ipv4Schema } from '../values/ipv4.js';
import { type EventsOf, events, intentIdSchema, podRefSchema, whySchema } from './common.js';

const ips = z.array(ipv4Schema).min(1).max(256);
/** A claim's pod: namespace and name (the uid of the pod that made it, when known). */
const claimPod = podRefSchema;
/** VPC id: `vpc-` + 8 lowercase alphanumerics. */
export const vpcIdSchema = z.string().regex(/^vpc-[a-z0-9]{8}$/, 'not a VPC id (vpc- + 8 lowercase alphanumerics)');

/**
 * The events of a `subnet/<subnetId>` stream: the one authority on which address is whose.
 * An address is free, reserved for an ENI bind in flight, bound as a secondary IP, or an ENI's
 * primary IP; independently it may be claimed by a pod name (static IP). Node quotas
 * (on-demand pool policy) hold back a count of free addresses for a node. Every type is at v1.
 */
export const subnetEvents = events('subnet', {
  /** The subnet joined the configuration; its CIDR and zone as the VPC describes them. */
  SubnetRegistered: {
    v: 1,
    data: z.strictObject({
      /** The subnet. */
      subnetId: subnetIdSchema,
      /** Its VPC. */
      vpcId: vpcIdSchema,
      /** Its block; the network, gateway (.1) and broadcast addresses are never handed out. */
      cidr: cidrSchema,
      /** Its availability zone. */
      zone: z.string().min(1).max(100),
    }),
  },
  /** Addresses set aside for a bind on an ENI, in the same append as the node's IpBindRequested. */
  AddressesReserved: {
    v: 1,
    data: z.strictObject({
      /** The node's IpBindRequested event id. */
      intentId: intentIdSchema,
      /** The node. */
      node: nodeNameSchema,
      /** The ENI. */
      eniId: eniIdSchema,
      /** The addresses. */
      ips,
      /** Why these addresses. */
      why: whySchema,
    }),
  },
  /** The bind succeeded: the addresses are the ENI's secondary IPs. */
  AddressesBound: {
    v: 1,
    data: z.strictObject({
      /** Intent. */
      intentId: intentIdSchema,
      /** Node. */
      node: nodeNameSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses. */
      ips,
    }),
  },
  /** Addresses are free again: their bind failed or they were unbound. */
  AddressesFreed: {
    v: 1,
    data: z.strictObject({
      /** Intent (the bind that failed or the unbind that succeeded). */
      intentId: intentIdSchema,
      /** Node. */
      node: nodeNameSchema,
      /** ENI. */
      eniId: eniIdSchema,
      /** Addresses. */
      ips,
      /** Why. */
      why: whySchema,
    }),
  },
  /** A new ENI's primary IP (the cloud chose it): taken until the ENI is deleted. */
  PrimaryAddressTaken: {
    v: 1,
    data: z.strictObject({
      /** Node. */ node: nodeNameSchema,
      /** ENI. */ eniId: eniIdSchema,
      /** Address. */ ip: ipv4Schema,
    }),
  },
  /** The ENI was deleted; its primary IP is free. */
  PrimaryAddressFreed: {
    v: 1,
    data: z.strictObject({
      /** Node. */ node: nodeNameSchema,
      /** ENI. */ eniId: eniIdSchema,
      /** Address. */ ip: ipv4Schema,
    }),
  },
  /** On-demand pool: `count` free addresses are held back for a node (its ENI IP quota). */
  QuotaReserved: {
    v: 1,
    data: z.strictObject({
      /** Node. */
      node: nodeNameSchema,
      /** Addresses held for it (replaces any earlier quota of the node). */
      count: z.number().int().min(1).max(4096),
    }),
  },
  /** The node's quota is given back (node gone, policy changed). */
  QuotaReleased: {
    v: 1,
    data: z.strictObject({
      /** Node. */ node: nodeNameSchema,
      /** The quota it had. */ count: z.number().int().min(1).max(4096),
    }),
  },
  /** A pod name claims an address: the same name gets the same IP (invariant 7). */
  ClaimCreated: {
    v: 1,
    data: z.strictObject({
      /** The pod (namespace and name are the key). */
      pod: claimPod,
      /** The claimed address. */
      ip: ipv4Schema,
      /** `Immediate`: dropped with the pod. `Never`: kept until deleted or expired. */
      policy: z.enum(CLAIM_POLICIES as ['Immediate', 'Never']),
      /** Node the pod runs on. */
      node: nodeNameSchema,
    }),
  },
  /** A pod with a kept claim came back (maybe on another node) and uses it again. */
  ClaimReused: {
    v: 1,
    data: z.strictObject({
      /** Pod. */ pod: claimPod,
      /** Address. */ ip: ipv4Schema,
      /** Node now. */ node: nodeNameSchema,
    }),
  },
  /** The pod of a `Never` claim is gone; the claim is kept until `expiresAt` (or forever). */
  ClaimRetained: {
    v: 1,
    data: z.strictObject({
      /** Pod. */
      pod: claimPod,
      /** Address. */
      ip: ipv4Schema,
      /** ISO time the claim expires (claim expiry configured), absent if kept forever. */
      expiresAt: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  /** A retained claim reached its expiry; the address is no longer held for the name. */
  ClaimExpired: {
    v: 1,
    data: z.strictObject({ /** Pod. */ pod: claimPod, /** Address. */ ip: ipv4Schema }),
  },
  /** A claim is gone: its `Immediate` pod was deleted, or an operator deleted it. */
  ClaimDeleted: {
    v: 1,
    data: z.strictObject({ /** Pod. */ pod: claimPod, /** Address. */ ip: ipv4Schema, /** Why. */ why: whySchema }),
  },
});

/** Every event of a subnet stream. */
export type SubnetEvent = EventsOf<typeof subnetEvents>;
export type SubnetEventType = SubnetEvent['type'];
