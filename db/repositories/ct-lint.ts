/**
 * Lint reports (issuance cycle step 6) and SCTs (step 8). Both are evidence kept with the order; each write also
 * appends to the hash-chained audit log in the same transaction. Idempotent: a retried activity stores nothing
 * twice (an SCT per (serial, log) — the first wins; a lint report per run, and the workflow runs each lint once).
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { certificateScts, lintReports } from '../schema';
import { appendAudit, insertOnce } from './audit';
import { certificateAudit, normalizeSerial } from './certificates';
import type { DbOrTx } from './types';

const sha256 = (der: Uint8Array) => new Uint8Array(createHash('sha256').update(der).digest());

export type LintReportRow = typeof lintReports.$inferSelect;
export type CertificateSctRow = typeof certificateScts.$inferSelect;

export async function storeLintReport(
  db: DbOrTx,
  input: {
    orderId: string;
    serial: string;
    kind: 'precertificate' | 'final';
    linter: string;
    linterVersion: string;
    verdict: 'pass' | 'fail';
    tbsDer: Uint8Array;
    findings: Array<Record<string, unknown>>;
    actor?: string;
  },
): Promise<LintReportRow> {
  const serial = normalizeSerial(input.serial);
  const tbsSha256 = sha256(input.tbsDer);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(lintReports)
      .values({
        orderId: input.orderId,
        serial,
        kind: input.kind,
        linter: input.linter,
        linterVersion: input.linterVersion,
        verdict: input.verdict,
        tbsSha256,
        findings: input.findings,
      })
      .returning();
    await appendAudit(
      tx,
      certificateAudit('certificate.linted', { ...input, serial }, {
        kind: input.kind,
        linter: `${input.linter} ${input.linterVersion}`,
        verdict: input.verdict,
        tbsSha256,
        findings: input.findings.map((f) => `${String(f.severity)} ${String(f.code)}`),
      }),
    );
    return row!;
  });
}

export async function listLintReports(db: DbOrTx, orderId: string): Promise<LintReportRow[]> {
  return db.select().from(lintReports).where(eq(lintReports.orderId, orderId)).orderBy(asc(lintReports.id));
}

/** Stores a verified SCT once per (serial, log); returns the stored row (the first one if it already existed). */
export async function storeSct(
  db: DbOrTx,
  input: {
    serial: string;
    orderId: string;
    logId: string;
    logKeyId: Uint8Array;
    operator: string;
    api: 'rfc6962' | 'static-ct';
    sct: Uint8Array;
    sctTimestamp: Date;
    actor?: string;
  },
): Promise<CertificateSctRow> {
  const serial = normalizeSerial(input.serial);
  return db.transaction((tx) =>
    insertOnce(tx, certificateScts, {
      values: {
        serial,
        logId: input.logId,
        logKeyId: input.logKeyId,
        operator: input.operator,
        api: input.api,
        sct: input.sct,
        sctTimestamp: input.sctTimestamp,
      },
      conflictTarget: [certificateScts.serial, certificateScts.logId],
      existing: and(eq(certificateScts.serial, serial), eq(certificateScts.logId, input.logId)),
      audit: certificateAudit('certificate.sct_received', { ...input, serial }, {
        logId: input.logId,
        logKeyId: input.logKeyId,
        operator: input.operator,
        timestamp: input.sctTimestamp,
      }),
    }),
  );
}

export async function listScts(db: DbOrTx, serialHex: string, logIds?: readonly string[]): Promise<CertificateSctRow[]> {
  const serial = normalizeSerial(serialHex);
  const where = logIds
    ? and(eq(certificateScts.serial, serial), inArray(certificateScts.logId, [...logIds]))
    : eq(certificateScts.serial, serial);
  return db.select().from(certificateScts).where(where).orderBy(asc(certificateScts.logId));
}

/** The linters that passed exactly this TBS (by SHA-256) of `serial` — what the signing worker requires. */
export async function lintersThatPassed(db: DbOrTx, serialHex: string, kind: 'precertificate' | 'final', tbsDer: Uint8Array): Promise<Set<string>> {
  const serial = normalizeSerial(serialHex);
  const tbsSha256 = sha256(tbsDer);
  const rows = await db
    .select({ linter: lintReports.linter, tbsSha256: lintReports.tbsSha256 })
    .from(lintReports)
    .where(and(eq(lintReports.serial, serial), eq(lintReports.kind, kind), eq(lintReports.verdict, 'pass')));
  return new Set(rows.filter((r) => Buffer.from(r.tbsSha256).equals(Buffer.from(tbsSha256))).map((r) => r.linter));
}
