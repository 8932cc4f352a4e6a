/**
 * Nothing waits for nothing (docs/RELIABILITY.md): an order the CA cannot move on shows as stuck — search attribute
 * CaStatus=stuck and the `progress` query — instead of `processing` forever; a write the database refuses for good
 * ends the order with that failure instead of being retried forever; and when even that failure cannot be recorded,
 * the order is flagged stuck and its workflow fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { orderWorkflowId, progressQuery, type IssuanceProgress } from '../../workflows/contracts';
import { createMainWorker } from '../../worker/main';
import { createSigningWorker } from '../../worker/signing';
import { makeCsr } from '../support/csr';
import { eventually, runWorker, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { ownerDatabaseUrl } from '../support/database';
import { answerDns01, createOrder, waitForOrder, type OrderJson } from '../support/orders';

let h: Harness;
let apiKey: string;

beforeAll(async () => {
  // No signing worker at first: the first order waits for it. Orders flag themselves after 10 s without a step.
  h = await startHarness({ workers: false, env: { CA_STUCK_AFTER_SECONDS: '10' } });
  h.workers.push(await runWorker(await createMainWorker(h.config)));
  ({ apiKey } = await h.newAccount('Stuck Orders Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

const handle = (orderId: string) => h.temporal.workflow.getHandle(orderWorkflowId(orderId));
const caStatus = async (orderId: string) => ((await handle(orderId).describe()).searchAttributes as Record<string, unknown[]>).CaStatus?.[0];
const progress = (orderId: string): Promise<IssuanceProgress> => handle(orderId).query(progressQuery);

async function orderAnswered(): Promise<OrderJson> {
  const order = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
  await answerDns01(h, apiKey, order);
  return order;
}

/**
 * A trigger that refuses (SQLSTATE 23514, as a CHECK would) every update of the order to one of `statuses` — made by
 * the owner role: the services' runtime role cannot create functions or triggers (db/migrations/0011_database_roles.sql).
 */
async function refuseOrderUpdates(orderId: string, statuses: string[]): Promise<() => Promise<void>> {
  const name = `test_refuse_${orderId.replace(/-/g, '')}`;
  const owner = createDb(ownerDatabaseUrl(), { max: 1 });
  await owner.sql.unsafe(`create or replace function ${name}() returns trigger language plpgsql as $$
    begin raise exception 'refused by the test' using errcode = 'check_violation'; end $$`);
  await owner.sql.unsafe(`create trigger ${name} before update on orders for each row
    when (new.id = '${orderId}'::uuid and new.status in (${statuses.map((s) => `'${s}'`).join(', ')})) execute function ${name}()`);
  return async () => {
    try {
      await owner.sql.unsafe(`drop trigger if exists ${name} on orders`);
      await owner.sql.unsafe(`drop function if exists ${name}()`);
    } finally {
      await owner.close();
    }
  };
}

describe('an order waiting on the CA', () => {
  it('shows as stuck while the signing worker is away, and moves on when it is back', async () => {
    const order = await orderAnswered();
    const stuck = await eventually(async () => {
      const p = await progress(order.id);
      return p.stuck && p.step === 'signing-precertificate' && (await caStatus(order.id)) === 'stuck' ? p : null;
    }, 120_000, 1_000);
    expect(stuck.stuck).toMatchObject({ step: 'signing-precertificate', reason: expect.stringMatching(/no step for 10 s/) });
    // The order itself still says what it is doing; the flag is for operators (Temporal Web UI: CaStatus = "stuck").
    expect((await h.db.sql`select status from orders where id = ${order.id}`)[0]!.status).toBe('processing');

    h.workers.push(await runWorker(await createSigningWorker(h.config)));
    const done = await waitForOrder(h, apiKey, order.id);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    // The order is valid in PostgreSQL at step 11; the workflow sets CaStatus after the life-cycle work that follows.
    await handle(order.id).result();
    expect(await caStatus(order.id)).toBe('valid');
    expect((await progress(order.id)).stuck).toBeNull();
  });
});

describe('a write the database refuses for good', () => {
  it('ends the order invalid with invariantViolated at once, instead of retrying the write forever', async () => {
    const order = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
    const drop = await refuseOrderUpdates(order.id, ['processing']);
    try {
      await answerDns01(h, apiKey, order);
      const done = await waitForOrder(h, apiKey, order.id, { timeoutMs: 90_000 });
      expect(done.status).toBe('invalid');
      expect(done.error).toMatchObject({ type: 'invariantViolated', detail: expect.stringMatching(/SQLSTATE 23514/) });
      expect(done.certificate).toBeNull();
      expect(await caStatus(order.id)).toBe('invalid');
    } finally {
      await drop();
    }
  });

  it('flags the order stuck when even its failure cannot be recorded, and fails the workflow', async () => {
    const order = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
    const drop = await refuseOrderUpdates(order.id, ['processing', 'invalid']);
    try {
      await answerDns01(h, apiKey, order);
      const status = await eventually(async () => {
        const s = (await handle(order.id).describe()).status.name;
        return s === 'RUNNING' ? null : s;
      }, 90_000, 1_000);
      expect(status).toBe('FAILED');
      expect(await caStatus(order.id)).toBe('stuck');
      expect((await progress(order.id)).stuck).toMatchObject({ step: 'failed', reason: expect.stringMatching(/could not be recorded.*SQLSTATE 23514/) });
    } finally {
      await drop();
    }
  });
});
