import { describe, expect, it } from 'vitest';
import {
  defaultOcspTiming,
  ocspRefreshDue,
  ocspResponderRenewalDue,
  ocspResponseWindow,
  ocspTimingViolations,
  type OcspTiming,
} from './ocsp';

const H = 3600;
const D = 24 * H;
const t = (over: Partial<OcspTiming>): OcspTiming => ({ ...defaultOcspTiming, ...over });

describe('OCSP timing (BR 4.9.10, POLICY-2026 OCSP, CP 7.3)', () => {
  it('the defaults satisfy every rule', () => {
    expect(ocspTimingViolations(defaultOcspTiming)).toEqual([]);
  });

  it.each([
    ['validity below 8 hours', t({ responseValiditySeconds: 8 * H - 1, refreshAfterSeconds: 1, scheduleIntervalSeconds: 1 }), /at least 8 hours/],
    ['validity above 10 days', t({ responseValiditySeconds: 10 * D + 1, responderValiditySeconds: 20 * D, responderRenewBeforeSeconds: 11 * D }), /at most 10 days/],
    ['refresh later than 4 days after thisUpdate', t({ responseValiditySeconds: 10 * D, refreshAfterSeconds: 4 * D, responderValiditySeconds: 20 * D, responderRenewBeforeSeconds: 11 * D }), /within 4 days/],
    ['refresh less than 8 hours before nextUpdate', t({ refreshAfterSeconds: 40 * H }), /at least 8 hours before nextUpdate/],
    ['the schedule interval eats the 8-hour margin', t({ scheduleIntervalSeconds: 16 * H + 1 }), /at least 8 hours before nextUpdate/],
    ['renewal margin not below the responder validity', t({ responderRenewBeforeSeconds: 4 * D }), /renewBefore < responder validity/],
    ['a response could outlive its responder certificate', t({ responderRenewBeforeSeconds: 48 * H }), /nextUpdate ≤ responder notAfter/],
    ['a non-positive value', t({ scheduleIntervalSeconds: 0 }), /positive/],
  ])('refuses %s', (_name, timing, pattern) => {
    const v = ocspTimingViolations(timing);
    expect(v.length).toBeGreaterThan(0);
    expect(v.join('\n')).toMatch(pattern);
  });

  it('accepts the extremes the policy allows: 10-day responses refreshed after 3 days (hourly schedule)', () => {
    expect(ocspTimingViolations(t({ responseValiditySeconds: 10 * D, refreshAfterSeconds: 3 * D, responderValiditySeconds: 20 * D, responderRenewBeforeSeconds: 11 * D }))).toEqual([]);
  });
});

describe('response window and due times', () => {
  const now = new Date('2026-11-26T10:20:30.789Z');

  it('thisUpdate is now to the whole second; nextUpdate is thisUpdate + validity', () => {
    const w = ocspResponseWindow(now, defaultOcspTiming);
    expect(w.thisUpdate.toISOString()).toBe('2026-11-26T10:20:30.000Z');
    expect(w.nextUpdate.getTime() - w.thisUpdate.getTime()).toBe(defaultOcspTiming.responseValiditySeconds * 1000);
  });

  it.each([
    ['just produced', 0, false],
    ['one second before refreshAfter', defaultOcspTiming.refreshAfterSeconds - 1, false],
    ['exactly refreshAfter old', defaultOcspTiming.refreshAfterSeconds, true],
  ])('refresh due when %s', (_n, ageSeconds, due) => {
    expect(ocspRefreshDue(new Date(now.getTime() - ageSeconds * 1000), now, defaultOcspTiming)).toBe(due);
  });

  it.each([
    ['a fresh responder (4 days left)', 96 * H, false],
    ['exactly renewBefore left', defaultOcspTiming.responderRenewBeforeSeconds, false],
    ['one second less than renewBefore left', defaultOcspTiming.responderRenewBeforeSeconds - 1, true],
    ['an expired responder', -1, true],
  ])('responder renewal due for %s', (_n, leftSeconds, due) => {
    expect(ocspResponderRenewalDue(new Date(now.getTime() + leftSeconds * 1000), now, defaultOcspTiming)).toBe(due);
  });
});
