/**
 * IPv4 arithmetic for the simulator's subnets. Hand-written: a dozen lines of shifts, where an
 * address library would bring far more than the simulator needs.
 */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `10.0.3.17` -> 167773969; undefined when not a dotted quad. */
export const ipToInt = (ip: string): number | undefined => {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
};

export const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export interface Cidr {
  /** The network address as an integer. */
  base: number;
  prefix: number;
  /** Addresses in the block, network and broadcast included. */
  size: number;
}

/** `10.0.0.0/24` -> { base, prefix: 24, size: 256 }; undefined when malformed or not aligned. */
export const parseCidr = (cidr: string): Cidr | undefined => {
  const [ip, len, ...rest] = cidr.split('/');
  if (ip === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) return undefined;
  const base = ipToInt(ip);
  const prefix = Number(len);
  if (base === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
};

export const inCidr = (c: Cidr, ip: number): boolean => ip >= c.base && ip < c.base + c.size;

/**
 * Addresses Tencent Cloud keeps for itself in every subnet. The brief's choice (the product
 * documentation was not reachable from here): the network address, the `.1` gateway and the last
 * (broadcast) address. Blocks smaller than /29 are not valid subnets in the VPC product.
 */
export const isReserved = (c: Cidr, ip: number): boolean =>
  ip === c.base || ip === c.base + 1 || ip === c.base + c.size - 1;

/** Usable addresses of a subnet: the block minus the three reserved ones. */
export const usableCount = (c: Cidr): number => c.size - 3;
