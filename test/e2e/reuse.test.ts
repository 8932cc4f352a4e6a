/**
 * Issue #3, BR 4.2.1: a validation of the same applicant and FQDN is reused while policy(now) allows it (200 days
 * now): the second order's authorization is valid without a new challenge answer, CAA is still checked by every
 * perspective, and another applicant gets no such benefit. (The date rules themselves — 100 days from 2027-03-15,
 * 10 from 2029-03-15, never across a method's sunset — are pinned in domain/dcv-methods.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { eventually, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

type OrderJson = { id: string; status: string; error: unknown; authorizations: Array<{ fqdn: string; status: string; challenges: Array<{ id: string; type: string; recordName: string; recordValue: string; status: string }> }> };

async function submit(apiKey: string, names: string[]): Promise<OrderJson> {
  const res = await h.api('/v1/orders', { method: 'POST', apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: makeCsr({ names }).pem }) });
  expect(res.status).toBe(201);
  return (await res.json()) as OrderJson;
}
const poll = (apiKey: string, id: string, until: (o: OrderJson) => boolean) =>
  eventually(async () => {
    const o = (await (await h.api(`/v1/orders/${id}`, { apiKey })).json()) as OrderJson;
    return until(o) ? o : null;
  }, 120_000);

describe('BR 4.2.1 reuse of a validation', () => {
  it('the same applicant\'s second order for the name is authorized at once; another applicant must validate', async () => {
    const a = await h.newAccount('Reuse A');
    const b = await h.newAccount('Reuse B');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const first = await submit(a.apiKey, [name]);
    const ch = first.authorizations[0]!.challenges[0]!;
    h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
    await h.api(`/v1/orders/${first.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey: a.apiKey });
    expect((await poll(a.apiKey, first.id, (o) => o.status === 'valid' || o.status === 'invalid')).status).toBe('valid');
    h.dns.remove(ch.recordName, 'TXT');

    const second = await submit(a.apiKey, [name]);
    const done = await poll(a.apiKey, second.id, (o) => o.status === 'valid' || o.status === 'invalid');
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
    const o = (await (await h.api(`/v1/orders/${other.id}`, { apiKey: b.apiKey })).json()) as OrderJson;
    expect(o.status).toBe('pending');
    expect(o.authorizations[0]!.status).toBe('pending');
  });
});
