/**
 * BR 4.2.1: a validation of the same applicant and FQDN is reused while policy(now) allows it (200 days
 * now): the second order's authorization is valid without a new challenge answer, CAA is still checked by every
 * perspective, and another applicant gets no such benefit. (The date rules themselves — 100 days from 2027-03-15,
 * 10 from 2029-03-15, never across a method's sunset — are pinned in domain/dcv-methods.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createOrder, dns01, getOrder, sayReady, waitForOrder } from '../support/orders';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const submit = (apiKey: string, names: string[]) => createOrder(h, apiKey, makeCsr({ names }));

describe('BR 4.2.1 reuse of a validation', () => {
  it('the same applicant\'s second order for the name is authorized at once; another applicant must validate', async () => {
    const a = await h.newAccount('Reuse A');
    const b = await h.newAccount('Reuse B');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const first = await submit(a.apiKey, [name]);
    const ch = dns01(first.authorizations[0]!);
    h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
    await sayReady(h, a.apiKey, first.id, ch.id);
    expect((await waitForOrder(h, a.apiKey, first.id)).status).toBe('valid');
    h.dns.remove(ch.recordName, 'TXT');

    const second = await submit(a.apiKey, [name]);
    const done = await waitForOrder(h, a.apiKey, second.id);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    expect(done.authorizations[0]!.status).toBe('valid');
    // No challenge of the second order was answered; the audit log says where the validation came from.
    expect(done.authorizations[0]!.challenges.every((c) => c.status === 'pending')).toBe(true);
    const [audit] = await h.db.sql`select data from audit_log where event = 'authorization.reused' and order_id = ${second.id}`;
    expect(audit!.data).toMatchObject({ fqdn: name, method: '3.2.2.4.7' });
    // CAA was corroborated again (a retry never reuses corroborations); DCV was not re-run.
    const rounds = await h.db.sql`select c."check", c.result from corroborations c where c.order_id = ${second.id}`;
    expect(rounds).toEqual([{ check: 'caa', result: 'pass' }]);

    const other = await submit(b.apiKey, [name]);
    await new Promise((r) => setTimeout(r, 2000));
    const o = await getOrder(h, b.apiKey, other.id);
    expect(o.status).toBe('pending');
    expect(o.authorizations[0]!.status).toBe('pending');
  });
});
