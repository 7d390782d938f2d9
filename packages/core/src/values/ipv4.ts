import { z } from 'zod';
import type { Ipv4 } from '../ports/vpc-api.js';
import { parseWith } from './parse.js';

export type { Ipv4 };

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** True for a canonical dotted quad (no leading zeros, each octet 0-255). */
export const isIpv4 = (s: unknown): s is Ipv4 => typeof s === 'string' && IPV4_RE.test(s);

/** Schema of a canonical dotted-quad IPv4 address; failures carry code `InvalidIp`. */
export const ipv4Schema = z
  .string()
  .refine(isIpv4, { error: 'not a dotted-quad IPv4 address', params: { code: 'InvalidIp' } });

/** Parses an IPv4 address or throws `IpamError('InvalidIp')`. */
export const parseIpv4 = (input: unknown): Ipv4 => parseWith(ipv4Schema, input, 'InvalidIp', 'IPv4 address');

/** The address as an unsigned 32-bit integer. The argument must be a valid address. */
export const ipToInt = (ip: Ipv4): number => {
  // a character loop rather than split/map: sorting a node's addresses calls it on every comparison
  let acc = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      acc = acc * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return acc * 256 + octet;
};

/** The dotted quad of an unsigned 32-bit integer. */
export const intToIp = (n: number): Ipv4 =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map(String).join('.');

/** Orders addresses numerically (not as strings: `10.0.0.9` < `10.0.0.10`). */
export const compareIps = (a: Ipv4, b: Ipv4): number => ipToInt(a) - ipToInt(b);
