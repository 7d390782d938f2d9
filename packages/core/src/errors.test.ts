import { describe, expect, it } from 'vitest';
import { IpamError, isIpamError } from './errors.js';

describe('IpamError', () => {
  it('carries a stable code and structured details', () => {
    const e = new IpamError('PoolExhausted', 'no free IP on node n1', { node: 'n1' });
    expect(isIpamError(e)).toBe(true);
    expect(isIpamError(e, 'PoolExhausted')).toBe(true);
    expect(isIpamError(e, 'NotLeader')).toBe(false);
    expect(e.details).toEqual({ node: 'n1' });
  });
  it('is not confused with other errors', () => {
    expect(isIpamError(new Error('PoolExhausted'))).toBe(false);
  });
});
