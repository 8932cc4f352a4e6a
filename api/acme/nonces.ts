/**
 * Anti-replay nonces (RFC 8555 §6.5) that several ACME processes share. A nonce is
 *   base64url( issuedAt (u48, ms) ‖ random (16) ‖ HMAC-SHA256(key, issuedAt ‖ random)[0..16] )
 * with the key every ACME process of the deployment reads from the same secret file: issuing stores nothing (so no
 * client, however many nonces it asks for, can push legitimate ones out), and any process can tell its own nonces
 * from forgeries and expired ones without a lookup. Only a use is stored — in PostgreSQL, as the SHA-256 of the nonce
 * until it would have expired (db/repositories/acme-nonces.ts) — so a nonce is accepted once across all processes.
 * jws.ts consumes a nonce last, after the signature verified: an unauthenticated request stores nothing either.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client';
import { markNonceUsed, pruneUsedNonces } from '../../db/repositories/acme-nonces';

export interface NonceStore {
  /** A new nonce (base64url, 128 random bits and a MAC, §6.5.1), valid once and for `ttlMs`. */
  issue(): string;
  /** True exactly once for a nonce of this deployment that has not expired; false otherwise. */
  consume(nonce: string): Promise<boolean>;
}

/** Where uses are recorded: PostgreSQL (usedNoncesIn), or memory in unit tests. */
export interface UsedNonces {
  /** True the first time `id` is marked, false after. */
  markUsed(id: Uint8Array, expiresAt: Date): Promise<boolean>;
  prune(now: Date): Promise<unknown>;
}

export function usedNoncesIn(db: Db): UsedNonces {
  return { markUsed: (id, expiresAt) => markNonceUsed(db, id, expiresAt), prune: (now) => pruneUsedNonces(db, now) };
}

const TIME_BYTES = 6;
const RANDOM_BYTES = 16;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
/** A nonce from slightly in the future is another process's clock running ahead, not a forgery. */
const CLOCK_SKEW_MS = 60_000;
const PRUNE_EVERY_MS = 60_000;

export function createNonceStore(opts: { key: Uint8Array; used: UsedNonces; ttlMs?: number; clock?: () => number }): NonceStore {
  if (opts.key.length < 32) throw new Error('the ACME nonce key must have at least 256 bits');
  const ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
  const now = opts.clock ?? (() => Date.now());
  const mac = (body: Uint8Array) => createHmac('sha256', opts.key).update(body).digest().subarray(0, MAC_BYTES);
  let prunedAt = 0;
  return {
    issue() {
      const body = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
      body.writeUIntBE(now(), 0, TIME_BYTES);
      randomBytes(RANDOM_BYTES).copy(body, TIME_BYTES);
      return Buffer.concat([body, mac(body)]).toString('base64url');
    },
    async consume(nonce) {
      const raw = Buffer.from(nonce, 'base64url');
      if (raw.length !== NONCE_BYTES || raw.toString('base64url') !== nonce) return false;
      const body = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
      if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), mac(body))) return false;
      const issuedAt = body.readUIntBE(0, TIME_BYTES);
      const t = now();
      if (issuedAt > t + CLOCK_SKEW_MS || issuedAt + ttlMs <= t) return false;
      if (t - prunedAt > PRUNE_EVERY_MS) {
        // Housekeeping, not part of this request's answer: in the background, tried again by a later request if it
        // fails (an expired nonce is refused for its age whether or not its use is still stored).
        prunedAt = t;
        opts.used.prune(new Date(t)).catch(() => {
          prunedAt = 0;
        });
      }
      return opts.used.markUsed(new Uint8Array(createHash('sha256').update(raw).digest()), new Date(issuedAt + ttlMs));
    },
  };
}
