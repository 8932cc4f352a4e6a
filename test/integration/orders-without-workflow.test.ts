/**
 * An order stored without its workflow (found by `npm run chaos`: the door was killed between storing the order and
 * starting its workflow — its applicant got no answer and retried with a new order): nothing would ever move it. The
 * sweep removes such orders as a failed start does (api/order-intake.ts), after a grace period so that an intake in
 * progress is never touched, and keeps every order whose workflow exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOrdersWithoutWorkflow } from '../../api/order-intake';
import { createAccount, createOrder } from '../../db/repositories';
import { freshDatabase, storedDvOrder } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let accountId: string;

const order = (name: string) => storedDvOrder(accountId, name);

beforeAll(async () => {
  fresh = await freshDatabase();
  accountId = (await createAccount(fresh.handle.db, { name: 'Sweep' })).account.id;
});
afterAll(async () => {
  await fresh?.drop();
});

describe('orders stored without their workflow', () => {
  it('are removed (audited as aborted) once past the grace period; orders with a workflow stay', async () => {
    const workflows = fakeWorkflows();
    const db = fresh.handle.db;
    const started = await createOrder(db, order('started.example.jp'));
    await workflows.startIssuance({ orderId: started.id, fqdns: [], authorizations: [], signingTaskQueue: 'q', dcvCheckWindowSeconds: 1 });
    const orphan = await createOrder(db, order('orphan.example.jp'));
    const inProgress = new Date(Date.now() - 1_000);

    // Within the grace period nothing is touched: the door may still be starting the workflow.
    expect(await removeOrdersWithoutWorkflow({ db, workflows }, { since: new Date(Date.now() - 3_600_000), before: inProgress })).toEqual([]);

    const removed = await removeOrdersWithoutWorkflow({ db, workflows }, { since: new Date(Date.now() - 3_600_000), before: new Date(Date.now() + 1_000) });
    expect(removed).toEqual([orphan.id]);
    const left = await fresh.handle.sql`select id from orders`;
    expect(left.map((o) => o.id)).toEqual([started.id]);
    const [audit] = await fresh.handle.sql`select actor, data from audit_log where event = 'order.aborted' and order_id = ${orphan.id}`;
    expect(audit).toMatchObject({ actor: 'system', data: { reason: expect.stringMatching(/no workflow/) } });
  });

  it('leaves everything alone when Temporal cannot say whether a workflow exists', async () => {
    const workflows = fakeWorkflows({ fail: ['issuanceExists'] });
    const db = fresh.handle.db;
    const o = await createOrder(db, order('unknown.example.jp'));
    await expect(removeOrdersWithoutWorkflow({ db, workflows }, { since: new Date(Date.now() - 3_600_000), before: new Date(Date.now() + 1_000) })).rejects.toThrow();
    expect((await fresh.handle.sql`select id from orders where id = ${o.id}`).length).toBe(1);
  });
});
