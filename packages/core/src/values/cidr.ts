import { z } from 'zod';
import { type Ipv4, intToIp, ipToInt, isIpv4 } from './ipv4.js';
import { parseWith } from './parse.js';

/** Smallest and largest subnet prefixes eni-ipam accepts (Tencent VPC subnets are /16 to /29). */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 29;

/** A subnet's IPv4 CIDR block, e.g. `10.0.3.0/24`, with its network address as an integer. */
export interface Cidr {
  /** Canonical text, e.g. `10.0.3.0/24`. */
  readonly text: string;
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Prefix length, MIN_PREFIX..MAX_PREFIX. */
  readonly prefix: number;
}

const tryCidr = (s: unknown): Cidr | undefined => {
  if (typeof s !== 'string') return undefined;
  const [ip, len, ...rest] = s.split('/');
  if (rest.length > 0 || ip === undefined || len === undefined || !isIpv4(ip) || !/^[0-9]{1,2}$/.test(len)) {
    return undefined;
  }
  const prefix = Number(len);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) return undefined;
  const network = ipToInt(ip);
  // host bits must be zero: `10.0.3.7/24` is a typo for an address, not a subnet
  if (network % 2 ** (32 - prefix) !== 0) return undefined;
  return { text: s, network, prefix };
};

/** Schema of a subnet CIDR (network address with zero host bits, /16../29); code `InvalidCidr`. */
export const cidrSchema = z.string().refine((s) => tryCidr(s) !== undefined, {
  error: `not an IPv4 subnet CIDR with zero host bits and prefix /${MIN_PREFIX}../${MAX_PREFIX}`,
  params: { code: 'InvalidCidr' },
});

/** Parses a subnet CIDR or throws `IpamError('InvalidCidr')`. */
export const parseCidr = (input: unknown): Cidr => {
  parseWith(cidrSchema, input, 'InvalidCidr', 'CIDR');
  return tryCidr(input) as Cidr;
};

/** Number of addresses in the block, reserved ones included. */
export const cidrSize = (c: Cidr): number => 2 ** (32 - c.prefix);

/** True if `ip` lies inside the block (reserved addresses included). */
export const cidrContains = (c: Cidr, ip: Ipv4): boolean => {
  const n = ipToInt(ip);
  return n >= c.network && n < c.network + cidrSize(c);
};

/** The subnet gateway: the first address after the network address (`.1` of a /24). */
export const gatewayOf = (c: Cidr): Ipv4 => intToIp(c.network + 1);

/**
 * True for an address the VPC reserves and never hands out: the network address, the
 * gateway (network + 1) and the broadcast address (the last). This is what the Tencent VPC
 * documents as reserved and what the VPC simulator enforces (`InvalidParameterValue.Reserved`).
 */
export const isReserved = (c: Cidr, ip: Ipv4): boolean => {
  const n = ipToInt(ip);
  return n === c.network || n === c.network + 1 || n === c.network + cidrSize(c) - 1;
};

/** Count of addresses that can be bound to ENIs: the block minus the 3 reserved ones. */
export const usableCount = (c: Cidr): number => cidrSize(c) - 3;

/**
 * The usable addresses in ascending order, lazily (a /16 has 65,533 of them): from
 * network + 2 up to the one before broadcast.
 */
export function* usableAddresses(c: Cidr, from?: number): Generator<Ipv4> {
  const last = c.network + cidrSize(c) - 2;
  for (let n = Math.max(c.network + 2, from ?? 0); n <= last; n++) yield intToIp(n);
}

/** The usable addresses in descending order, lazily: from the one before broadcast down to network + 2. */
export function* usableAddressesDescending(c: Cidr): Generator<Ipv4> {
  for (let n = c.network + cidrSize(c) - 2; n >= c.network + 2; n--) yield intToIp(n);
}

/** True if `ip` is inside the block and not reserved. */
export const isUsable = (c: Cidr, ip: Ipv4): boolean => cidrContains(c, ip) && !isReserved(c, ip);
