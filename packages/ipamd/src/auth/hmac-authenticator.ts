import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDns1123Subdomain } from '@eni-ipam/core';
import type { Authenticator, AuthResult } from './authenticator.js';

const MAC_BYTES = 32;

const mac = (secret: string | Buffer, node: string): Buffer =>
  createHmac('sha256', secret).update(`node:${node}`).digest();

/**
 * The bearer token of a node: `<nodeName>:<base64url(HMAC-SHA256(secret, "node:" + nodeName))>`.
 * The node name travels in the token so the server knows which MAC to check; `:` never occurs in
 * a node name (DNS-1123). Issued by the installer (or ipamctl) into each node's agent secret.
 *
 * @example nodeToken(secret, 'node-a') // 'node-a:3q2-...'
 */
export const nodeToken = (secret: string | Buffer, node: string): string =>
  `${node}:${mac(secret, node).toString('base64url')}`;

export interface HmacAuthenticatorOptions {
  /** The cluster secret node tokens derive from (>= 32 bytes). */
  clusterSecret: string | Buffer;
  /** The admin token; absent = no admin access over HTTP. */
  adminToken?: string | Buffer | undefined;
  /** Node MACs kept (default 65,536). */
  macCacheSize?: number;
}

/**
 * Authenticates `Authorization: Bearer <token>`. Comparisons run in constant time
 * (`crypto.timingSafeEqual` on equal-length buffers: the admin token is compared through its
 * SHA-256 so lengths always match), so timing leaks neither a MAC nor the admin token.
 */
export class HmacAuthenticator implements Authenticator {
  private readonly secret: Buffer;
  private readonly adminDigest: Buffer | undefined;
  /**
   * Each node's expected MAC, computed once: every agent request carries its node's token, and
   * an HMAC per request was about 3% of the leader's CPU under allocation load. Bounded (names
   * are only DNS-shaped, not known nodes): cleared when full, then refilled on demand.
   */
  private readonly macs = new Map<string, Buffer>();
  private readonly macCacheSize: number;

  constructor(opts: HmacAuthenticatorOptions) {
    this.secret = Buffer.from(opts.clusterSecret);
    if (this.secret.length < 32) throw new RangeError('cluster secret must be at least 32 bytes');
    this.adminDigest = opts.adminToken === undefined ? undefined : sha256(Buffer.from(opts.adminToken));
    this.macCacheSize = Math.max(1, opts.macCacheSize ?? 65_536);
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<AuthResult> {
    const h = headers.authorization;
    if (h === undefined || h === '') return { kind: 'refused', reason: 'missing' };
    const m = /^Bearer ([\x21-\x7e]{1,600})$/.exec(h);
    if (!m) return { kind: 'refused', reason: 'malformed' };
    const token = m[1] as string;
    if (this.adminDigest && timingSafeEqual(sha256(Buffer.from(token)), this.adminDigest)) return { kind: 'admin' };
    const sep = token.lastIndexOf(':');
    if (sep <= 0) return { kind: 'refused', reason: 'invalid' };
    const node = token.slice(0, sep);
    const macText = token.slice(sep + 1);
    const given = Buffer.from(macText, 'base64url');
    // Buffer's base64url decoder skips junk; only the canonical encoding of 32 bytes is a token
    if (!isDns1123Subdomain(node) || given.length !== MAC_BYTES || given.toString('base64url') !== macText) {
      return { kind: 'refused', reason: 'invalid' };
    }
    return timingSafeEqual(given, this.expectedMac(node))
      ? { kind: 'node', node }
      : { kind: 'refused', reason: 'invalid' };
  }

  private expectedMac(node: string): Buffer {
    let m = this.macs.get(node);
    if (m === undefined) {
      if (this.macs.size >= this.macCacheSize) this.macs.clear();
      m = mac(this.secret, node);
      this.macs.set(node, m);
    }
    return m;
  }
}

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
