import { z } from 'zod';
import { isDns1123Label, isDns1123Subdomain } from './ids.js';
import { parseWith } from './parse.js';

/** A pod by namespace and name (the claim key: a static IP follows the name), and its uid. */
export interface PodRef {
  /** Kubernetes namespace (DNS-1123 label). */
  namespace: string;
  /** Pod name (DNS-1123 subdomain). */
  name: string;
  /** The pod object's uid; absent when unknown. Names repeat across restarts, uids do not. */
  uid?: string | undefined;
}

/** Schema of a PodRef. */
export const podRefSchema = z.strictObject({
  namespace: z.string().refine(isDns1123Label, { error: 'namespace is not a DNS-1123 label' }),
  name: z.string().refine(isDns1123Subdomain, { error: 'pod name is not a DNS-1123 subdomain' }),
  uid: z.string().min(1).max(128).optional(),
});

/** Parses a PodRef or throws `IpamError('InvalidInput')`. */
export const parsePodRef = (input: unknown): PodRef => parseWith(podRefSchema, input, 'InvalidInput', 'pod');

/** `namespace/name`: the key of claims and the audit index. */
export const podKey = (p: Pick<PodRef, 'namespace' | 'name'>): string => `${p.namespace}/${p.name}`;

/** A container id as the CNI passes it (the sandbox id): 1-128 of `[A-Za-z0-9_.-]`. */
export const containerIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'not a container id');
