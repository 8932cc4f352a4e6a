/**
 * End to end: multi-perspective issuance corroboration (BR 3.2.2.9) and CAA (BR 3.2.2.8) through the API,
 * Temporal, the main worker (primary), five perspective workers on their own task queues — each with its OWN DNS
 * server as resolver, so perspectives can be made to disagree — and PostgreSQL.
 *
 * Quorum now (and from 2026-12-15) with 5 remotes: one may fail to corroborate, two may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { answerDns01, createOrder, waitForOrder, type OrderJson } from '../support/orders';

let h: Harness;
let apiKey: string;
let accountId: string;

beforeAll(async () => {
  h = await startHarness();
  ({ apiKey, id: accountId } = await h.newAccount('MPIC Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

const order = (names: string[]) => createOrder(h, apiKey, makeCsr({ names }));

/** Publishes every TXT record everywhere (then `tamper` may undo it at some perspectives), says ready, waits. */
async function validateAndWait(o: OrderJson, tamper?: (recordName: string, value: string) => void): Promise<OrderJson> {
  await answerDns01(h, apiKey, o, tamper);
  return waitForOrder(h, apiKey, o.id);
}

async function rounds(orderId: string) {
  return h.db.sql`select c.check, c.result, c.quorum, (select count(*)::int from validation_evidence e where e.corroboration_id = c.id) as evidence
    from corroborations c where c.order_id = ${orderId} order by c.check`;
}

const perspectives = () => [...h.perspectiveDns.keys()];

describe('BR 3.2.2.9 multi-perspective issuance corroboration', () => {
  it('five local perspectives run, each on its own task queue and resolver', () => {
    expect(perspectives()).toHaveLength(5);
    expect(new Set([...h.perspectiveDns.values()].map((d) => d.port)).size).toBe(5);
    expect(h.config.mpic.perspectives.map((p) => p.taskQueue)).toEqual(perspectives().map((id) => `perspective-${id}`));
  });

  it('one lying perspective (it does not see the TXT record) still issues; the round records all six results', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const liar = perspectives()[0]!;
    const o = await order([base]);
    const done = await validateAndWait(o, (recordName) => h.perspectiveDns.get(liar)!.remove(recordName, 'TXT'));
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    const rs = await rounds(o.id);
    const dcv = rs.find((r) => r.check === 'dcv')!;
    expect(dcv.result).toBe('pass');
    expect(dcv.evidence).toBe(5);
    expect(dcv.quorum).toMatchObject({ corroborating: 4, nonCorroborating: 1, requiredRemotes: expect.any(Number), rule: 'BR 3.2.2.9' });
    const remotes = dcv.quorum.remotes as Array<{ perspective: string; outcome: string }>;
    expect(remotes.find((r) => r.perspective === liar)!.outcome).toBe('disagrees');
    const caa = rs.find((r) => r.check === 'caa')!;
    expect(caa).toMatchObject({ result: 'pass', evidence: 6 });
    // Per-perspective evidence: id, RIR region, resolver, raw answers, result.
    const ev = await h.db.sql`select perspective, region, resolver, result, raw_answers from validation_evidence
      where corroboration_id is not null and "check" = 'dcv' and fqdn = ${base}`;
    expect(ev.map((e) => e.perspective).sort()).toEqual([...perspectives()].sort());
    expect(ev.every((e) => e.region && e.resolver && e.raw_answers)).toBe(true);
    expect(ev.find((e) => e.perspective === liar)!.result).toBe('failure');
  });

  it('two lying perspectives refuse, with an error listing each perspective\'s result', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const [a, b] = perspectives();
    const o = await order([base]);
    const done = await validateAndWait(o, (recordName, value) => {
      // a: the record is missing; b: an on-path attacker's answer carries another value.
      h.perspectiveDns.get(a!)!.remove(recordName, 'TXT');
      h.perspectiveDns.get(b!)!.remove(recordName, 'TXT', value);
      h.perspectiveDns.get(b!)!.add({ name: recordName, type: 'TXT', value: 'an-attacker-value' });
    });
    expect(done.status).toBe('invalid');
    expect(done.error!.type).toBe('corroborationFailed');
    expect(done.error!.rule).toBe('BR 3.2.2.9');
    expect(done.error!.identifier).toBe(base);
    expect(done.error!.detail).toMatch(/2 of 5 remote perspectives did not corroborate/);
    // Every perspective's result, the primary's included, in the error.
    expect(done.error!.perspectives!.map((p) => p.perspective)).toEqual(['primary', ...perspectives()]);
    for (const p of perspectives()) expect(done.error!.detail).toContain(`${p} (`);
    expect(done.error!.perspectives!.filter((p) => p.outcome !== 'corroborates').map((p) => p.perspective).sort()).toEqual([a, b].sort());
    expect(done.authorizations[0]!.status).toBe('invalid');
    expect((await rounds(o.id)).find((r) => r.check === 'dcv')!.result).toBe('fail');
  });
});

describe('BR 3.2.2.8 CAA in the issuance workflow (step 3)', () => {
  it('a CAA record naming another CA refuses, citing RFC 8659 and the FQDN', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    h.dns.add({ name: base, type: 'CAA', value: { flags: 0, tag: 'issue', value: 'other-ca.example' } });
    const done = await validateAndWait(await order([`www.${base}`]));
    expect(done.status).toBe('invalid');
    expect(done.error).toMatchObject({ type: 'caa', rule: 'RFC 8659 §4.2', identifier: `www.${base}` });
    expect(done.error!.detail).toMatch(/other-ca\.example/);
  });

  it('CAA for jprs.jp restricted to this account and method ca-tbr-7 (RFC 8657) permits; one perspective seeing a hostile CAA is outvoted', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const uri = `${h.config.api.publicBaseUrl}/v1/accounts/${accountId}`;
    h.dns.add({ name: base, type: 'CAA', value: { flags: 0, tag: 'issue', value: `jprs.jp; accounturi=${uri}; validationmethods=ca-tbr-7` } });
    const liar = perspectives()[1]!;
    h.perspectiveDns.get(liar)!.remove(base, 'CAA');
    h.perspectiveDns.get(liar)!.add({ name: base, type: 'CAA', value: { flags: 0, tag: 'issue', value: ';' } });
    const o = await order([base]);
    const done = await validateAndWait(o);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    const caa = (await rounds(o.id)).find((r) => r.check === 'caa')!;
    expect(caa.quorum).toMatchObject({ corroborating: 4, nonCorroborating: 1 });
  });

  it('validationmethods that exclude the method used refuses (RFC 8657)', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    h.dns.add({ name: base, type: 'CAA', value: { flags: 0, tag: 'issue', value: 'jprs.jp; validationmethods=http-01' } });
    const done = await validateAndWait(await order([base]));
    expect(done.status).toBe('invalid');
    expect(done.error).toMatchObject({ type: 'caa', rule: 'RFC 8657' });
  });
});
