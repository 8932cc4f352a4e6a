import { describe, expect, it } from 'vitest';
import { ctRequirement, evaluateCtPolicy, lifetimeDays, type CollectedSct } from './ct-policy';
import { policyAt } from './policy';

const now = new Date('2026-11-26T00:00:00Z');
const short = ctRequirement(policyAt(now), 200 - 20); // 180 days
const long = ctRequirement(policyAt(now), 200);
const sct = (logId: string, operator: string, api: CollectedSct['api'] = 'static-ct'): CollectedSct => ({ logId, operator, api });

describe('CT policy (Chrome + Apple, POLICY-2026.md)', () => {
  it('lifetime counts notAfter inclusively (RFC 5280 4.1.2.5)', () => {
    expect(lifetimeDays(new Date('2026-01-01T00:00:00Z'), new Date('2026-07-19T23:59:59Z'))).toBe(200);
  });

  it.each([
    ['lifetime ≤ 180 days needs 2 SCTs', 180, 2, 1],
    ['lifetime > 180 days needs 3 SCTs', 180.5, 3, 2],
  ])('%s', (_n, days, scts, perOperator) => {
    const req = ctRequirement(policyAt(now), days);
    expect(req.minScts).toBe(scts);
    expect(req.maxCountedPerOperator).toBe(perOperator);
    expect(req.minOperators).toBe(2);
    expect(req.minRfc6962).toBe(1);
  });

  it.each([
    ['Chrome: two operators, two SCTs, one RFC 6962 log → met (≤ 180 d)', short, [sct('a', 'A', 'rfc6962'), sct('b', 'B')], true],
    ['Chrome: two SCTs from ONE operator → not met', short, [sct('a', 'A', 'rfc6962'), sct('a2', 'A')], false],
    ['Apple: no RFC 6962 log → not met', short, [sct('a', 'A'), sct('b', 'B')], false],
    ['Apple: at most 1 per operator counts (≤ 180 d): 3 from A + 0 from B → not met', short, [sct('a', 'A', 'rfc6962'), sct('a2', 'A'), sct('a3', 'A')], false],
    ['long lifetime: 2 SCTs from 2 operators → not met (needs 3)', long, [sct('a', 'A', 'rfc6962'), sct('b', 'B')], false],
    ['long lifetime: 2 from A + 1 from B → met (2 per operator count)', long, [sct('a', 'A', 'rfc6962'), sct('a2', 'A'), sct('b', 'B')], true],
    ['long lifetime: 3 from A + 1 from B → met (A counts 2, B 1)', long, [sct('a', 'A', 'rfc6962'), sct('a2', 'A'), sct('a3', 'A'), sct('b', 'B')], true],
    ['the same log twice counts once', short, [sct('a', 'A', 'rfc6962'), sct('a', 'A', 'rfc6962')], false],
  ])('%s', (_n, req, scts, met) => {
    const e = evaluateCtPolicy(req, scts);
    expect(e.met).toBe(met);
    expect(e.missing === '').toBe(met);
  });
});
