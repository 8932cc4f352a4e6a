import { describe, expect, it } from 'vitest';
import { checkpointMessage } from './audit-checkpoint';

describe('checkpointMessage: the bytes a checkpoint signs', () => {
  it('is versioned text any verifier can rebuild: sequence, hash (hex) and time (ISO 8601 UTC, ms)', () => {
    const hash = Uint8Array.from({ length: 32 }, (_, i) => i);
    const text = new TextDecoder().decode(checkpointMessage({ sequence: 42, hash }, new Date('2026-11-29T04:00:00.123Z')));
    expect(text).toBe(
      'jprs-ca audit checkpoint v1\nsequence 42\nhash 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\nsigned-at 2026-11-29T04:00:00.123Z\n',
    );
  });

  it.each([
    ['a sequence that is not a positive integer', { sequence: 0, hash: new Uint8Array(32) }],
    ['a hash that is not SHA-256 sized', { sequence: 1, hash: new Uint8Array(20) }],
  ])('refuses %s', (_what, head) => {
    expect(() => checkpointMessage(head, new Date())).toThrow(RangeError);
  });
});
