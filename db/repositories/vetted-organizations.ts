/**
 * The evidence of a vetting (BR 5.4.1; CP 3.2.5) and the vetted organization record an approval produces (CP 7.1.1:
 * the OV subject's source, valid for BR 4.2.1's 398 days). One table of vetted records with a clear validity window:
 * OV orders and renewals ask `validVettedRecord(org, now)` and pin the record they use on the order.
 */
import { and, asc, desc, eq, gt, lte } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { EvidenceKind, EvidenceStatus } from '../../domain/vetting';
import { orders, vettedOrganizations, vettingEvidence } from '../schema';
import { isUuid } from './accounts';
import { appendAudit, insertOnce } from './audit';
import type { DbOrTx } from './types';

export type VettingEvidence = typeof vettingEvidence.$inferSelect;
export type VettedOrganization = typeof vettedOrganizations.$inferSelect;

/** An operator's (or the system's) evidence, stored before the workflow's Update decides on it. */
export async function addEvidence(
  db: DbOrTx,
  input: { vettingId: string; kind: EvidenceKind; operatorId: string | null; data: Record<string, unknown>; status?: EvidenceStatus; now: Date; actor: string },
): Promise<VettingEvidence> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(vettingEvidence)
      .values({ vettingId: input.vettingId, kind: input.kind, operatorId: input.operatorId, data: input.data, status: input.status ?? 'submitted', recordedAt: input.now, ...(input.status === 'accepted' ? { settledAt: input.now } : {}) })
      .returning();
    await appendAudit(tx, { actor: input.actor, event: 'vetting.evidence', data: { vettingId: input.vettingId, evidenceId: row!.id, kind: input.kind, status: row!.status } });
    return row!;
  });
}

/** The workflow accepted a submitted piece of evidence, or the door records that its Update was refused. Idempotent. */
export async function settleEvidence(db: DbOrTx, input: { id: number; vettingId: string; status: 'accepted' | 'refused'; now: Date; actor: string; reason?: string }): Promise<VettingEvidence> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(vettingEvidence).where(and(eq(vettingEvidence.id, input.id), eq(vettingEvidence.vettingId, input.vettingId))).for('update');
    if (!row) throw new CaError('invariantViolated', `no evidence ${input.id} for vetting ${input.vettingId}`);
    if (row.status === input.status) return row;
    if (row.status !== 'submitted') throw new CaError('invariantViolated', `evidence ${input.id} is already ${row.status}`);
    const [updated] = await tx.update(vettingEvidence).set({ status: input.status, settledAt: input.now }).where(eq(vettingEvidence.id, input.id)).returning();
    await appendAudit(tx, { actor: input.actor, event: 'vetting.evidence.settled', data: { vettingId: input.vettingId, evidenceId: input.id, status: input.status, ...(input.reason ? { reason: input.reason } : {}) } });
    return updated!;
  });
}

export async function evidenceOf(db: DbOrTx, vettingId: string): Promise<VettingEvidence[]> {
  return db.select().from(vettingEvidence).where(eq(vettingEvidence.vettingId, vettingId)).orderBy(asc(vettingEvidence.id));
}

/** Operators whose accepted evidence is part of this vetting (the four-eyes rule's "recorded evidence"). */
export async function evidenceRecorders(db: DbOrTx, vettingId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ operatorId: vettingEvidence.operatorId })
    .from(vettingEvidence)
    .where(and(eq(vettingEvidence.vettingId, vettingId), eq(vettingEvidence.status, 'accepted')));
  return rows.map((r) => r.operatorId).filter((id): id is string => id !== null);
}

/** The approval's record, once per vetting (a retried activity gets the first one). */
export async function createVettedRecord(
  db: DbOrTx,
  input: Omit<typeof vettedOrganizations.$inferInsert, 'id' | 'createdAt'>,
): Promise<VettedOrganization> {
  return insertOnce(db, vettedOrganizations, {
    values: input,
    conflictTarget: vettedOrganizations.vettingId,
    existing: eq(vettedOrganizations.vettingId, input.vettingId),
    audit: {
      actor: `operator:${input.approvedBy}`,
      event: 'vetting.record.created',
      data: { vettingId: input.vettingId, organizationId: input.organizationId, source: input.source, validFrom: input.validFrom, validUntil: input.validUntil, rule: input.rule },
    },
  });
}

/** The organization's vetted record valid at `now` (the latest approved), or null. */
export async function validVettedRecord(db: DbOrTx, organizationId: string, now: Date): Promise<VettedOrganization | null> {
  const [row] = await db
    .select()
    .from(vettedOrganizations)
    .where(and(eq(vettedOrganizations.organizationId, organizationId), lte(vettedOrganizations.validFrom, now), gt(vettedOrganizations.validUntil, now)))
    .orderBy(desc(vettedOrganizations.validUntil))
    .limit(1);
  return row ?? null;
}

export async function getVettedRecord(db: DbOrTx, id: string): Promise<VettedOrganization | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(vettedOrganizations).where(eq(vettedOrganizations.id, id)).limit(1);
  return row ?? null;
}

export async function vettedRecordOfVetting(db: DbOrTx, vettingId: string): Promise<VettedOrganization | null> {
  const [row] = await db.select().from(vettedOrganizations).where(eq(vettedOrganizations.vettingId, vettingId)).limit(1);
  return row ?? null;
}

/** Step 4 of an OV order: the vetted record the subject comes from, pinned on the order (idempotent). */
export async function pinVettedRecord(db: DbOrTx, input: { orderId: string; vettedOrganizationId: string; actor: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [order] = await tx.select({ pinned: orders.vettedOrganizationId }).from(orders).where(eq(orders.id, input.orderId)).for('update');
    if (!order) throw new CaError('invariantViolated', `order ${input.orderId} not found`);
    if (order.pinned === input.vettedOrganizationId) return;
    await tx.update(orders).set({ vettedOrganizationId: input.vettedOrganizationId, updatedAt: new Date() }).where(eq(orders.id, input.orderId));
    await appendAudit(tx, { actor: input.actor, event: 'order.vetted_organization', orderId: input.orderId, data: { vettedOrganizationId: input.vettedOrganizationId } });
  });
}
