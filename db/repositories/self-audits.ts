/**
 * Self-audits (BR 8.7; CP 8): the audit row with its recorded seed and population, the sample in draw order, each
 * sampled certificate's findings, and the evidence a certificate's issuance left behind (what domain/self-audit.ts
 * judges). Writes are idempotent (retried activities) and audited (BR 5.4.1).
 */
import { and, asc, desc, eq, gt, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { IssuanceEvidence, NameEvidence } from '../../domain/self-audit';
import { auditLog, authorizations, certificates, challenges, corroborations, issuers, selfAuditSamples, selfAudits, validationEvidence } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type SelfAudit = typeof selfAudits.$inferSelect;

/** The end of the previous self-audit's period: the next one samples what was issued after it. */
export async function lastSelfAuditPeriodEnd(db: DbOrTx, before: Date): Promise<Date | null> {
  const [row] = await db.select({ periodTo: selfAudits.periodTo }).from(selfAudits).where(lte(selfAudits.periodTo, before)).orderBy(desc(selfAudits.periodTo)).limit(1);
  return row?.periodTo ?? null;
}

/** Serials of the final certificates issued (notBefore) in (from, to], sorted: the population, in canonical order. */
export async function issuedSerials(db: DbOrTx, from: Date | null, to: Date): Promise<string[]> {
  const rows = await db
    .select({ serial: certificates.serial })
    .from(certificates)
    .where(and(isNotNull(certificates.certDer), lte(certificates.notBefore, to), from ? gt(certificates.notBefore, from) : undefined))
    .orderBy(asc(certificates.serial));
  return rows.map((r) => r.serial);
}

/** Stores the audit and its sample once (the workflow chose the id): a retried call returns the stored audit. */
export async function createSelfAudit(
  db: DbOrTx,
  input: { id: string; periodFrom: Date | null; periodTo: Date; seed: string; population: number; sample: readonly string[]; workflowId: string; actor: string },
): Promise<SelfAudit> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(selfAudits).where(eq(selfAudits.id, input.id));
    if (existing) return existing;
    const [row] = await tx
      .insert(selfAudits)
      .values({
        id: input.id,
        periodFrom: input.periodFrom,
        periodTo: input.periodTo,
        seed: input.seed,
        population: input.population,
        sampleSize: input.sample.length,
        status: input.sample.length > 0 ? 'checking' : 'completed',
        workflowId: input.workflowId,
      })
      .returning();
    if (input.sample.length > 0) {
      await tx.insert(selfAuditSamples).values(input.sample.map((serial, position) => ({ auditId: input.id, serial, position })));
    }
    await appendAudit(tx, {
      actor: input.actor,
      event: 'self_audit.sampled',
      data: { auditId: input.id, periodFrom: input.periodFrom, periodTo: input.periodTo, seed: input.seed, population: input.population, sample: input.sample },
    });
    return row!;
  });
}

export async function getSelfAudit(db: DbOrTx, id: string): Promise<SelfAudit | null> {
  const [row] = await db.select().from(selfAudits).where(eq(selfAudits.id, id));
  return row ?? null;
}

export async function latestSelfAudits(db: DbOrTx, limit: number): Promise<SelfAudit[]> {
  return db.select().from(selfAudits).orderBy(desc(selfAudits.startedAt)).limit(limit);
}

/** The next unchecked sampled certificates, in draw order, with their DER. */
export async function uncheckedSamples(db: DbOrTx, auditId: string, limit: number): Promise<Array<{ serial: string; der: Uint8Array | null; dnsNames: string[]; caId: string }>> {
  return db
    .select({ serial: selfAuditSamples.serial, der: certificates.certDer, dnsNames: certificates.dnsNames, caId: issuers.caId })
    .from(selfAuditSamples)
    .innerJoin(certificates, eq(certificates.serial, selfAuditSamples.serial))
    .innerJoin(issuers, eq(issuers.id, certificates.issuerId))
    .where(and(eq(selfAuditSamples.auditId, auditId), isNull(selfAuditSamples.checkedAt)))
    .orderBy(asc(selfAuditSamples.position))
    .limit(limit);
}

export async function recordSampleResult(
  db: DbOrTx,
  input: { auditId: string; serial: string; at: Date; findings: ReadonlyArray<Record<string, unknown>> },
): Promise<void> {
  await db
    .update(selfAuditSamples)
    .set({ checkedAt: input.at, verdict: input.findings.length === 0 ? 'pass' : 'flagged', findings: [...input.findings] })
    .where(and(eq(selfAuditSamples.auditId, input.auditId), eq(selfAuditSamples.serial, input.serial)));
}

export async function sampleResults(db: DbOrTx, auditId: string) {
  return db.select().from(selfAuditSamples).where(eq(selfAuditSamples.auditId, auditId)).orderBy(asc(selfAuditSamples.position));
}

export async function completeSelfAudit(db: DbOrTx, input: { auditId: string; at: Date; flagged: number; report: Record<string, unknown>; actor: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(selfAudits).set({ status: 'completed', completedAt: input.at, flagged: input.flagged, report: input.report }).where(eq(selfAudits.id, input.auditId));
    await appendAudit(tx, { actor: input.actor, event: 'self_audit.completed', data: { auditId: input.auditId, flagged: input.flagged } });
  });
}

/** The latest MPIC round matching `where` (a retry is a new round, BR 3.2.2.9: the last one is the one that counted). */
async function latestRound(db: DbOrTx, where: SQL | undefined) {
  const [row] = await db.select().from(corroborations).where(where).orderBy(desc(corroborations.checkedAt)).limit(1);
  return row;
}

/** The smallest TTL of the CAA records a primary perspective saw (its evidence stores the tree climb's lookups). */
function caaTtl(rawAnswers: unknown): number {
  const lookups = Array.isArray(rawAnswers) ? (rawAnswers as Array<{ records?: Array<{ ttl?: unknown }> }>) : [];
  const ttls = lookups.flatMap((l) => (l.records ?? []).map((r) => r.ttl)).filter((t): t is number => typeof t === 'number');
  return ttls.length ? Math.min(...ttls) : 0;
}

/**
 * Everything the issuance of `serial` left behind for each of its names (null: no such certificate): the order's
 * authorization, the validation that authorized it — its own valid challenge, or the earlier one it reused (the
 * `authorization.reused` audit entry names it, BR 4.2.1) — the primary's successful DCV evidence of that validation
 * (step 2) and its MPIC round, and the order's latest CAA round for the name.
 */
export async function issuanceEvidence(db: DbOrTx, serial: string): Promise<IssuanceEvidence | null> {
  const [cert] = await db.select().from(certificates).where(eq(certificates.serial, serial));
  if (!cert) return null;
  const authzs = await db.select().from(authorizations).where(eq(authorizations.orderId, cert.orderId));
  const reusedRows = await db
    .select({ data: auditLog.data })
    .from(auditLog)
    .where(and(eq(auditLog.orderId, cert.orderId), eq(auditLog.event, 'authorization.reused')));
  const reusedFrom = new Map(reusedRows.map((r) => [String(r.data.authorizationId), String(r.data.reusedAuthorizationId)]));
  const names: NameEvidence[] = [];
  for (const fqdn of cert.dnsNames) {
    const authz = authzs.find((a) => (a.wildcard ? `*.${a.fqdn}` === fqdn || a.fqdn === fqdn : a.fqdn === fqdn)) ?? null;
    const base = { fqdn, authorization: authz ? { status: authz.status, validatedAt: authz.validatedAt } : null };
    if (!authz) {
      names.push({ ...base, validation: null, dcvEvidenceRows: 0, dcvCorroboration: null, caaCorroboration: null });
      continue;
    }
    const validatingId = reusedFrom.get(authz.id) ?? authz.id;
    const [challenge] = await db
      .select()
      .from(challenges)
      .where(and(eq(challenges.authorizationId, validatingId), eq(challenges.status, 'valid')))
      .orderBy(desc(challenges.validatedAt))
      .limit(1);
    const [evidence] = challenge
      ? await db
          .select({ n: sql<number>`count(*)::int` })
          .from(validationEvidence)
          .where(and(eq(validationEvidence.challengeId, challenge.id), eq(validationEvidence.perspective, 'primary'), eq(validationEvidence.check, 'dcv'), eq(validationEvidence.result, 'success')))
      : [{ n: 0 }];
    const dcvRound = await latestRound(db, and(eq(corroborations.authorizationId, validatingId), eq(corroborations.check, 'dcv')));
    const caaRound = await latestRound(db, and(eq(corroborations.orderId, cert.orderId), eq(corroborations.fqdn, authz.fqdn), eq(corroborations.check, 'caa')));
    const [caaPrimary] = caaRound
      ? await db
          .select({ raw: validationEvidence.rawAnswers })
          .from(validationEvidence)
          .where(and(eq(validationEvidence.corroborationId, caaRound.id), eq(validationEvidence.perspective, 'primary')))
          .limit(1)
      : [];
    names.push({
      ...base,
      validation: challenge?.validatedAt ? { method: challenge.method, validatedAt: challenge.validatedAt, reused: validatingId !== authz.id } : null,
      dcvEvidenceRows: evidence?.n ?? 0,
      dcvCorroboration: dcvRound ? { result: dcvRound.result, checkedAt: dcvRound.checkedAt, quorum: dcvRound.quorum } : null,
      caaCorroboration: caaRound ? { result: caaRound.result, checkedAt: caaRound.checkedAt, quorum: caaRound.quorum, ttlSeconds: caaTtl(caaPrimary?.raw) } : null,
    });
  }
  return { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, names };
}
