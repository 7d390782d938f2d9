import { isIpamError } from '@eni-ipam/core';
import { describe, expect, it } from 'vitest';
import { type SubscriptionState, subscriptionTransition } from './etcd-subscription.js';
import { type LeadershipEvent, type LeadershipState, leadershipTransition } from './leader-election.js';

const illegal = (f: () => unknown): boolean => {
  try {
    f();
    return false;
  } catch (e) {
    return isIpamError(e, 'IllegalTransition');
  }
};

describe('subscription state machine', () => {
  it.each([
    { from: 'catching-up', on: 'caught-up', to: 'watching' },
    { from: 'watching', on: 'broken', to: 'reconnecting' },
    { from: 'watching', on: 'compacted', to: 'catching-up' },
    { from: 'reconnecting', on: 'backoff-elapsed', to: 'watching' },
    { from: 'watching', on: 'error', to: 'failed' },
    { from: 'catching-up', on: 'close', to: 'closed' },
    { from: 'closed', on: 'broken', to: 'closed' },
    { from: 'failed', on: 'close', to: 'failed' },
  ] as const)('$from --$on--> $to', ({ from, on, to }) => {
    expect(subscriptionTransition(from as SubscriptionState, on)).toBe(to);
  });
  it.each([
    { from: 'catching-up', on: 'broken' },
    { from: 'reconnecting', on: 'caught-up' },
    { from: 'watching', on: 'backoff-elapsed' },
  ] as const)('$on in $from is illegal', ({ from, on }) => {
    expect(illegal(() => subscriptionTransition(from, on))).toBe(true);
  });
});

describe('leadership state machine', () => {
  const states: LeadershipState[] = ['idle', 'campaigning', 'leader', 'lost', 'resigned'];
  const events: LeadershipEvent[] = ['campaign', 'elected', 'lease-lost', 'key-gone', 'resign'];
  const table: Record<LeadershipState, Partial<Record<LeadershipEvent, LeadershipState>>> = {
    idle: { campaign: 'campaigning', resign: 'idle' },
    campaigning: { elected: 'leader', 'lease-lost': 'lost', resign: 'resigned' },
    leader: { 'lease-lost': 'lost', 'key-gone': 'lost', resign: 'resigned' },
    lost: { campaign: 'campaigning', resign: 'lost' },
    resigned: { campaign: 'campaigning', resign: 'resigned' },
  };
  for (const from of states) {
    for (const on of events) {
      const to = table[from][on];
      it(`${from} --${on}--> ${to ?? 'illegal'}`, () => {
        if (to) expect(leadershipTransition(from, on)).toBe(to);
        else expect(illegal(() => leadershipTransition(from, on))).toBe(true);
      });
    }
  }
});
