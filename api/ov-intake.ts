/**
 * OV orders at intake (step 1, both doors): the organization an `ov` order names must be the applicant's, and it must
 * have a vetting — approved and still valid (BR 4.2.1), or in progress, in which case the order waits at step 4
 * (REST only: an ACME client cannot wait days, so an ACME account may order `ov` only while its organization's vetted
 * record is valid). A DV order names no organization.
 */
import type { Db } from '../db/client';
import { getOrganization, latestVetting } from '../db/repositories/organizations';
import { validVettedRecord } from '../db/repositories/vetted-organizations';
import { CaError } from '../domain/errors';
import { isFinalVettingStatus } from '../domain/vetting';

export async function ovOrganizationOf(
  db: Db,
  p: { profile: string; organizationId: string | undefined; accountId: string; now: Date; mayWait: boolean },
): Promise<{ organizationId?: string }> {
  if (p.profile !== 'ov') {
    if (p.organizationId !== undefined) throw new CaError('malformed', 'organizationId names the organization of an OV order (profile ov)');
    return {};
  }
  if (p.organizationId === undefined) throw new CaError('malformed', 'an OV order names its vetted organization: organizationId (CP 7.1.1)', { rule: 'CP 3.2.2.1' });
  // The applicant's own organization, or one its designated provider registered and relays for (CP 1.3).
  const org = await getOrganization(db, p.organizationId, p.accountId);
  if (!org) throw new CaError('notFound', `no organization ${p.organizationId} of this applicant`);
  if (await validVettedRecord(db, org.id, p.now)) return { organizationId: org.id };
  const vetting = await latestVetting(db, org.id);
  if (p.mayWait && vetting && !isFinalVettingStatus(vetting.status)) return { organizationId: org.id };
  throw new CaError('organizationNotVetted', `organization ${org.id} has no valid vetted record${p.mayWait ? ' and no vetting in progress' : ''}`, {
    rule: 'CP 3.2.2.1, 3.2.5; BR 4.2.1',
    vettingStatus: vetting?.status ?? null,
  });
}
