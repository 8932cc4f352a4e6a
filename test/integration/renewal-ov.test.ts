/**
 * The renewal of an OV certificate (CP 4.6–4.8 with CP 3.2.2.1; BR 4.2.1) at the REST door: the new order names the
 * predecessor's organization and reuses its vetted record while that record is valid (the workflow's step 4 pins it);
 * once the record has ended, the renewal waits at step 4 for a vetting in progress, or — with none — is refused with
 * organizationNotVetted like any OV application, nothing stored. Real PostgreSQL; Temporal is the recording fake.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { orders, vettedOrganizations, vettings } from '../../db/schema';
import { vettingWorkflowId } from '../../domain/workflow-ids';
import { InMemorySigner } from '../../pki/memory-signer';
import { currentAcceptance } from '../support/acceptance';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { markIssued, postOrder } from '../support/lifecycle-fixtures';
import { seedVettedOrganization } from '../support/ov-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';

const DAY = 86_400_000;
const config = loadConfig();
const workflows = fakeWorkflows();
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let owner: { id: string; apiKey: string };
let label = 0;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'renewal_ov' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  const { account, apiKey } = await createAccount(fresh.handle.db, { name: 'OV subscriber' });
  owner = { id: account.id, apiKey };
});
afterAll(async () => {
  await fresh?.drop();
});

/** An OV certificate of a freshly vetted organization of the owner, issued through POST /v1/orders. */
async function ovIssued() {
  const org = await seedVettedOrganization(fresh.handle.db, { accountId: owner.id });
  const names = [`www.ov${++label}.${config.dns.devZone}`];
  const order = await postOrder(app, owner.apiKey, makeCsr({ names }), { profile: 'ov', organizationId: org.organizationId });
  return { org, serial: await markIssued(fresh.handle.db, order.id) };
}

const renew = (serial: string) =>
  app.request(`/v1/certificates/${serial}/renewals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ acceptance: currentAcceptance() }),
  });

/** The vetted record ended yesterday, 398 days after its approval (BR 4.2.1). */
const endRecord = (id: string) =>
  fresh.handle.db.update(vettedOrganizations).set({ validFrom: new Date(Date.now() - 399 * DAY), validUntil: new Date(Date.now() - DAY) }).where(eq(vettedOrganizations.id, id));

const orderRow = async (id: string) => (await fresh.handle.db.select().from(orders).where(eq(orders.id, id)))[0]!;

describe('OV renewal (CP 4.6–4.8, 3.2.2.1; BR 4.2.1)', () => {
  it('names the predecessor’s organization: its vetted record, still valid, is what step 4 pins', async () => {
    const p = await ovIssued();
    const starts = workflows.calls.startIssuance.length;
    const res = await renew(p.serial);
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await orderRow(id)).toMatchObject({ profile: 'ov', organizationId: p.org.organizationId, predecessorSerial: p.serial });
    expect(workflows.calls.startIssuance.slice(starts)).toEqual([[expect.objectContaining({ orderId: id, organizationId: p.org.organizationId })]]);
  });

  it('the record ended and no vetting is in progress: refused (organizationNotVetted), nothing stored', async () => {
    const p = await ovIssued();
    await endRecord(p.org.record!.id);
    const before = (await fresh.handle.db.select({ id: orders.id }).from(orders)).length;
    const res = await renew(p.serial);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ type: '/problems/organizationNotVetted', vettingStatus: 'approved' });
    expect((await fresh.handle.db.select({ id: orders.id }).from(orders)).length).toBe(before);
  });

  it('the record ended and the organization is being vetted again: the renewal waits for that vetting at step 4', async () => {
    const p = await ovIssued();
    await endRecord(p.org.record!.id);
    const id = randomUUID();
    await fresh.handle.db.insert(vettings).values({ id, organizationId: p.org.organizationId, workflowId: vettingWorkflowId(id), status: 'awaiting-callback', expiresAt: new Date(Date.now() + 30 * DAY) });
    const res = await renew(p.serial);
    expect(res.status, await res.clone().text()).toBe(201);
    const order = await orderRow(((await res.json()) as { id: string }).id);
    expect(order).toMatchObject({ organizationId: p.org.organizationId, vettedOrganizationId: null });
  });
});
