/**
 * What the archive of CP 5.5.1–5.5.2 holds for a period: every application made in it (orders with their
 * authorizations, challenges, validation evidence, corroborations, e-mail validations, ACME parts, acceptance), the
 * certificates issued for them with their lint reports and SCTs, their notices, the key-compromise reports received,
 * the segment of the hash-chained audit log written in the period (CP 5.4.3) and the signed checkpoints of the chain
 * heads inside that segment (db/repositories/audit-checkpoints.ts). Read-only.
 */
import { and, asc, between, gte, inArray, lt, sql } from 'drizzle-orm';
import {
  acmeOrders,
  auditCheckpoints,
  auditLog,
  authorizations,
  certificateScts,
  certificates,
  challenges,
  corroborations,
  emailValidations,
  keyCompromiseReports,
  lintReports,
  notices,
  orders,
  validationEvidence,
} from '../schema';
import type { AuditCheckpoint } from './audit-checkpoints';
import type { AuditEntry, DbOrTx } from './types';

/** The record files of an archive, by name: each is a JSON Lines file of rows. */
export type ArchiveRecords = Record<string, readonly unknown[]>;

export async function archiveRecords(
  db: DbOrTx,
  range: { from: Date; to: Date },
): Promise<{ records: ArchiveRecords; audit: AuditEntry[]; checkpoints: AuditCheckpoint[] }> {
  const inRange = (col: Parameters<typeof gte>[0]) => and(gte(col, range.from), lt(col, range.to));
  const orderRows = await db.select().from(orders).where(inRange(orders.createdAt)).orderBy(asc(orders.createdAt), asc(orders.id));
  const orderIds = orderRows.map((o) => o.id);
  const some = <T>(q: () => Promise<T[]>) => (orderIds.length === 0 ? Promise.resolve([] as T[]) : q());
  const authzRows = await some(() => db.select().from(authorizations).where(inArray(authorizations.orderId, orderIds)).orderBy(asc(authorizations.id)));
  const authzIds = authzRows.map((a) => a.id);
  const challengeRows = authzIds.length ? await db.select().from(challenges).where(inArray(challenges.authorizationId, authzIds)).orderBy(asc(challenges.id)) : [];
  const challengeIds = challengeRows.map((c) => c.id);
  const certRows = await some(() => db.select().from(certificates).where(inArray(certificates.orderId, orderIds)).orderBy(asc(certificates.serial)));
  const serials = certRows.map((c) => c.serial);
  const records: ArchiveRecords = {
    orders: orderRows,
    'acme-orders': await some(() => db.select().from(acmeOrders).where(inArray(acmeOrders.orderId, orderIds)).orderBy(asc(acmeOrders.orderId))),
    authorizations: authzRows,
    challenges: challengeRows,
    'validation-evidence': challengeIds.length ? await db.select().from(validationEvidence).where(inArray(validationEvidence.challengeId, challengeIds)).orderBy(asc(validationEvidence.id)) : [],
    corroborations: await some(() => db.select().from(corroborations).where(inArray(corroborations.orderId, orderIds)).orderBy(asc(corroborations.id))),
    'email-validations': challengeIds.length ? await db.select().from(emailValidations).where(inArray(emailValidations.challengeId, challengeIds)).orderBy(asc(emailValidations.id)) : [],
    certificates: certRows,
    'lint-reports': await some(() => db.select().from(lintReports).where(inArray(lintReports.orderId, orderIds)).orderBy(asc(lintReports.id))),
    'certificate-scts': serials.length ? await db.select().from(certificateScts).where(inArray(certificateScts.serial, serials)).orderBy(asc(certificateScts.serial), asc(certificateScts.logId)) : [],
    notices: await some(() => db.select().from(notices).where(inArray(notices.orderId, orderIds)).orderBy(asc(notices.createdAt), asc(notices.id))),
    'key-compromise-reports': await db.select().from(keyCompromiseReports).where(inRange(keyCompromiseReports.receivedAt)).orderBy(asc(keyCompromiseReports.receivedAt)),
  };
  // The audit entries written in the period, as one contiguous segment of the chain: from the first entry at or after
  // `from` to the last one before `to`, by id (the chain order), so the segment verifies link by link.
  const [bounds] = await db
    .select({ first: sql<number | null>`min(${auditLog.id})`, last: sql<number | null>`max(${auditLog.id})` })
    .from(auditLog)
    .where(inRange(auditLog.at));
  const segment = bounds?.first != null && bounds.last != null ? ([Number(bounds.first), Number(bounds.last)] as const) : null;
  const audit = segment ? await db.select().from(auditLog).where(between(auditLog.id, ...segment)).orderBy(asc(auditLog.id)) : [];
  // The checkpoints that signed a head inside the segment (whenever they were signed): a verifier holding the audit
  // key checks that the archived chain still reaches each of them.
  const checkpoints = segment ? await db.select().from(auditCheckpoints).where(between(auditCheckpoints.sequence, ...segment)).orderBy(asc(auditCheckpoints.sequence)) : [];
  return { records, audit, checkpoints };
}
