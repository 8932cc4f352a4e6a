import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNonceStore, type UsedNonces } from './nonces';

/** The uses table in memory (the PostgreSQL one is test/integration/acme-nonces.test.ts's). */
function memoryUses(): UsedNonces & { readonly ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    async markUsed(id) {
      const k = Buffer.from(id).toString('hex');
      if (ids.has(k)) return false;
      ids.add(k);
      return true;
    },
    async prune() {},
  };
}

const key = new Uint8Array(randomBytes(32));

describe('RFC 8555 §6.5 anti-replay nonces, HMAC-bound', () => {
  it('accepts an issued nonce exactly once, and issuing stores nothing', async () => {
    const used = memoryUses();
    const store = createNonceStore({ key, used });
    const n = store.issue();
    expect(n).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(used.ids.size).toBe(0);
    expect(await store.consume(n)).toBe(true);
    expect(await store.consume(n)).toBe(false);
  });

  it('another process with the same key accepts it; one with another key does not', async () => {
    const used = memoryUses();
    const n = createNonceStore({ key, used }).issue();
    expect(await createNonceStore({ key: new Uint8Array(randomBytes(32)), used }).consume(n)).toBe(false);
    expect(await createNonceStore({ key, used }).consume(n)).toBe(true);
  });

  it.each([
    ['never issued', () => 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['a forged MAC', (n: string) => `${n.slice(0, -2)}${n.endsWith('AA') ? 'AB' : 'AA'}`],
    ['a non-canonical base64url spelling', (n: string) => `${n}=`],
  ])('refuses a nonce: %s, and records nothing', async (_n, forge) => {
    const used = memoryUses();
    const store = createNonceStore({ key, used });
    expect(await store.consume(forge(store.issue()))).toBe(false);
    expect(used.ids.size).toBe(0);
  });

  it('refuses an expired nonce', async () => {
    let t = 1_000_000;
    const store = createNonceStore({ key, used: memoryUses(), ttlMs: 1000, clock: () => t });
    const n = store.issue();
    t += 1000;
    expect(await store.consume(n)).toBe(false);
  });
});
