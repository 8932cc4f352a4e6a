/**
 * Organizations to vet (CP 3.2.2.1–3.2.2.3, 4.1.1), their vettings and uploaded documents. Registration stores the
 * organization and its first vetting in one transaction; the door then starts the `vetOrganization` workflow and
 * removes both again if it cannot (as for orders, api/order-intake.ts). Every change is audited in its transaction.
 */
import { and, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { DocumentType } from '../../domain/documents';
import type { VettingStatus } from '../../domain/vetting';
import { vettingWorkflowId } from '../../domain/workflow-ids';
import { orders, organizationDocuments, organizations, vettings } from '../schema';
import { isUuid } from './accounts';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type Organization = typeof organizations.$inferSelect;
export type Vetting = typeof vettings.$inferSelect;
export type NewOrganization = Omit<typeof organizations.$inferInsert, 'id' | 'createdAt'>;
export type OrganizationDocumentInfo = Omit<typeof organizationDocuments.$inferSelect, 'content'>;

/** A document's columns but its content (lists and upload answers never carry the bytes). */
const documentInfo = {
  id: organizationDocuments.id,
  organizationId: organizationDocuments.organizationId,
  vettingId: organizationDocuments.vettingId,
  contentType: organizationDocuments.contentType,
  fileName: organizationDocuments.fileName,
  size: organizationDocuments.size,
  sha256: organizationDocuments.sha256,
  uploadedBy: organizationDocuments.uploadedBy,
  uploadedAt: organizationDocuments.uploadedAt,
};

export async function registerOrganization(
  db: DbOrTx,
  input: { organization: NewOrganization; vettingExpiresAt: Date; actor: string },
): Promise<{ organization: Organization; vetting: Vetting }> {
  return db.transaction(async (tx) => {
    const [organization] = await tx.insert(organizations).values(input.organization).returning();
    const [{ id }] = (await tx.execute<{ id: string }>(sql`select gen_random_uuid()::text as id`)) as unknown as [{ id: string }];
    const [vetting] = await tx
      .insert(vettings)
      .values({ id, organizationId: organization!.id, workflowId: vettingWorkflowId(id), expiresAt: input.vettingExpiresAt })
      .returning();
    await appendAudit(tx, {
      actor: input.actor,
      event: 'organization.registered',
      data: { organizationId: organization!.id, accountId: organization!.accountId, corporateNumber: organization!.corporateNumber, legalName: organization!.legalName, vettingId: id },
    });
    return { organization: organization!, vetting: vetting! };
  });
}

/** The workflow could not be started: the registration is withdrawn (the applicant retries), with an audit entry. */
export async function withdrawRegistration(db: DbOrTx, ids: { organizationId: string; vettingId: string }, opts: { actor: string; reason: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(vettings).where(eq(vettings.id, ids.vettingId));
    await tx.delete(organizations).where(eq(organizations.id, ids.organizationId));
    await appendAudit(tx, { actor: opts.actor, event: 'organization.withdrawn', data: { ...ids, reason: opts.reason } });
  });
}

/** The organization, if `accountId` (when given) is its subscriber or the provider that registered it. */
export async function getOrganization(db: DbOrTx, id: string, accountId?: string): Promise<Organization | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id)).limit(1);
  if (!row || (accountId !== undefined && row.accountId !== accountId && row.providerAccountId !== accountId)) return null;
  return row;
}

export async function listOrganizations(db: DbOrTx, accountId: string): Promise<Organization[]> {
  return db
    .select()
    .from(organizations)
    .where(or(eq(organizations.accountId, accountId), eq(organizations.providerAccountId, accountId)))
    .orderBy(desc(organizations.createdAt))
    .limit(100);
}

export async function getVetting(db: DbOrTx, id: string): Promise<Vetting | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(vettings).where(eq(vettings.id, id)).limit(1);
  return row ?? null;
}

/** The organization's most recent vetting. */
export async function latestVetting(db: DbOrTx, organizationId: string): Promise<Vetting | null> {
  const [row] = await db.select().from(vettings).where(eq(vettings.organizationId, organizationId)).orderBy(desc(vettings.createdAt)).limit(1);
  return row ?? null;
}

/** The vetting queue: vettings (newest first) with their organization's name and number, optionally by status. */
export async function listVettings(db: DbOrTx, opts: { statuses?: readonly VettingStatus[]; limit?: number } = {}) {
  return db
    .select({ vetting: vettings, legalName: organizations.legalName, corporateNumber: organizations.corporateNumber })
    .from(vettings)
    .innerJoin(organizations, eq(organizations.id, vettings.organizationId))
    .where(opts.statuses?.length ? inArray(vettings.status, [...opts.statuses]) : undefined)
    .orderBy(desc(vettings.createdAt))
    .limit(opts.limit ?? 200);
}

/** A status change of a vetting (the workflow's activities), audited from → to; a final status also sets decidedAt. */
export async function setVettingStatus(
  db: DbOrTx,
  vettingId: string,
  status: VettingStatus,
  opts: { actor: string; now: Date; decidedBy?: string | null },
): Promise<Vetting> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(vettings).where(eq(vettings.id, vettingId)).for('update');
    if (!current) throw new CaError('invariantViolated', `vetting ${vettingId} not found`);
    if (current.status === status) return current;
    const final = status === 'approved' || status === 'rejected' || status === 'expired';
    const [row] = await tx
      .update(vettings)
      .set({ status, updatedAt: opts.now, ...(final ? { decidedAt: opts.now, decidedBy: opts.decidedBy ?? null } : {}) })
      .where(eq(vettings.id, vettingId))
      .returning();
    await appendAudit(tx, { actor: opts.actor, event: 'vetting.status', data: { vettingId, from: current.status, to: status } });
    return row!;
  });
}

export async function storeDocument(
  db: DbOrTx,
  input: { organizationId: string; vettingId: string; contentType: DocumentType; fileName: string | null; content: Uint8Array; sha256: Uint8Array; uploadedBy: string },
): Promise<OrganizationDocumentInfo> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(organizationDocuments)
      .values({ ...input, size: input.content.byteLength })
      .returning(documentInfo);
    await appendAudit(tx, {
      actor: `account:${input.uploadedBy}`,
      event: 'organization.document.uploaded',
      data: { documentId: row!.id, vettingId: input.vettingId, contentType: input.contentType, size: row!.size, sha256: input.sha256 },
    });
    return row!;
  });
}

/** The documents of a vetting, without their content. */
export async function documentsOf(db: DbOrTx, vettingId: string): Promise<OrganizationDocumentInfo[]> {
  return db.select(documentInfo).from(organizationDocuments).where(eq(organizationDocuments.vettingId, vettingId)).orderBy(organizationDocuments.uploadedAt);
}

export async function getDocument(db: DbOrTx, id: string) {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(organizationDocuments).where(eq(organizationDocuments.id, id)).limit(1);
  return row ?? null;
}

/** OV orders of the organization that may be waiting for its vetting (step 4): not final, no vetted record pinned yet. */
export async function ordersAwaitingVetting(db: DbOrTx, organizationId: string): Promise<string[]> {
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.organizationId, organizationId), inArray(orders.status, ['pending', 'ready']), isNull(orders.vettedOrganizationId)));
  return rows.map((r) => r.id);
}
