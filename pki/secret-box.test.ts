import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './secret-box';

const key = new Uint8Array(randomBytes(32));
const secret = new Uint8Array(randomBytes(32));

describe('secrets at rest (AES-256-GCM, bound to what they are for)', () => {
  it('opens what it sealed, and the sealed form does not contain the secret', () => {
    const sealed = sealSecret(key, secret, 'eab:k1');
    expect(Buffer.from(sealed).includes(Buffer.from(secret))).toBe(false);
    expect(openSecret(key, sealed, 'eab:k1')).toEqual(secret);
  });

  it.each([
    ['another key', () => openSecret(new Uint8Array(randomBytes(32)), sealSecret(key, secret, 'eab:k1'), 'eab:k1')],
    ['another associated data (a value copied to another row)', () => openSecret(key, sealSecret(key, secret, 'eab:k1'), 'eab:k2')],
    ['an altered byte', () => {
      const sealed = sealSecret(key, secret, 'eab:k1');
      sealed[20]! ^= 1;
      return openSecret(key, sealed, 'eab:k1');
    }],
  ])('refuses %s', (_n, open) => {
    expect(open).toThrow(expect.objectContaining({ kind: 'invariantViolated' }));
  });
});
