import { describe, expect, it } from 'vitest';
import { itGivesEach } from '../test/support/table';
import { sniffDocumentType } from './documents';
import type { RegistryRecord } from './nta-registry';
import { matchRegistryRecord, type OrganizationApplication } from './registry-match';
import { fourEyesRefusal, isPrefecture, vettedRecordValidAt, vettedRecordValidity } from './vetting';

const record: RegistryRecord = {
  corporateNumber: '7000012050002',
  process: '01',
  name: '株式会社　テスト商事',
  prefectureName: '東京都',
  cityName: '千代田区',
  streetNumber: '永田町１丁目１０－１',
  addressOutside: null,
  closeDate: null,
  closeCause: null,
  enName: null,
  updateDate: '2026-10-01',
};
const app: OrganizationApplication = { legalName: '（株）テスト商事', corporateNumber: '7000012050002', prefecture: '東京都', city: '千代田区', street: '永田町1丁目10番1号' };
const failed = (r: ReturnType<typeof matchRegistryRecord>) => r.checks.filter((c) => !c.passed).map((c) => c.check).join(',');

describe('matchRegistryRecord (CP 3.2.2.1: the registry confirms name and address)', () => {
  itGivesEach((x: [OrganizationApplication, RegistryRecord | null]) => failed(matchRegistryRecord(...x)), [
    ['all agree after normalisation', [app, record], ''],
    ['the number is not in the registry', [app, null], 'exists'],
    ['no legal personality: documents', [{ ...app, corporateNumber: null }, record], 'exists'],
    ['closed registration (close date)', [app, { ...record, closeDate: '2026-01-05', closeCause: '01' }], 'open'],
    ['deleted row (process 99)', [app, { ...record, process: '99' }], 'open'],
    ['後株 applied for a 前株 name', [{ ...app, legalName: 'テスト商事株式会社' }, record], 'name'],
    ['another city', [{ ...app, city: '中央区' }, record], 'city'],
    ['another street number', [{ ...app, street: '永田町1-10-2' }, record], 'street'],
  ]);

  it('keeps the registered form for the vetted record (O is never the applicant’s spelling)', () => {
    expect(matchRegistryRecord(app, record).registered).toMatchObject({ name: '株式会社　テスト商事', street: '永田町１丁目１０－１' });
  });
});

describe('fourEyesRefusal (the approver recorded no evidence for this vetting)', () => {
  itGivesEach(([approver, recorders]: [string, string[]]) => fourEyesRefusal(approver, recorders) === null, [
    ['a second person approves', ['bob', ['alice']], true],
    ['the call-back operator cannot approve', ['alice', ['alice']], false],
    ['nobody recorded anything (registry match only)', ['bob', []], true],
  ]);
});

describe('vettedRecordValidity (BR 4.2.1, POLICY-2026.md: organization data 398 days)', () => {
  it('approved after 2026-03-15: 398 days, reminder 30 days before', () => {
    const v = vettedRecordValidity(new Date('2026-11-29T00:00:00Z'));
    expect(v.days).toBe(398);
    expect(v.validUntil.toISOString()).toBe('2028-01-01T00:00:00.000Z');
    expect(v.reminderAt.toISOString()).toBe('2027-12-02T00:00:00.000Z');
  });
  it('approved before 2026-03-15: 825 days', () => {
    expect(vettedRecordValidity(new Date('2026-03-14T00:00:00Z')).days).toBe(825);
  });
  itGivesEach((now: string) => vettedRecordValidAt({ validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: new Date('2027-02-03T00:00:00Z') }, new Date(now)), [
    ['valid from the approval instant', '2026-01-01T00:00:00Z', true],
    ['not before it', '2025-12-31T23:59:59Z', false],
    ['not at the end instant (half-open)', '2027-02-03T00:00:00Z', false],
  ]);
});

describe('sniffDocumentType (documents typed by content, not by name)', () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  itGivesEach(sniffDocumentType, [
    ['PDF: %PDF-', bytes(0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37), 'application/pdf'],
    ['PNG: 8-byte signature', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'image/png'],
    ['JPEG: SOI + marker', bytes(0xff, 0xd8, 0xff, 0xe0), 'image/jpeg'],
    ['HTML named .pdf is refused', new TextEncoder().encode('<html><script>'), null],
    ['truncated PNG signature', bytes(0x89, 0x50, 0x4e), null],
    ['empty', bytes(), null],
  ]);
});

describe('isPrefecture (CP 4.1.1: an office in Japan; ST)', () => {
  itGivesEach(isPrefecture, [
    ['東京都', '東京都', true],
    ['北海道 (no 県)', '北海道', true],
    ['a city is not a prefecture', '千代田区', false],
    ['a foreign region', 'California', false],
  ]);
});
