/**
 * The effects of an organization vetting (workflows/vetOrganization.ts) and of OV issuance step 4: PostgreSQL only,
 * each idempotent (a retried or replayed call leaves the same rows). The workflow passes ids; the evidence, the
 * organization and the representative's data are read here. The doors authenticate operators and check their roles;
 * approval checks again, from the database, that the approver is an active `approver` who recorded no evidence for
 * this vetting and that the evidence CP 3.2.2.1 and 3.2.5 need is there.
 */
import type { Db } from '../db/client';
import { getOperator } from '../db/repositories/operators';
import { getOrganization, getVetting, latestVetting, ordersAwaitingVetting, setVettingStatus } from '../db/repositories/organizations';
import { getOrderDetail } from '../db/repositories/orders';
import { findRegistryRecord } from '../db/repositories/registry';
import {
  addEvidence,
  createVettedRecord,
  evidenceOf,
  evidenceRecorders,
  pinVettedRecord,
  settleEvidence,
  validVettedRecord,
  vettedRecordOfVetting,
} from '../db/repositories/vetted-organizations';
import { appendAudit } from '../db/repositories/audit';
import { CaError, storedFailure, type StoredFailure } from '../domain/errors';
import { matchRegistryRecord, type RegistryMatch } from '../domain/registry-match';
import { fourEyesRefusal, isFinalVettingStatus, vettedRecordValidity, type VettingStatus } from '../domain/vetting';
import { createVettingNotices, type VettingMailConfig } from './vetting-notices';

export interface VettingDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly mail: VettingMailConfig;
}

/** What OV issuance step 4 finds for an order's organization. */
export type VettingGate =
  | { readonly state: 'valid'; readonly vettedOrganizationId: string; readonly validUntil: string }
  | { readonly state: 'waiting'; readonly vettingId: string; readonly status: VettingStatus }
  | { readonly state: 'failed'; readonly failure: StoredFailure };

const passingOutcomes = new Set(['verified', 'confirmed']);

export function createVettingActivities({ db, clock, mail }: VettingDeps) {
  const vettingOf = async (vettingId: string) => {
    const v = await getVetting(db, vettingId);
    const org = v ? await getOrganization(db, v.organizationId) : null;
    if (!v || !org) throw new CaError('invariantViolated', `vetting ${vettingId} or its organization not found`);
    return { vetting: v, organization: org };
  };

  return {
    ...createVettingNotices({ db, clock, mail, vettingOf }),

    /** Step 1 (CP 3.2.2.1, 3.2.2.3): the registry match, stored as evidence once (a retry returns the stored result). */
    async matchRegistry({ vettingId }: { vettingId: string }): Promise<{ matched: boolean }> {
      const existing = (await evidenceOf(db, vettingId)).find((e) => e.kind === 'registry-match');
      if (existing) return { matched: existing.data.matched === true };
      const { organization: org } = await vettingOf(vettingId);
      const record = org.corporateNumber ? await findRegistryRecord(db, org.corporateNumber) : null;
      const match: RegistryMatch = matchRegistryRecord(
        { legalName: org.legalName, corporateNumber: org.corporateNumber, prefecture: org.prefecture, city: org.city, street: org.street },
        record,
      );
      await addEvidence(db, {
        vettingId,
        kind: 'registry-match',
        operatorId: null,
        status: 'accepted',
        data: { matched: match.matched, checks: match.checks, registered: match.registered, corporateNumber: org.corporateNumber, source: 'NTA corporate-number data' },
        now: clock(),
        actor: 'workflow',
      });
      return { matched: match.matched };
    },

    /** A status change; a rejection names the approver who decided it (vettings.decided_by). */
    async setVettingStatus({ vettingId, status, decidedBy }: { vettingId: string; status: VettingStatus; decidedBy?: string }): Promise<void> {
      await setVettingStatus(db, vettingId, status, { actor: decidedBy ? `operator:${decidedBy}` : 'workflow', now: clock(), decidedBy: decidedBy ?? null });
    },

    /** An Update's evidence: it must be this vetting's, of this kind, by this operator; then it is accepted. */
    async acceptEvidence(p: { vettingId: string; evidenceId: number; operatorId: string; kind: 'document-check' | 'callback' | 'rejection' }): Promise<{ passed: boolean }> {
      const ev = (await evidenceOf(db, p.vettingId)).find((e) => e.id === p.evidenceId);
      if (!ev || ev.kind !== p.kind || ev.operatorId !== p.operatorId) {
        throw new CaError('conflict', `evidence ${p.evidenceId} is not a ${p.kind} of operator ${p.operatorId} for vetting ${p.vettingId}`);
      }
      await settleEvidence(db, { id: ev.id, vettingId: p.vettingId, status: 'accepted', now: clock(), actor: `operator:${p.operatorId}` });
      return { passed: p.kind === 'rejection' || passingOutcomes.has(String(ev.data.outcome)) };
    },

    /** Step 3: the approval — checked again from the database — and the vetted record (BR 4.2.1 validity). */
    async approveVetting({ vettingId, operatorId }: { vettingId: string; operatorId: string }): Promise<{ vettedOrganizationId: string; validUntil: string; reminderAt: string }> {
      const done = await vettedRecordOfVetting(db, vettingId);
      if (done) return { vettedOrganizationId: done.id, validUntil: done.validUntil.toISOString(), reminderAt: vettedRecordValidity(done.validFrom).reminderAt.toISOString() };
      const { organization: org } = await vettingOf(vettingId);
      const approver = await getOperator(db, operatorId);
      if (!approver || approver.status !== 'active' || !approver.roles.includes('approver')) {
        throw new CaError('forbidden', `operator ${operatorId} is not an active approver`);
      }
      const refusal = fourEyesRefusal(operatorId, await evidenceRecorders(db, vettingId));
      if (refusal) throw new CaError('separationOfDuties', refusal);
      const evidence = (await evidenceOf(db, vettingId)).filter((e) => e.status === 'accepted');
      const match = evidence.find((e) => e.kind === 'registry-match');
      const registered = match?.data.matched === true ? (match.data.registered as { name: string; prefecture: string; city: string }) : null;
      if (!registered && !evidence.some((e) => e.kind === 'document-check' && e.data.outcome === 'verified')) {
        throw new CaError('conflict', 'neither the registry nor verified documents confirm the organization (CP 3.2.2.1)');
      }
      if (!evidence.some((e) => e.kind === 'callback' && e.data.outcome === 'confirmed')) {
        throw new CaError('conflict', 'no confirmed call-back (CP 3.2.5)');
      }
      const now = clock();
      const validity = vettedRecordValidity(now);
      const record = await createVettedRecord(db, {
        organizationId: org.id,
        vettingId,
        source: registered ? 'registry' : 'documents',
        country: org.country,
        // CP 7.1.1: C, ST, L and O from what was confirmed — O in its registered form, never the applicant's spelling.
        stateOrProvince: registered?.prefecture ?? org.prefecture,
        locality: registered?.city ?? org.city,
        organizationName: registered?.name ?? org.legalName,
        corporateNumber: org.corporateNumber,
        approvedBy: operatorId,
        validFrom: validity.validFrom,
        validUntil: validity.validUntil,
        rule: validity.rule,
      });
      await addEvidence(db, { vettingId, kind: 'approval', operatorId, status: 'accepted', data: { vettedOrganizationId: record.id, validUntil: record.validUntil }, now, actor: `operator:${operatorId}` });
      await setVettingStatus(db, vettingId, 'approved', { actor: `operator:${operatorId}`, now, decidedBy: operatorId });
      return { vettedOrganizationId: record.id, validUntil: record.validUntil.toISOString(), reminderAt: validity.reminderAt.toISOString() };
    },

    /** The vetted record reached its end (BR 4.2.1): recorded; `validVettedRecord` already stops returning it. */
    async recordExpired({ vettingId }: { vettingId: string }): Promise<void> {
      const record = await vettedRecordOfVetting(db, vettingId);
      await appendAudit(db, { actor: 'workflow', event: 'vetting.record.expired', data: { vettingId, vettedOrganizationId: record?.id ?? null, validUntil: record?.validUntil ?? null } });
    },

    async ordersAwaitingVetting({ vettingId }: { vettingId: string }): Promise<{ orderIds: string[] }> {
      const { organization } = await vettingOf(vettingId);
      return { orderIds: await ordersAwaitingVetting(db, organization.id) };
    },

    /**
     * OV issuance step 4: the order's organization has a vetted record valid now → pinned on the order (its subject's
     * source); a vetting in progress → wait; otherwise the order fails with organizationNotVetted.
     */
    async pinVettedOrganization({ orderId }: { orderId: string }): Promise<VettingGate> {
      const order = await getOrderDetail(db, orderId);
      if (!order?.organizationId) throw new CaError('invariantViolated', `order ${orderId} names no organization`);
      const record = await validVettedRecord(db, order.organizationId, clock());
      if (record) {
        await pinVettedRecord(db, { orderId, vettedOrganizationId: record.id, actor: 'workflow' });
        return { state: 'valid', vettedOrganizationId: record.id, validUntil: record.validUntil.toISOString() };
      }
      const v = await latestVetting(db, order.organizationId);
      if (v && !isFinalVettingStatus(v.status)) return { state: 'waiting', vettingId: v.id, status: v.status };
      const why = !v ? 'no vetting was started' : v.status === 'approved' ? 'its vetted record is no longer valid (BR 4.2.1: 398 days)' : `its vetting was ${v.status}`;
      return {
        state: 'failed',
        failure: storedFailure('organizationNotVetted', `organization ${order.organizationId}: ${why}`, { rule: 'CP 3.2.2.1, 3.2.5', vettingId: v?.id ?? null, vettingStatus: v?.status ?? null }),
      };
    },
  };
}
