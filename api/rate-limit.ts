/**
 * Request rate limits of the public, unauthenticated endpoints (POST /key-compromise): a token bucket per client
 * and one for everyone, in this process's memory. A client is its IPv4 address or its IPv6 /64 (one subscriber
 * line gets a whole /64). Over the limit: 429 `rateLimited` with Retry-After (RFC 6585 §4), before the body is read.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { CaError } from '../domain/errors';

/** A token bucket: `burst` requests at once, refilled at `perMinute`. */
export interface Bucket {
  readonly burst: number;
  readonly perMinute: number;
}

export interface RateLimits {
  readonly perClient: Bucket;
  readonly global: Bucket;
}

/** Buckets kept per client at most (the least recently used are forgotten, i.e. refilled, beyond it). */
const MAX_CLIENTS = 100_000;

/** A set of token buckets by key; `take` spends one token or says how long until one is back. */
export function tokenBuckets(bucket: Bucket, clock: () => number) {
  const state = new Map<string, { tokens: number; at: number }>();
  return (key: string): { ok: true } | { ok: false; retryAfterSeconds: number } => {
    const now = clock();
    const s = state.get(key) ?? { tokens: bucket.burst, at: now };
    state.delete(key);
    s.tokens = Math.min(bucket.burst, s.tokens + ((now - s.at) / 60_000) * bucket.perMinute);
    s.at = now;
    const ok = s.tokens >= 1;
    if (ok) s.tokens -= 1;
    state.set(key, s);
    if (state.size > MAX_CLIENTS) state.delete(state.keys().next().value!);
    return ok ? { ok } : { ok, retryAfterSeconds: Math.ceil(((1 - s.tokens) / bucket.perMinute) * 60) };
  };
}

/** The client a request comes from: the peer address of the connection (no proxy header is trusted). */
export function clientOf(c: Context): string {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined;
  }
  if (!address) return 'unknown';
  return address.includes(':') && !address.startsWith('::ffff:') ? ipv6Slash64(address) : address;
}

/** The /64 of an IPv6 address, its first four groups once "::" is expanded (e.g. 2001:db8:0:1::/64). */
function ipv6Slash64(address: string): string {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** Middleware: one token from the client's bucket and one from the global bucket, or 429. */
export function rateLimited(limits: RateLimits, what: string, clock: () => number = Date.now): MiddlewareHandler {
  const perClient = tokenBuckets(limits.perClient, clock);
  const global = tokenBuckets(limits.global, clock);
  return async (c, next) => {
    const mine = perClient(clientOf(c));
    const all = mine.ok ? global('*') : mine;
    if (!all.ok) {
      throw new CaError('rateLimited', `too many ${what} requests; retry in ${all.retryAfterSeconds} s`, { retryAfterSeconds: all.retryAfterSeconds });
    }
    await next();
  };
}
