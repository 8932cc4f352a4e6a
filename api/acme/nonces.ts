/**
 * Anti-replay nonces (RFC 8555 §6.5): the server hands out a fresh nonce in every response's Replay-Nonce header;
 * each nonce is accepted in exactly one JWS, and only until it expires. Kept in the API process's memory: a nonce
 * has to survive nothing longer than the process (a restart invalidates them all, and clients recover from the
 * badNonce error by retrying with the fresh nonce it carries, §6.5). With several API processes behind one name,
 * nonces must be routed back to their issuer (Boulder embeds a prefix) or stored centrally — not needed here.
 */
import { randomBytes } from 'node:crypto';

export interface NonceStore {
  /** A new nonce (base64url, 128 bits from the CSPRNG, §6.5.1), valid once. */
  issue(): string;
  /** True exactly once for a nonce this store issued and that has not expired; false otherwise. */
  consume(nonce: string): boolean;
  readonly size: number;
}

export function createNonceStore(opts: { ttlMs?: number; maxEntries?: number; clock?: () => number } = {}): NonceStore {
  const ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
  const maxEntries = opts.maxEntries ?? 100_000;
  const now = opts.clock ?? (() => Date.now());
  // Insertion order = issue order, so the oldest entries are evicted first when the store is full.
  const live = new Map<string, number>();
  const sweep = (t: number) => {
    for (const [n, exp] of live) {
      if (exp > t && live.size <= maxEntries) break;
      live.delete(n);
    }
  };
  return {
    issue() {
      const t = now();
      const nonce = randomBytes(16).toString('base64url');
      live.set(nonce, t + ttlMs);
      sweep(t);
      return nonce;
    },
    consume(nonce) {
      const exp = live.get(nonce);
      if (exp === undefined) return false;
      live.delete(nonce);
      return exp > now();
    },
    get size() {
      return live.size;
    },
  };
}
