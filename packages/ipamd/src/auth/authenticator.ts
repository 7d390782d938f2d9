import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling: a node's agent (may act only for that node) or an operator (ipamctl). */
export type Principal = { kind: 'node'; node: string } | { kind: 'admin' };

/** Why a request was not authenticated (never says which part of a token was wrong). */
export type Refusal = { kind: 'refused'; reason: 'missing' | 'malformed' | 'invalid' };

export type AuthResult = Principal | Refusal;

/**
 * Turns request headers into a principal. Called once per request, before the body is read.
 * Implementations: `HmacAuthenticator` (tokens derived from a cluster secret); a Kubernetes
 * deployment can plug ServiceAccount TokenReview behind the same interface.
 */
export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): Promise<AuthResult>;
}

export type AccessVerdict =
  | { ok: true }
  | { ok: false; status: 401 | 403; code: 'Unauthenticated' | 'Forbidden'; message: string };

/**
 * The authorization rule of the API: node routes (`/v1/nodes/{node}/...` writes, state, feed,
 * acks) are for that node's agent or an admin; introspection (lists, one node's detail) is
 * admin only. Pure, table-tested.
 */
export const authorize = (who: AuthResult, need: { node: string } | 'admin'): AccessVerdict => {
  if (who.kind === 'refused') {
    return { ok: false, status: 401, code: 'Unauthenticated', message: `authentication failed (${who.reason} token)` };
  }
  if (who.kind === 'admin') return { ok: true };
  if (need === 'admin') return { ok: false, status: 403, code: 'Forbidden', message: 'admin token required' };
  if (who.node !== need.node) {
    return { ok: false, status: 403, code: 'Forbidden', message: `node ${who.node} may act only for itself` };
  }
  return { ok: true };
};
