/**
 * An organization with a vetted record (CP 3.2.2.1, 7.1.1) written straight through the repositories, for tests that
 * need an OV order without running the vetting (test/e2e/ov-issuance.test.ts runs it end to end): the registration,
 * its vetting in the status asked for and, for an approved one, the record valid over `[validFrom, validUntil)`.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { createOperator } from '../../db/repositories/operators';
import { registerOrganization, setVettingStatus } from '../../db/repositories/organizations';
import { createVettedRecord, type VettedOrganization } from '../../db/repositories/vetted-organizations';
import type { VettingStatus } from '../../domain/vetting';

const DAY = 86_400_000;

export interface SeededOrganization {
  readonly organizationId: string;
  readonly vettingId: string;
  readonly record: VettedOrganization | null;
}

export async function seedVettedOrganization(
  db: Db,
  opts: { accountId: string; status?: VettingStatus; validFrom?: Date; validUntil?: Date },
): Promise<SeededOrganization> {
  const now = new Date();
  const { organization, vetting } = await registerOrganization(db, {
    organization: {
      accountId: opts.accountId,
      legalName: '株式会社テスト組織',
      corporateNumber: null,
      noLegalPersonality: true,
      prefecture: '東京都',
      city: '千代田区',
      street: '神田神保町1丁目1番地',
      telephone: '03-1234-5678',
      representativeName: '日本 太郎',
      representativeTitle: '代表取締役',
      representativeEmail: 'representative@example.jp',
    },
    vettingExpiresAt: new Date(now.getTime() + 30 * DAY),
    actor: 'test:seed',
  });
  const status = opts.status ?? 'approved';
  if (status !== 'matching') await setVettingStatus(db, vetting.id, status, { actor: 'test:seed', now });
  if (status !== 'approved') return { organizationId: organization.id, vettingId: vetting.id, record: null };
  const { operator } = await createOperator(db, { name: `approver-${randomUUID().slice(0, 8)}`, roles: ['approver'], actor: 'test:seed' });
  const record = await createVettedRecord(db, {
    organizationId: organization.id,
    vettingId: vetting.id,
    source: 'documents',
    country: 'JP',
    stateOrProvince: organization.prefecture,
    locality: organization.city,
    organizationName: organization.legalName,
    corporateNumber: null,
    approvedBy: operator.id,
    validFrom: opts.validFrom ?? new Date(now.getTime() - DAY),
    validUntil: opts.validUntil ?? new Date(now.getTime() + 397 * DAY),
    rule: 'BR 4.2.1 (test seed)',
  });
  return { organizationId: organization.id, vettingId: vetting.id, record };
}
