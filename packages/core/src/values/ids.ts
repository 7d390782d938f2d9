import { z } from 'zod';
import { parseWith } from './parse.js';

/** A VPC subnet id: `subnet-` + 8 lowercase alphanumerics. */
export type SubnetId = string;
/** An elastic network interface id: `eni-` + 8 lowercase alphanumerics. */
export type EniId = string;
/** A Kubernetes node name: a DNS-1123 subdomain (lowercase, at most 253 characters). */
export type NodeName = string;

const SUBNET_RE = /^subnet-[a-z0-9]{8}$/;
const ENI_RE = /^eni-[a-z0-9]{8}$/;
const LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const SUBDOMAIN_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const LABEL_RE = new RegExp(`^${LABEL}$`);

/** True for a DNS-1123 subdomain (Kubernetes object names). */
export const isDns1123Subdomain = (s: string): boolean => s.length <= 253 && SUBDOMAIN_RE.test(s);
/** True for a DNS-1123 label (Kubernetes namespaces). */
export const isDns1123Label = (s: string): boolean => LABEL_RE.test(s);

/** Subnet id schema; failures carry code `InvalidSubnetId`. */
export const subnetIdSchema = z.string().refine((s) => SUBNET_RE.test(s), {
  error: 'not a subnet id (subnet- + 8 lowercase alphanumerics)',
  params: { code: 'InvalidSubnetId' },
});
/** ENI id schema; failures carry code `InvalidEniId`. */
export const eniIdSchema = z.string().refine((s) => ENI_RE.test(s), {
  error: 'not an ENI id (eni- + 8 lowercase alphanumerics)',
  params: { code: 'InvalidEniId' },
});
/** Node name schema; failures carry code `InvalidNodeName`. */
export const nodeNameSchema = z
  .string()
  .refine(isDns1123Subdomain, { error: 'not a node name (DNS-1123 subdomain)', params: { code: 'InvalidNodeName' } });

/** Parses a subnet id or throws `IpamError('InvalidSubnetId')`. */
export const parseSubnetId = (input: unknown): SubnetId =>
  parseWith(subnetIdSchema, input, 'InvalidSubnetId', 'subnet id');
/** Parses an ENI id or throws `IpamError('InvalidEniId')`. */
export const parseEniId = (input: unknown): EniId => parseWith(eniIdSchema, input, 'InvalidEniId', 'ENI id');
/** Parses a node name or throws `IpamError('InvalidNodeName')`. */
export const parseNodeName = (input: unknown): NodeName =>
  parseWith(nodeNameSchema, input, 'InvalidNodeName', 'node name');

/** Stream name of a node: `node/<nodeName>`. */
export const nodeStream = (node: NodeName): string => `node/${node}`;
/** Stream name of a subnet: `subnet/<subnetId>`. */
export const subnetStream = (subnet: SubnetId): string => `subnet/${subnet}`;
/** The cluster configuration stream. */
export const CLUSTER_STREAM = 'cluster';
