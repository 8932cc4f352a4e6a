import { describe, expect, it } from 'vitest';
import { suggestedRenewalWindow } from './ari';

const day = 86_400_000;

describe('RFC 9773 §4.2 suggested renewal window', () => {
  const notBefore = new Date('2026-11-01T00:00:00Z');
  // A 90-day certificate: notAfter inclusive, so notAfter = notBefore + 90 days - 1 s.
  const notAfter = new Date(notBefore.getTime() + 90 * day - 1000);
  const now = new Date('2026-11-10T00:00:00Z');

  it('is the middle third of the validity period for a good certificate', () => {
    const w = suggestedRenewalWindow({ notBefore, notAfter, revoked: false }, now);
    expect(w.start.toISOString()).toBe('2026-12-01T00:00:00.000Z'); // day 30
    expect(w.end.toISOString()).toBe('2026-12-31T00:00:00.000Z'); // day 60
    expect(w.start.getTime()).toBeLessThan(w.end.getTime());
  });

  it('lies entirely in the past for a revoked certificate (renew now)', () => {
    const w = suggestedRenewalWindow({ notBefore, notAfter, revoked: true }, now);
    expect(w.end.getTime()).toBeLessThan(now.getTime());
    expect(w.start.getTime()).toBeLessThan(w.end.getTime());
  });

  it('lies entirely in the past for a certificate an incident asked to replace (renewal override)', () => {
    const w = suggestedRenewalWindow({ notBefore, notAfter, revoked: false, renewNow: true }, now);
    expect(w.end.getTime()).toBeLessThan(now.getTime());
    expect(w.start.getTime()).toBeLessThan(w.end.getTime());
  });
});
