import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientOf, tokenBuckets } from './rate-limit';

const from = (remoteAddress: string) => ({ env: { incoming: { socket: { remoteAddress } } } }) as unknown as Context;

describe('token buckets', () => {
  it('allows the burst, then refills at the rate, per key', () => {
    let t = 0;
    const take = tokenBuckets({ burst: 2, perMinute: 6 }, () => t);
    expect([take('a').ok, take('a').ok, take('a').ok]).toEqual([true, true, false]);
    expect(take('a')).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(take('b').ok).toBe(true);
    t = 10_000;
    expect([take('a').ok, take('a').ok]).toEqual([true, false]);
  });
});

describe('the client of a request', () => {
  it.each([
    ['an IPv4 peer is its address', '198.51.100.7', '198.51.100.7'],
    ['an IPv4-mapped peer is its address', '::ffff:198.51.100.7', '::ffff:198.51.100.7'],
    ['an IPv6 peer is its /64', '2001:db8:0:1:aaaa:bbbb:cccc:dddd', '2001:db8:0:1::/64'],
    ['"::" is expanded first', '2001:db8::1', '2001:db8:0:0::/64'],
  ])('%s', (_rule, address, client) => {
    expect(clientOf(from(address))).toBe(client);
  });

  it('a request without a connection (in-process) is "unknown"', () => {
    expect(clientOf({ env: undefined } as unknown as Context)).toBe('unknown');
  });
});
