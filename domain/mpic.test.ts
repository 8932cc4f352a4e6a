import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import type { CaaCheckResult } from './caa';
import {
  describeQuorum,
  evaluateQuorum,
  primaryRefusedCaa,
  roundUndecided,
  type PerspectiveCaaResult,
  type PerspectiveOutcome,
  type PerspectiveResult,
} from './mpic';
import { policyAt } from './policy';

const p = (perspective: string, region: string, outcome: PerspectiveOutcome = 'corroborates'): PerspectiveResult => ({
  perspective,
  region,
  outcome,
  detail: outcome === 'corroborates' ? 'random value found' : 'no matching TXT',
});
const primary = p('primary', 'APNIC');
const regions = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC', 'ARIN', 'RIPE'];
const remotes = (n: number, bad: number, outcome: PerspectiveOutcome = 'disagrees') =>
  Array.from({ length: n }, (_, i) => p(`r${i}`, regions[i]!, i < bad ? outcome : 'corroborates'));

const NOW = new Date('2026-11-26T00:00:00Z'); // 4 remotes, 1 non-corroborating
const DEC = new Date('2026-12-15T00:00:00Z'); // 5 remotes, 1 (2 with ≥ 6)

describe('BR 3.2.2.9 quorum on both sides of 2026-12-15', () => {
  it.each([
    ['now: 4 remotes, all corroborate', NOW, remotes(4, 0), true],
    ['now: 4 remotes, one lies', NOW, remotes(4, 1), true],
    ['now: 4 remotes, two lie', NOW, remotes(4, 2), false],
    ['now: 3 remotes are too few (fail closed)', NOW, remotes(3, 0), false],
    ['now: an unreachable perspective is non-corroborating', NOW, remotes(4, 2, 'error'), false],
    ['2026-12-15: 4 remotes are too few', DEC, remotes(4, 0), false],
    ['2026-12-15: 5 remotes, one lies', DEC, remotes(5, 1), true],
    ['2026-12-15: 5 remotes, two lie', DEC, remotes(5, 2), false],
    ['2026-12-15: 6 remotes, two lie (allowed with ≥ 6)', DEC, remotes(6, 2), true],
    ['2026-12-15: 6 remotes, three lie', DEC, remotes(6, 3), false],
    ['2026-12-14: 6 remotes, two lie is still too many', new Date('2026-12-14T23:59:59Z'), remotes(6, 2), false],
  ])('%s', (_rule, at, rs, passed) => {
    const q = evaluateQuorum(policyAt(at), primary, rs);
    expect(q.passed).toBe(passed);
    expect(q.rule).toBe('BR 3.2.2.9');
  });

  it('the primary must succeed itself', () => {
    expect(evaluateQuorum(policyAt(NOW), p('primary', 'APNIC', 'disagrees'), remotes(5, 0)).passed).toBe(false);
  });

  it('corroborating perspectives must span 2 RIR regions (from 2026-03-15), 1 before', () => {
    const sameRegion = Array.from({ length: 4 }, (_, i) => p(`r${i}`, 'ARIN'));
    expect(evaluateQuorum(policyAt(NOW), primary, sameRegion)).toMatchObject({ passed: false, corroboratingRegions: ['ARIN'] });
    expect(evaluateQuorum(policyAt(new Date('2025-12-01T00:00:00Z')), primary, sameRegion.slice(0, 2)).passed).toBe(true);
  });

  it('before 2025-09-15 a failed quorum is recorded but does not block', () => {
    const q = evaluateQuorum(policyAt(new Date('2025-06-01T00:00:00Z')), primary, remotes(2, 2));
    expect(q).toMatchObject({ passed: true, enforced: false });
    expect(q.reason).toMatch(/did not corroborate/);
  });

  it('the description lists every perspective with its result', () => {
    const q = evaluateQuorum(policyAt(NOW), primary, remotes(4, 2));
    const text = describeQuorum(q);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toContain('r0 (ARIN): disagrees');
    expect(text).toContain('r3 (LACNIC): corroborates');
  });
});

describe('a failed round that decided nothing is run again (unreachable perspectives, failed lookups)', () => {
  const round = ({ primaryOutcome = 'corroborates', rs }: { primaryOutcome?: PerspectiveOutcome; rs: PerspectiveResult[] }) =>
    roundUndecided(evaluateQuorum(policyAt(NOW), p('primary', 'APNIC', primaryOutcome), rs));
  itGivesEach(round, [
    ['BR 3.2.2.9: a passing round is decided', { rs: remotes(4, 1, 'error') }, false],
    ['BR 3.2.2.9: every remote unreachable (a whole-CA restart) decided nothing', { rs: remotes(5, 5, 'error') }, true],
    ['BR 3.2.2.9: two unreachable, the others corroborate: undecided', { rs: remotes(5, 2, 'error') }, true],
    ['BR 3.2.2.9: one disagrees and two are unreachable: the "no" stands', { rs: [p('r0', 'ARIN', 'disagrees'), ...remotes(4, 2, 'error').slice(1)] }, false],
    ['BR 3.2.2.9: too few perspectives configured, all corroborating: nothing to wait for', { rs: remotes(3, 0) }, false],
    ['BR 3.2.2.8: the primary could not look CAA up: undecided', { primaryOutcome: 'error', rs: remotes(5, 0) }, true],
    ['BR 3.2.2.8: the primary found CAA forbidding issuance: decided', { primaryOutcome: 'disagrees', rs: remotes(5, 0) }, false],
  ]);
});

describe('a failed CAA round is CAA\'s refusal only when the primary decided', () => {
  const caaDecision = { permitted: false, rule: 'BR 3.2.2.8', reason: 'lookup failed' } as unknown as CaaCheckResult;
  const primaryCaa = (outcome: PerspectiveOutcome, caa: CaaCheckResult | null): PerspectiveCaaResult => ({
    ...p('primary', 'APNIC', outcome),
    resolver: '127.0.0.1:53',
    query: 'CAA example.jp',
    authorizationDomainName: 'example.jp',
    raw: null,
    checkedAt: NOW.toISOString(),
    caa,
  });
  itGivesEach(primaryRefusedCaa, [
    ['BR 3.2.2.8: a CAA record set forbids issuance', primaryCaa('disagrees', caaDecision), true],
    ['BR 3.2.2.8: a failed lookup is never permission', primaryCaa('error', caaDecision), true],
    ['BR 3.2.2.9: a primary that could not be reached refused nothing', primaryCaa('error', null), false],
    ['BR 3.2.2.8: permission', primaryCaa('corroborates', { ...caaDecision, permitted: true }), false],
  ]);
});
