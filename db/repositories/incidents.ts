/**
 * Incidents (CP 4.9.1, BR 4.9.1.1; CCADB incident reporting): the incident row, its timeline, the certificates it
 * selected and what became of each, and the ARI "renew now" overrides (RFC 9773). Every write is idempotent — the
 * callers are retried activities — and audited in the same transaction (BR 5.4.1).
 */
import { and, asc, count, eq, gt, inArray, min, max, sql, type SQL } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { IncidentCriteria } from '../../domain/incidents';
import { authorizeRevocation, type RevocationReasonCode } from '../../domain/revocation';
import type { IncidentStatus } from '../../domain/statuses';
import { certificates, incidentCertificates, incidentEvents, incidents, issuers, renewalOverrides } from '../schema';
import { appendAudit } from './audit';
import { normalizeSerial } from './certificates';
import { getRevocationFacts, revokeAsRequested } from './revocation';
import type { DbOrTx } from './types';

export type Incident = typeof incidents.$inferSelect;
export type IncidentEvent = typeof incidentEvents.$inferSelect;

const hexBytes = (hex: string) => new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));

export async function createIncident(
  db: DbOrTx,
  input: Omit<typeof incidents.$inferInsert, 'id' | 'status' | 'createdAt' | 'workflowId'> & { id: string; workflowId: string },
): Promise<Incident> {
  const criteria: IncidentCriteria = input.criteria.serials ? { ...input.criteria, serials: input.criteria.serials.map(normalizeSerial) } : input.criteria;
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(incidents).values({ ...input, criteria }).returning();
    await recordIncidentEvent(tx, row!.id, 'incident.created', input.createdBy, {
      title: input.title,
      reason: input.reason,
      detectedAt: input.detectedAt,
      deadline: input.deadline,
      deadlineRule: input.deadlineRule,
      ratePerSecond: input.ratePerSecond,
      serialsListed: criteria.serials?.length ?? 0,
    });
    return row!;
  });
}

export async function getIncident(db: DbOrTx, id: string): Promise<Incident | null> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id)).limit(1);
  return row ?? null;
}

/** One event of the incident's timeline, also appended to the audit log. */
export async function recordIncidentEvent(db: DbOrTx, incidentId: string, event: string, actor: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(incidentEvents).values({ incidentId, event, actor, detail: JSON.parse(JSON.stringify(detail)) as Record<string, unknown> });
    await appendAudit(tx, { actor, event, data: { incidentId, ...detail } });
  });
}

export async function updateIncident(db: DbOrTx, id: string, set: Partial<Pick<Incident, 'status' | 'alarmRaisedAt' | 'completedAt' | 'report'>>): Promise<void> {
  await db.update(incidents).set(set).where(eq(incidents.id, id));
}

export async function setIncidentStatus(db: DbOrTx, id: string, status: IncidentStatus): Promise<void> {
  await updateIncident(db, id, { status });
}

export interface IncidentCandidate {
  readonly serial: string;
  readonly issuerId: string;
  /** The CA of that key (`dv`, `ov`): the profile its certificates are linted as. */
  readonly caId: string;
  readonly accountId: string;
  readonly notBefore: Date;
  /** The final certificate, else the precertificate (BR 7.1.2.9): what the lint criterion lints again. */
  readonly der: Uint8Array | null;
  readonly kind: 'final' | 'precertificate';
}

/**
 * The next page (by serial) of certificates the criteria match: signed, unexpired, not revoked. A listed serial
 * list is read from the incident row inside PostgreSQL; the caller never holds it.
 */
export async function incidentCandidates(
  db: DbOrTx,
  input: { incidentId: string; criteria: IncidentCriteria; afterSerial: string; limit: number; now: Date; withDer: boolean },
): Promise<IncidentCandidate[]> {
  const c = input.criteria;
  const where: SQL[] = [
    inArray(certificates.status, ['precertificate', 'issued']),
    gt(certificates.notAfter, input.now),
    gt(certificates.serial, input.afterSerial),
  ];
  if (c.issuerId) where.push(eq(certificates.issuerId, c.issuerId));
  if (c.issuedFrom) where.push(sql`${certificates.notBefore} >= ${new Date(c.issuedFrom).toISOString()}::timestamptz`);
  if (c.issuedTo) where.push(sql`${certificates.notBefore} <= ${new Date(c.issuedTo).toISOString()}::timestamptz`);
  if (c.spkiSha256Hex) where.push(eq(certificates.spkiSha256, hexBytes(c.spkiSha256Hex)));
  if (c.serials) {
    where.push(sql`${certificates.serial} in (select jsonb_array_elements_text(${incidents.criteria}->'serials') from ${incidents} where ${incidents.id} = ${input.incidentId})`);
  }
  const rows = await db
    .select({
      serial: certificates.serial,
      issuerId: certificates.issuerId,
      caId: issuers.caId,
      accountId: certificates.accountId,
      notBefore: certificates.notBefore,
      der: input.withDer ? sql<Uint8Array | null>`coalesce(${certificates.certDer}, ${certificates.precertDer})` : sql<null>`null`,
      kind: sql<'final' | 'precertificate'>`case when ${certificates.certDer} is null then 'precertificate' else 'final' end`,
    })
    .from(certificates)
    .innerJoin(issuers, eq(issuers.id, certificates.issuerId))
    .where(and(...where))
    .orderBy(asc(certificates.serial))
    .limit(input.limit);
  return rows.map((r) => ({ ...r, der: r.der === null ? null : new Uint8Array(r.der as unknown as ArrayLike<number>) }));
}

/**
 * Adds selected certificates to the incident and, in the same transaction, sets their ARI window to "renew now"
 * (RFC 9773 §4.2): from the moment a certificate is selected, ACME clients asking renewalInfo are told to renew.
 */
export async function addIncidentCertificates(
  db: DbOrTx,
  input: { incidentId: string; rows: readonly Omit<IncidentCandidate, 'der' | 'kind'>[]; now: Date; reason: string },
): Promise<number> {
  if (input.rows.length === 0) return 0;
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(incidentCertificates)
      .values(input.rows.map((r) => ({ incidentId: input.incidentId, serial: r.serial, issuerId: r.issuerId, accountId: r.accountId, notBefore: r.notBefore })))
      .onConflictDoNothing()
      .returning({ serial: incidentCertificates.serial });
    await tx
      .insert(renewalOverrides)
      .values(input.rows.map((r) => ({ serial: r.serial, since: input.now, reason: input.reason, incidentId: input.incidentId })))
      .onConflictDoNothing();
    await refreshIncidentCounts(tx, input.incidentId);
    return inserted.length;
  });
}

/** The incident's counts, counted from its rows (a retried batch cannot count twice). */
export async function refreshIncidentCounts(db: DbOrTx, incidentId: string): Promise<{ selected: number; revoked: number; skipped: number }> {
  const rows = await db
    .select({ state: incidentCertificates.state, n: count() })
    .from(incidentCertificates)
    .where(eq(incidentCertificates.incidentId, incidentId))
    .groupBy(incidentCertificates.state);
  const by = Object.fromEntries(rows.map((r) => [r.state, r.n])) as Partial<Record<string, number>>;
  const counts = { revoked: by.revoked ?? 0, skipped: by.skipped ?? 0, selected: (by.selected ?? 0) + (by.revoked ?? 0) + (by.skipped ?? 0) };
  await db.update(incidents).set({ selectedCount: counts.selected, revokedCount: counts.revoked, skippedCount: counts.skipped }).where(eq(incidents.id, incidentId));
  return counts;
}

/**
 * Revokes the next `limit` selected certificates of the incident through the CA's one revocation path: the rules of
 * domain/revocation.ts with the operator as requester, then `revokeAsRequested` (request and revocation audited per
 * certificate, BR 5.4.1). A certificate that expired or was revoked meanwhile is skipped with the reason.
 */
export async function revokeIncidentBatch(
  db: DbOrTx,
  input: { incidentId: string; limit: number; at: Date; reason: RevocationReasonCode; actor: string; deadline: Date; deadlineRule: string; workflowId: string },
): Promise<{ revoked: string[]; skipped: number; issuerIds: string[]; remaining: number }> {
  const batch = await db
    .select({ serial: incidentCertificates.serial, issuerId: incidentCertificates.issuerId })
    .from(incidentCertificates)
    .where(and(eq(incidentCertificates.incidentId, input.incidentId), eq(incidentCertificates.state, 'selected')))
    .orderBy(asc(incidentCertificates.serial))
    .limit(input.limit);
  const revoked: string[] = [];
  let skipped = 0;
  for (const { serial } of batch) {
    const facts = await getRevocationFacts(db, serial);
    const decision = facts ? authorizeRevocation({ kind: 'operator', name: input.actor }, facts, input.reason, input.at) : null;
    const mark = (set: Partial<typeof incidentCertificates.$inferInsert>) =>
      db.update(incidentCertificates).set(set).where(and(eq(incidentCertificates.incidentId, input.incidentId), eq(incidentCertificates.serial, serial)));
    if (!facts || !decision?.ok) {
      skipped++;
      await mark({ state: 'skipped', note: decision && !decision.ok ? `${decision.detail} (${decision.rule})` : 'no such certificate' });
      continue;
    }
    await db.transaction(async (tx) => {
      await revokeAsRequested(tx, {
        serial,
        orderId: facts.certificate.orderId,
        actor: input.actor,
        reason: input.reason,
        at: input.at,
        deadline: input.deadline,
        deadlineRule: input.deadlineRule,
        // The request's audit entry names the incident (actor incident:<id>, its workflow id): no further entry needed.
        workflowId: input.workflowId,
      });
      await tx.update(incidentCertificates).set({ state: 'revoked', revokedAt: input.at }).where(and(eq(incidentCertificates.incidentId, input.incidentId), eq(incidentCertificates.serial, serial)));
    });
    revoked.push(serial);
  }
  const counts = await refreshIncidentCounts(db, input.incidentId);
  const issuerIds = [...new Set(batch.filter((b) => revoked.includes(b.serial)).map((b) => b.issuerId))];
  return { revoked, skipped, issuerIds, remaining: counts.selected - counts.revoked - counts.skipped };
}

/** The accounts with certificates in the incident, a page at a time (by account id), each with its count and a few serials. */
export async function incidentAccountsPage(
  db: DbOrTx,
  input: { incidentId: string; afterAccountId: string; limit: number },
): Promise<Array<{ accountId: string; certificates: number; serials: string[] }>> {
  const rows = await db
    .select({
      accountId: incidentCertificates.accountId,
      certificates: count(),
      serials: sql<string[]>`(array_agg(${incidentCertificates.serial} order by ${incidentCertificates.serial}))[1:20]`,
    })
    .from(incidentCertificates)
    .where(and(eq(incidentCertificates.incidentId, input.incidentId), gt(sql`${incidentCertificates.accountId}::text`, input.afterAccountId)))
    .groupBy(incidentCertificates.accountId)
    .orderBy(asc(sql`${incidentCertificates.accountId}::text`))
    .limit(input.limit);
  return rows;
}

/** A page of the incident's serials (the report's appendix, `npm run admin -- incident serials`). */
export async function incidentSerials(db: DbOrTx, incidentId: string, afterSerial: string, limit: number): Promise<Array<{ serial: string; state: string; revokedAt: Date | null; note: string | null }>> {
  return db
    .select({ serial: incidentCertificates.serial, state: incidentCertificates.state, revokedAt: incidentCertificates.revokedAt, note: incidentCertificates.note })
    .from(incidentCertificates)
    .where(and(eq(incidentCertificates.incidentId, incidentId), gt(incidentCertificates.serial, afterSerial)))
    .orderBy(asc(incidentCertificates.serial))
    .limit(limit);
}

export async function incidentTimeline(db: DbOrTx, incidentId: string): Promise<IncidentEvent[]> {
  return db.select().from(incidentEvents).where(eq(incidentEvents.incidentId, incidentId)).orderBy(asc(incidentEvents.at), asc(incidentEvents.id));
}

/** What the report says about the affected certificates: per issuing key, the issuance span, the last revocation. */
export async function incidentImpact(db: DbOrTx, incidentId: string) {
  const byIssuer = await db
    .select({ issuerId: incidentCertificates.issuerId, certificates: count() })
    .from(incidentCertificates)
    .where(eq(incidentCertificates.incidentId, incidentId))
    .groupBy(incidentCertificates.issuerId)
    .orderBy(asc(incidentCertificates.issuerId));
  const [span] = await db
    .select({ first: min(incidentCertificates.notBefore), last: max(incidentCertificates.notBefore), lastRevokedAt: max(incidentCertificates.revokedAt), accounts: sql<number>`count(distinct ${incidentCertificates.accountId})::int` })
    .from(incidentCertificates)
    .where(eq(incidentCertificates.incidentId, incidentId));
  return {
    byIssuer,
    issuedBetween: span?.first && span.last ? { first: span.first, last: span.last } : null,
    lastRevokedAt: span?.lastRevokedAt ?? null,
    accounts: span?.accounts ?? 0,
  };
}

/** RFC 9773: the CA's "renew now" for a certificate, if one was stored (an incident selected it). */
export async function renewalOverrideFor(db: DbOrTx, serial: string): Promise<{ since: Date; reason: string; incidentId: string | null } | null> {
  const [row] = await db.select().from(renewalOverrides).where(eq(renewalOverrides.serial, serial)).limit(1);
  return row ? { since: row.since, reason: row.reason, incidentId: row.incidentId } : null;
}

export function requireIncident(row: Incident | null, id: string): Incident {
  if (!row) throw new CaError('notFound', `no incident ${id}`);
  return row;
}
