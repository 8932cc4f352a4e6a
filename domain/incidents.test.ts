import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { incidentReport } from './incident-report';
import { checkIncidentCriteria, deadlineAlarmAt, incidentDeadline, incidentReason, revocationPace, type IncidentCriteria } from './incidents';

const detectedAt = new Date('2026-11-26T00:00:00Z');
const HOUR = 3_600_000;

describe('incident deadlines (BR 4.9.1.1; CP 4.9.1)', () => {
  itGivesEach((input: { reason: number; caKeyCompromise?: boolean }) => (incidentDeadline(input, detectedAt).deadline.getTime() - detectedAt.getTime()) / HOUR, [
    ['BR 4.9.1.1 (3): keyCompromise within 24 hours', { reason: 1 }, 24],
    ['BR 4.9.1.1: the CA’s own finding (superseded) within 5 days', { reason: 4 }, 120],
    ['BR 4.9.1.1: privilegeWithdrawn (breach of terms) within 5 days', { reason: 9 }, 120],
    ['CP 4.9.1: the CA key is compromised — every certificate within 24 hours', { reason: 0, caKeyCompromise: true }, 24],
  ]);

  it('raises the deadline-at-risk alarm a tenth of the window before the deadline, at least an hour before', () => {
    const fiveDays = incidentDeadline({ reason: 4 }, detectedAt).deadline;
    expect((fiveDays.getTime() - deadlineAlarmAt(detectedAt, fiveDays).getTime()) / HOUR).toBe(12);
    const day = incidentDeadline({ reason: 1 }, detectedAt).deadline;
    expect((day.getTime() - deadlineAlarmAt(detectedAt, day).getTime()) / HOUR).toBeCloseTo(2.4);
    const short = new Date(detectedAt.getTime() + 2 * HOUR);
    expect((short.getTime() - deadlineAlarmAt(detectedAt, short).getTime()) / HOUR).toBe(1);
  });

  itGivesEach((input: string | number | undefined) => incidentReason(input), [
    ['CP 7.2.3: an incident revokes as superseded unless told otherwise', undefined, 4],
    ['CP 7.2.3: by name', 'keyCompromise', 1],
    ['BR 7.2.2: the CA may withdraw privileges', 'privilegeWithdrawn', 9],
    ['RFC 5280: by code', '5', 5],
  ]);

  it('refuses certificateHold and unknown reasons (CP 4.9.13, 7.2.3)', () => {
    expect(() => incidentReason('certificateHold')).toThrow(/CP 7.2.3/);
    expect(() => incidentReason(6)).toThrow(/CP 7.2.3/);
  });
});

describe('incident criteria select something definite', () => {
  it.each<[string, IncidentCriteria, RegExp | null]>([
    ['no criterion would select everything', {}, /at least one selection criterion/],
    ['a CA key compromise names its issuer only', { caKeyCompromise: true, issuerId: 'dv', issuedFrom: '2026-01-01T00:00:00Z' }, /issuer only/],
    ['a CA key compromise without an issuer', { caKeyCompromise: true }, /at least one|issuer only/],
    ['a bad instant', { issuedFrom: 'yesterday' }, /ISO-8601/],
    ['a bad public key hash', { spkiSha256Hex: 'AB' }, /64 lowercase hex/],
    ['an empty serial list', { serials: [] }, /empty/],
    ['an issuer and a time range', { issuerId: 'dv', issuedFrom: '2026-01-01T00:00:00Z', issuedTo: '2026-02-01T00:00:00Z' }, null],
    ['a lint that now fails', { lint: { linter: 'zlint', code: 'e_sub_cert_aia_missing' } }, null],
    ['a CA key compromise', { caKeyCompromise: true, issuerId: 'dv' }, null],
  ])('%s', (_rule, criteria, refused) => {
    if (refused) expect(() => checkIncidentCriteria(criteria)).toThrow(refused);
    else expect(() => checkIncidentCriteria(criteria)).not.toThrow();
  });
});

describe('revocation pace: the configured rate, unless the deadline needs more', () => {
  const now = detectedAt;
  it('revokes in batches of about five seconds at the configured rate', () => {
    const pace = revocationPace({ ratePerSecond: 10, remaining: 300, now, finishBy: new Date(now.getTime() + 100 * HOUR) });
    expect(pace).toEqual({ batchSize: 50, intervalMs: 5000, ratePerSecond: 10, raised: false });
  });
  it('uses batches of one below one certificate per five seconds', () => {
    expect(revocationPace({ ratePerSecond: 0.1, remaining: 3, now, finishBy: new Date(now.getTime() + HOUR) })).toMatchObject({ batchSize: 1, intervalMs: 10_000 });
  });
  it('raises the rate when the configured one would end after the deadline (BR 4.9.1.1 outranks the throttle)', () => {
    const pace = revocationPace({ ratePerSecond: 1, remaining: 7200, now, finishBy: new Date(now.getTime() + HOUR) });
    expect(pace.raised).toBe(true);
    expect(pace.ratePerSecond).toBe(2);
    expect(pace.batchSize / (pace.intervalMs / 1000)).toBeCloseTo(2);
  });
  it('refuses a rate that is not positive', () => {
    expect(() => revocationPace({ ratePerSecond: 0, remaining: 1, now, finishBy: now })).toThrow(/positive/);
  });
});

describe('the incident report has the CCADB sections, filled with recorded facts only', () => {
  const report = incidentReport({
    incident: {
      id: 'i-1',
      title: 'Wrong OCSP URL',
      reason: 4,
      cause: null,
      criteria: { issuerId: 'dv', issuedFrom: '2026-11-01T00:00:00Z' },
      detectedAt,
      deadline: new Date(detectedAt.getTime() + 120 * HOUR),
      deadlineRule: 'BR 4.9.1.1 (second list)',
      ratePerSecond: 5,
      createdBy: 'operator:alice',
      alarmRaisedAt: null,
    },
    completedAt: new Date(detectedAt.getTime() + 3 * HOUR),
    counts: { selected: 3, revoked: 2, skipped: 1 },
    byIssuer: [{ issuerId: 'dv', certificates: 3 }],
    issuedBetween: { first: new Date('2026-11-02T00:00:00Z'), last: new Date('2026-11-20T00:00:00Z') },
    lastRevokedAt: new Date(detectedAt.getTime() + 2 * HOUR),
    accountsNotified: 2,
    timeline: [{ at: detectedAt, event: 'incident.created', actor: 'operator:alice', detail: {} }],
    crls: [{ issuerId: 'dv', crlNumber: '7', thisUpdate: '2026-11-26T02:00:00.000Z' }],
    serials: ['1a', '2b', '3c'],
  });
  it('has every section of the CCADB guidelines', () => {
    for (const heading of ['Summary', 'Impact', 'Timeline', 'Related Incidents', 'Root Cause Analysis', 'Lessons Learned', 'Action Items', 'Appendix']) {
      expect(report.markdown).toContain(`## ${heading}`);
    }
  });
  it('states the counts, the deadline and whether it was met, and marks what only people know', () => {
    expect(report.impact).toMatchObject({ totalCertificates: 3, revoked: 2, skipped: 1, remainingValid: 0, deadlineMet: true });
    expect(report.markdown).toContain('— met');
    expect(report.markdown).toContain('(to be completed by the operators)');
    expect(report.markdown).toContain('- 2b');
  });
});
