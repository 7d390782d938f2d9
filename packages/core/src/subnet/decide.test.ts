import { describe, expect, it } from 'vitest';
import { meta, NODE, pod, SUBNET_A, subnetRegistered, subnetSpec, VPC } from '../testing/index.js';
import type { SubnetCommand } from './commands.js';

const cmd = (c: Record<string, unknown>, n = 1, atMs?: number) =>
  ({ ...meta(n, atMs), subnetId: SUBNET_A, ...c }) as SubnetCommand;
const small = subnetRegistered(SUBNET_A, '10.0.1.0/29'); // 5 usable: .2-.6
const reserve = (ips: string[], node = NODE, intentId = 'i1') =>
  cmd({ type: 'ReserveAddresses', intentId, node, eniId: 'eni-aaaa0001', ips, why: 'min' });

describe('subnet decider: addresses', () => {
  it('registers once; the same registration again is a no-op, a different one refused', () => {
    const c = cmd({ type: 'RegisterSubnet', vpcId: VPC, cidr: '10.0.1.0/29', zone: 'ap-guangzhou-3' });
    subnetSpec
      .given([])
      .when(c)
      .thenMatches([{ type: 'SubnetRegistered' }]);
    subnetSpec.given([small]).when(c).thenNothingHappened();
    subnetSpec
      .given([small])
      .when({ ...c, cidr: '10.0.2.0/29' } as SubnetCommand)
      .thenThrows('IllegalTransition');
  });

  it('reserves free addresses; refuses taken, reserved (network/gateway/broadcast) and foreign ones', () => {
    const r = subnetSpec
      .given([small])
      .when(reserve(['10.0.1.2']))
      .thenMatches([{ type: 'AddressesReserved' }]);
    subnetSpec
      .given([small, ...r])
      .when(reserve(['10.0.1.2'], NODE, 'i2'))
      .thenThrows('IllegalTransition');
    for (const ip of ['10.0.1.0', '10.0.1.1', '10.0.1.7', '10.0.2.2'])
      subnetSpec
        .given([small])
        .when(reserve([ip]))
        .thenThrows('InvalidIp');
  });

  it('a bind outcome marks only the addresses this intent reserved; freeing leaves primaries alone', () => {
    const given = [
      small,
      ...subnetSpec
        .given([small])
        .when(reserve(['10.0.1.2', '10.0.1.3']))
        .thenMatches([{}]),
      { type: 'PrimaryAddressTaken' as const, data: { node: NODE, eniId: 'eni-aaaa0002', ip: '10.0.1.4' } },
    ];
    subnetSpec
      .given(given)
      .when(
        cmd({ type: 'MarkAddressesBound', intentId: 'other', node: NODE, eniId: 'eni-aaaa0001', ips: ['10.0.1.2'] }),
      )
      .thenNothingHappened();
    const s = subnetSpec
      .given(given)
      .when(
        cmd({
          type: 'MarkAddressesBound',
          intentId: 'i1',
          node: NODE,
          eniId: 'eni-aaaa0001',
          ips: ['10.0.1.2', '10.0.1.3'],
        }),
      )
      .state();
    expect(s.addresses['10.0.1.2']?.status).toBe('bound');
    subnetSpec
      .given(given)
      .when(
        cmd({ type: 'FreeAddresses', intentId: 'x', node: NODE, eniId: 'eni-aaaa0002', ips: ['10.0.1.4'], why: 'x' }),
      )
      .thenNothingHappened();
    const freed = subnetSpec
      .given(given)
      .when(
        cmd({
          type: 'FreeAddresses',
          intentId: 'i1',
          node: NODE,
          eniId: 'eni-aaaa0001',
          ips: ['10.0.1.2'],
          why: 'bind failed',
        }),
      )
      .state();
    expect(freed.addresses['10.0.1.2']).toBeUndefined();
  });

  it('primary addresses are taken and freed by ENI', () => {
    const take = cmd({ type: 'TakePrimaryAddress', node: NODE, eniId: 'eni-aaaa0001', ip: '10.0.1.5' });
    const t = subnetSpec
      .given([small])
      .when(take)
      .thenMatches([{ type: 'PrimaryAddressTaken' }]);
    subnetSpec
      .given([small, ...t])
      .when(take)
      .thenNothingHappened();
    subnetSpec
      .given([small, ...t])
      .when(cmd({ type: 'FreePrimaryAddress', node: NODE, eniId: 'eni-aaaa0002', ip: '10.0.1.5' }))
      .thenNothingHappened();
    subnetSpec
      .given([small, ...t])
      .when(cmd({ type: 'FreePrimaryAddress', node: NODE, eniId: 'eni-aaaa0001', ip: '10.0.1.5' }))
      .thenMatches([{ type: 'PrimaryAddressFreed' }]);
    subnetSpec
      .given([small])
      .when(cmd({ type: 'TakePrimaryAddress', node: NODE, eniId: 'eni-aaaa0001', ip: '10.0.9.5' }))
      .thenThrows('InvalidIp');
  });

  it('commands on an unregistered subnet are refused', () =>
    subnetSpec
      .given([])
      .when(reserve(['10.0.1.2']))
      .thenThrows('InvalidInput'));
});

describe('subnet decider: on-demand quota (DESIGN 1.1)', () => {
  it("each new node's ENI IP quota is reserved in the pool; other nodes cannot take it", () => {
    const q = subnetSpec
      .given([small])
      .when(cmd({ type: 'ReserveQuota', node: 'node-b', count: 4 }))
      .thenEvents([{ type: 'QuotaReserved', data: { node: 'node-b', count: 4 } }]);
    subnetSpec
      .given([small, ...q])
      .when(reserve(['10.0.1.2', '10.0.1.3']))
      .thenThrows('SubnetExhausted');
    subnetSpec
      .given([small, ...q])
      .when(reserve(['10.0.1.2']))
      .thenMatches([{ type: 'AddressesReserved' }]);
    subnetSpec
      .given([small, ...q])
      .when(reserve(['10.0.1.2', '10.0.1.3'], 'node-b'))
      .thenMatches([{ type: 'AddressesReserved' }]);
    subnetSpec
      .given([small, ...q])
      .when(cmd({ type: 'ReserveQuota', node: NODE, count: 2 }))
      .thenThrows('SubnetExhausted');
    subnetSpec
      .given([small, ...q])
      .when(cmd({ type: 'ReserveQuota', node: 'node-b', count: 4 }))
      .thenNothingHappened();
    subnetSpec
      .given([small, ...q])
      .when(cmd({ type: 'ReleaseQuota', node: 'node-b' }))
      .thenMatches([{ type: 'QuotaReleased', data: { count: 4 } }]);
    subnetSpec
      .given([small])
      .when(cmd({ type: 'ReleaseQuota', node: 'node-b' }))
      .thenNothingHappened();
  });
});

describe('subnet decider: claims (DESIGN 1.1 static IP)', () => {
  const web0 = pod('web-0');
  const created = {
    type: 'ClaimCreated' as const,
    data: { pod: web0, ip: '10.0.1.3', policy: 'Never' as const, node: NODE },
  };
  const release = (n = 2) =>
    cmd({ type: 'ReleaseClaim', pod: web0, claimExpiryMs: 600_000 }, n, Date.UTC(2026, 0, 1, 0, 0, 0));

  it('a claimed address is not reserved for anyone else', () => {
    subnetSpec
      .given([small, created])
      .when(reserve(['10.0.1.3']))
      .thenThrows('ClaimConflict');
    subnetSpec
      .given([small, created])
      .when({ ...(reserve(['10.0.1.3']) as object), forPod: 'default/web-0' } as SubnetCommand)
      .thenMatches([{}]);
  });

  it('a pod claims one address and an address one pod', () => {
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'CreateClaim', pod: web0, ip: '10.0.1.3', policy: 'Never', node: NODE }))
      .thenNothingHappened();
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'CreateClaim', pod: web0, ip: '10.0.1.4', policy: 'Never', node: NODE }))
      .thenThrows('ClaimConflict');
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'CreateClaim', pod: pod('web-1'), ip: '10.0.1.3', policy: 'Never', node: NODE }))
      .thenThrows('ClaimConflict');
    subnetSpec
      .given([small])
      .when(cmd({ type: 'CreateClaim', pod: web0, ip: '10.0.1.7', policy: 'Never', node: NODE }))
      .thenThrows('InvalidIp');
  });

  it('policy Never: the claim is retained with the configured expiry when the pod goes', () =>
    subnetSpec
      .given([small, created])
      .when(release())
      .thenEvents([
        { type: 'ClaimRetained', data: { pod: web0, ip: '10.0.1.3', expiresAt: '2026-01-01T00:10:00.000Z' } },
      ]));

  it('policy Never without claim expiry: retained forever', () =>
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'ReleaseClaim', pod: web0, claimExpiryMs: null }))
      .thenEvents([{ type: 'ClaimRetained', data: { pod: web0, ip: '10.0.1.3' } }]));

  it('policy Immediate: the claim is dropped with the pod', () =>
    subnetSpec
      .given([small, { ...created, data: { ...created.data, policy: 'Immediate' } }])
      .when(release())
      .thenMatches([{ type: 'ClaimDeleted', data: { ip: '10.0.1.3' } }]));

  it('--claim-expired-duration: a kept claim whose pod is gone expires after it, not before', () => {
    const retained = subnetSpec.given([small, created]).when(release()).thenMatches([{}]);
    const given = [small, created, ...retained];
    subnetSpec
      .given(given)
      .when(cmd({ type: 'ExpireClaims' }, 3, Date.UTC(2026, 0, 1, 0, 9, 59)))
      .thenNothingHappened();
    subnetSpec
      .given(given)
      .when(cmd({ type: 'ExpireClaims' }, 3, Date.UTC(2026, 0, 1, 0, 10, 0)))
      .thenEvents([{ type: 'ClaimExpired', data: { pod: web0, ip: '10.0.1.3' } }]);
    subnetSpec.given(given).when(release(4)).thenNothingHappened();
  });

  it('a pod that comes back reuses its retained claim, which stops expiring', () => {
    const retained = subnetSpec.given([small, created]).when(release()).thenMatches([{}]);
    const s = subnetSpec
      .given([small, created, ...retained])
      .when(cmd({ type: 'ReuseClaim', pod: web0, node: 'node-b' }, 3))
      .state();
    expect(s.claims['default/web-0']).toEqual({
      pod: web0,
      ip: '10.0.1.3',
      policy: 'Never',
      node: 'node-b',
      state: 'active',
    });
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'ReuseClaim', pod: web0, node: NODE }))
      .thenNothingHappened();
  });

  it('an operator deletes a claim', () => {
    subnetSpec
      .given([small, created])
      .when(cmd({ type: 'DeleteClaim', pod: web0, why: 'ipamctl' }))
      .thenMatches([{ type: 'ClaimDeleted' }]);
    subnetSpec
      .given([small])
      .when(cmd({ type: 'DeleteClaim', pod: web0, why: 'ipamctl' }))
      .thenNothingHappened();
  });

  it.each([
    { name: 'malformed subnet id', c: { type: 'ExpireClaims', subnetId: 'subnet-XYZ' }, code: 'InvalidSubnetId' },
    {
      name: 'unknown policy',
      c: { type: 'CreateClaim', pod: web0, ip: '10.0.1.3', policy: 'Sometimes', node: NODE },
      code: 'InvalidInput',
    },
    {
      name: 'malformed CIDR',
      c: { type: 'RegisterSubnet', vpcId: VPC, cidr: '10.0.1.1/24', zone: 'z' },
      code: 'InvalidCidr',
    },
    { name: 'unknown command', c: { type: 'Explode' }, code: 'UnknownCommand' },
  ])('bad input: $name -> $code', ({ c, code }) =>
    subnetSpec
      .given([small])
      .when(cmd(c))
      .thenThrows(code as never));
});
