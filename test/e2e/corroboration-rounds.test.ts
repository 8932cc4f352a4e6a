/**
 * A corroboration round in which the remote perspectives could not answer decided nothing (BR 3.2.2.9): after a
 * whole-CA restart, or while the perspectives' process is replaced, every remote check times out. The round is
 * stored (each perspective's unavailability as evidence), the authorization stays open, and the round is run again
 * after a pause; once the perspectives are back the order issues. Before, such an order failed (or, with the raw
 * answers stored as NULL, stayed pending forever).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerspectiveWorker } from '../../worker/perspective';
import { makeCsr } from '../support/csr';
import { eventually, runWorker, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { answerDns01, createOrder, waitForOrder } from '../support/orders';

let h: Harness;
let apiKey: string;

beforeAll(async () => {
  // Main and signing workers, but no perspective worker yet.
  h = await startHarness({ perspectives: false });
  ({ apiKey } = await h.newAccount('Corroboration Rounds Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

describe('remote perspectives away for a while', () => {
  it('the undecided round is stored, run again once they are back, and the order issues', async () => {
    const fqdn = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const order = await createOrder(h, apiKey, makeCsr({ names: [fqdn] }));
    await answerDns01(h, apiKey, order);

    // The first round: every remote check times out (ScheduleToClose 45 s); stored as failed, authorization open.
    await eventually(async () => (await h.db.sql`select 1 from corroborations where order_id = ${order.id} and result = 'fail'`).length >= 2, 120_000, 1_000);
    const [authz] = await h.db.sql`select status from authorizations where order_id = ${order.id}`;
    expect(authz!.status).toBe('valid');

    // The perspectives come back (each with its own resolver, as the harness runs them).
    for (const p of h.config.mpic.perspectives) {
      const own = h.perspectiveDns.get(p.id)!;
      h.workers.push(await runWorker(await createPerspectiveWorker(h.config, { ...p, resolver: { host: own.host, port: own.port } })));
    }
    const done = await waitForOrder(h, apiKey, order.id, { timeoutMs: 120_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('valid');

    const rounds = await h.db.sql`select "check", result, quorum from corroborations where order_id = ${order.id} order by checked_at`;
    for (const check of ['dcv', 'caa']) {
      const results = rounds.filter((r) => r.check === check).map((r) => r.result);
      expect(results[0]).toBe('fail');
      expect(results.at(-1)).toBe('pass');
    }
    const unavailable = await h.db.sql`select count(*)::int as n from validation_evidence e join corroborations c on c.id = e.corroboration_id
      where c.order_id = ${order.id} and c.result = 'fail' and e.raw_answers ? 'unavailable'`;
    expect(unavailable[0]!.n).toBeGreaterThanOrEqual(10);
    const audit = await h.db.sql`select data from audit_log where order_id = ${order.id} and event = 'mpic.failed'`;
    expect(audit.every((a) => a.data.retrying === true)).toBe(true);
  }, 300_000);
});
