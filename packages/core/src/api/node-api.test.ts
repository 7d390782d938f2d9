import { describe, expect, it } from 'vitest';
import {
  AckRequestSchema,
  AllocateRequestSchema,
  ApiErrorSchema,
  FeedEventSchema,
  FeedFromSchema,
  NodeStateSchema,
} from './index.js';

const allocation = {
  ip: '10.0.1.7',
  eniId: 'eni-aaaa1111',
  eniMac: '20:90:6f:00:00:01',
  gateway: '10.0.1.1',
  subnetCidr: '10.0.1.0/24',
};
const pod = { namespace: 'default', name: 'web-0', uid: '6f1c' };

describe('wire contract', () => {
  it('accepts the agent’s allocate request and refuses unknown fields and malformed names', () => {
    expect(AllocateRequestSchema.parse({ pod, containerId: 'abc_1.2-3', mode: 'shared' })).toEqual({
      pod,
      containerId: 'abc_1.2-3',
      mode: 'shared',
    });
    for (const bad of [
      { pod, containerId: 'c', mode: 'shared', extra: 1 },
      { pod: { ...pod, extra: 1 }, containerId: 'c', mode: 'shared' },
      { pod: { ...pod, namespace: 'Default' }, containerId: 'c', mode: 'shared' },
      { pod, containerId: 'c/d', mode: 'shared' },
      { pod, containerId: 'x'.repeat(129), mode: 'shared' },
      { pod, containerId: 'c', mode: 'ipvlan' },
    ]) {
      expect(AllocateRequestSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('reads responses leniently: a newer ipamd may add fields', () => {
    const state = NodeStateSchema.parse({
      revision: 3,
      enis: [],
      allocations: [{ ...allocation, containerId: 'c', pod, mode: 'shared', since: 'new field' }],
      generation: 2,
    });
    expect(state.allocations[0]).not.toHaveProperty('since');
    expect(FeedEventSchema.parse({ revision: 4, type: 'IpReleased', containerId: 'c' })).toEqual({
      revision: 4,
      type: 'IpReleased',
      containerId: 'c',
    });
    expect(FeedEventSchema.safeParse({ revision: 0, type: 'IpReleased', containerId: 'c' }).success).toBe(false);
  });

  it.each([
    { from: '0', ok: 0 },
    { from: '42', ok: 42 },
    { from: '', ok: undefined },
    { from: '-1', ok: undefined },
    { from: '01', ok: undefined },
    { from: '1e3', ok: undefined },
    { from: '99999999999999999', ok: undefined },
  ])('feed from=$from', ({ from, ok }) => {
    const r = FeedFromSchema.safeParse(from);
    expect(r.success ? r.data : undefined).toBe(ok);
  });

  it('acks carry a non-negative integer revision; errors a code and a message', () => {
    expect(AckRequestSchema.safeParse({ revision: 0 }).success).toBe(true);
    expect(AckRequestSchema.safeParse({ revision: 1, more: 1 }).success).toBe(false);
    expect(ApiErrorSchema.parse({ code: 'PoolExhausted', message: 'm', details: { a: 1 } }).details).toEqual({ a: 1 });
  });
});
