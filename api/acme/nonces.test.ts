import { describe, expect, it } from 'vitest';
import { createNonceStore } from './nonces';

describe('RFC 8555 §6.5 anti-replay nonces', () => {
  it('accepts an issued nonce exactly once', () => {
    const store = createNonceStore();
    const n = store.issue();
    expect(n).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 bits, base64url (§6.5.1)
    expect(store.consume(n)).toBe(true);
    expect(store.consume(n)).toBe(false);
  });

  it('refuses nonces it never issued', () => {
    expect(createNonceStore().consume('AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });

  it('refuses an expired nonce', () => {
    let t = 0;
    const store = createNonceStore({ ttlMs: 1000, clock: () => t });
    const n = store.issue();
    t = 1000;
    expect(store.consume(n)).toBe(false);
  });

  it('forgets the oldest nonces first when full (bounded memory)', () => {
    const store = createNonceStore({ maxEntries: 3 });
    const first = store.issue();
    const rest = [store.issue(), store.issue(), store.issue()];
    expect(store.size).toBe(3);
    expect(store.consume(first)).toBe(false);
    for (const n of rest) expect(store.consume(n)).toBe(true);
  });
});
