import { describe, expect, it } from 'vitest';
import { renderNotice } from './notices';
import type { Language } from './statuses';

const incident = {
  incidentId: 'inc-1',
  title: 'OCSP URL with a typo',
  reason: 4,
  deadline: '2026-12-04T03:00:00.000Z',
  certificates: 25,
  serials: ['4c1d', '4c1e'],
  baseUrl: 'https://ca.example.jp',
};
const reminder = { caId: 'dv', issuerId: 'dv-k2', reminder: 2, mustSwitchBy: '2027-05-01T00:00:00.000Z', csrSha256: 'ab'.repeat(32) };
const report = { auditId: 'audit-1', period: { from: null, to: '2027-01-01T03:00:00.000Z' }, population: 100, sampleSize: 3, flagged: ['77aa'] };

const render = (kind: string, language: Language, data: Record<string, unknown>) => renderNotice({ kind, language, data });

describe('the operator workflows’ notices: plain text in Japanese and English', () => {
  for (const language of ['ja', 'en'] as const) {
    it(`incident (${language}): the count, the reason, the deadline, the serials and how to replace them`, () => {
      const { subject, text } = render('incident', language, incident);
      expect(subject).toContain(incident.title);
      for (const needle of ['25', 'superseded', '2026-12-04 03:00:00 UTC', '4c1d', '4c1e', 'https://ca.example.jp/v1/certificates/4c1d/renewals', 'RFC 9773', 'BR 4.9.1.1']) expect(text).toContain(needle);
      expect(text).toContain(language === 'ja' ? '2026年12月4日 12:00:00 (JST)' : 'Replace them before then');
    });

    it(`key-changeover reminder (${language}): the next key, the latest switch, the CSR's hash and the commands`, () => {
      const { subject, text } = render('key-changeover-reminder', language, reminder);
      expect(subject).toContain('dv-k2');
      for (const needle of ['2027-05-01 00:00:00 UTC', reminder.csrSha256, 'npm run ca -- changeover import --ca dv', 'CP 5.6']) expect(text).toContain(needle);
    });

    it(`self-audit report (${language}): population, sample, the flagged serials and where the report is`, () => {
      const { subject, text } = render('self-audit-report', language, report);
      expect(subject).toMatch(/3/);
      for (const needle of ['100', '77aa', 'npm run admin -- self-audit show audit-1', 'BR 8.7']) expect(text).toContain(needle);
    });
  }

  it('a notice stored without what its template needs is an invariant violation, not a blank e-mail', () => {
    expect(() => render('incident', 'en', { ...incident, deadline: undefined })).toThrow(/incident notice needs deadline/);
  });
});
