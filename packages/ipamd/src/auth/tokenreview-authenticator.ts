import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDns1123Subdomain } from '@eni-ipam/core';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Authenticator, AuthResult } from './authenticator.js';

/** `status` of a TokenReview, as far as ipamd reads it. */
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; extra?: Record<string, string[]> };
}

/** Asks the apiserver about a token (`POST /apis/authentication.k8s.io/v1/tokenreviews`). */
export type TokenReviewer = (token: string) => Promise<TokenReviewStatus>;

/** The TokenReview call of client-node against `kc`. */
export const kubeTokenReviewer = (kc: KubeConfig, audiences?: string[]): TokenReviewer => {
  const auth = kc.makeApiClient(AuthenticationV1Api);
  return async (token) => {
    const review = await auth.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(audiences ? { audiences } : {}) },
      },
    });
    return review.status ?? {};
  };
};

/** The extra of a pod-bound ServiceAccount token that names the pod's node (Kubernetes >= 1.30). */
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

export interface TokenReviewAuthenticatorOptions {
  review: TokenReviewer;
  /** The agent DaemonSet's ServiceAccount, `namespace/name`. */
  agentServiceAccount: string;
  /** The admin token (compared in constant time); absent = no admin access over HTTP. */
  adminToken?: string | Buffer | undefined;
  /** Verdicts are cached this long per token (the apiserver is not asked per request). Default 30 s. */
  cacheTtlMs?: number;
  /** At most this many cached tokens (the oldest dropped). Default 4096. */
  cacheSize?: number;
  now?: () => number;
}

/**
 * Authenticates agents by their Kubernetes ServiceAccount tokens instead of HMAC node tokens:
 * the token goes to TokenReview; it is a node's agent when the apiserver says it is
 * authenticated, the user is the agent's ServiceAccount, and the token is bound to a pod on a
 * node (the `authentication.kubernetes.io/node-name` extra): that node is the principal, so an
 * agent may act only for the node its pod runs on. The admin token works as with HMAC.
 * A failed review (apiserver unreachable) refuses the request and caches nothing.
 */
export class TokenReviewAuthenticator implements Authenticator {
  private readonly adminDigest: Buffer | undefined;
  private readonly username: string;
  private readonly cache = new Map<string, { at: number; result: AuthResult }>();

  constructor(private readonly o: TokenReviewAuthenticatorOptions) {
    const [ns, name] = o.agentServiceAccount.split('/');
    if (!ns || !name) throw new RangeError('agentServiceAccount must be namespace/name');
    this.username = `system:serviceaccount:${ns}:${name}`;
    this.adminDigest = o.adminToken === undefined ? undefined : sha256(Buffer.from(o.adminToken));
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<AuthResult> {
    const h = headers.authorization;
    if (h === undefined || h === '') return { kind: 'refused', reason: 'missing' };
    const m = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(h);
    if (!m) return { kind: 'refused', reason: 'malformed' };
    const token = m[1] as string;
    if (this.adminDigest && timingSafeEqual(sha256(Buffer.from(token)), this.adminDigest)) return { kind: 'admin' };
    const key = sha256(Buffer.from(token)).toString('hex');
    const now = (this.o.now ?? Date.now)();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < (this.o.cacheTtlMs ?? 30_000)) return hit.result;
    let status: TokenReviewStatus;
    try {
      status = await this.o.review(token);
    } catch {
      return { kind: 'refused', reason: 'invalid' };
    }
    const node = status.user?.extra?.[NODE_NAME_EXTRA]?.[0];
    const result: AuthResult =
      status.authenticated === true && status.user?.username === this.username && node && isDns1123Subdomain(node)
        ? { kind: 'node', node }
        : { kind: 'refused', reason: 'invalid' };
    this.cache.delete(key);
    this.cache.set(key, { at: now, result });
    while (this.cache.size > (this.o.cacheSize ?? 4096)) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return result;
  }
}

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
