/**
 * DNSSEC in the production topology (POLICY-2026: from 2026-03-15 the primary perspective validates DNSSEC on every
 * DCV and CAA query): Knot signs the dev zone and applies dynamic updates (`npm run dns` edits it through the same
 * admin API as in development); the validating Unbound sets the AD bit; under the deliberately broken subzone
 * (bad signatures) DCV and CAA lookups fail as `dnsLookupFailed`, naming the DNSSEC failure the resolver reported.
 */
import { describe, expect, it } from 'vitest';
import { queryDns } from '../../activities/validation/dns-client';
import { hostPort } from '../../config/settings';
import { makeCsr } from '../support/csr';
import { uniqueLabel } from '../support/ca-harness';
import { createOrder, dns01, sayReady, waitForOrder, type OrderJson } from '../support/orders';
import { runScript, useStack } from './stack-client';

const t = useStack();



/** `npm run dns -- <args>` against the stack's admin API. */
const npmRunDns = (args: string[]) => runScript('dns.ts', args, { CA_DEV_DNS_ADMIN_PORT: new URL(t.c.state.dnsAdminUrl).port });

/** Says ready for every authorization's dns-01 challenge (records published beforehand, or none at all). */
async function readyAndWait(order: OrderJson): Promise<OrderJson> {
  for (const a of order.authorizations) await sayReady(t.c, t.apiKey, order.id, dns01(a).id);
  return waitForOrder(t.c, t.apiKey, order.id, { timeoutMs: 120_000 });
}

const DNSSEC_BOGUS = 'DNSSEC validation failed: EDE 6 DNSSEC Bogus';

describe('DNSSEC', () => {
  it('the dev zone is signed and validated (AD bit); `npm run dns` adds and removes records by dynamic update to Knot', async () => {
    const resolver = hostPort(t.c.state.resolver);
    const name = `_acme-challenge.${t.c.name()}`;
    const added = npmRunDns(['add', 'TXT', name, 'topology-value', '--ttl', '0']);
    expect(added.status, added.out).toBe(0);
    const answer = await queryDns(resolver, name, 'TXT', { dnssecOk: true });
    expect(answer).toMatchObject({ rcode: 'NOERROR', authenticatedData: true });
    expect(answer.answers.filter((a) => a.type === 'TXT').map((a) => a.data)).toEqual(['topology-value']);
    expect(npmRunDns(['list']).out).toContain(`${name}.\t0\tIN\tTXT\t"topology-value"`);

    expect(npmRunDns(['rm', 'TXT', name]).status).toBe(0);
    // The validated denial of existence (NSEC signed by Knot): NXDOMAIN with the AD bit.
    const gone = await queryDns(resolver, name, 'TXT', { dnssecOk: true });
    expect(gone).toMatchObject({ rcode: 'NXDOMAIN', authenticatedData: true });
  });

  it('the resolver refuses the broken subzone: SERVFAIL with Extended DNS Error 6 (DNSSEC Bogus)', async () => {
    const answer = await queryDns(hostPort(t.c.state.resolver), `www.${t.c.state.bogusZone}`, 'CAA', { dnssecOk: true });
    expect(answer.rcode).toBe('SERVFAIL');
    expect(answer.extendedErrors).toEqual([expect.objectContaining({ code: 6, purpose: 'DNSSEC Bogus', text: expect.stringMatching(/signature crypto failed/) })]);
  });

  it('DCV of a name in the broken subzone fails: dnsLookupFailed, naming the DNSSEC failure', async () => {
    const name = `${uniqueLabel()}.${t.c.state.bogusZone}`;
    const done = await readyAndWait(await createOrder(t.c, t.apiKey, makeCsr({ names: [name] })));
    expect(done.status).toBe('invalid');
    expect(done.error).toMatchObject({ type: 'dnsLookupFailed', detail: `domain validation failed for: ${name}` });
    // The challenge's own error carries every lookup's outcome (the order's names the FQDN).
    const challenge = done.authorizations[0]!.challenges.find((x) => x.type === 'dns-01')!;
    expect(challenge.error).toMatchObject({ type: 'dnsLookupFailed', detail: expect.stringContaining(`lookup of _acme-challenge.${name} failed: SERVFAIL (${DNSSEC_BOGUS}`) });
  });

  it('CAA of a name whose CNAME leads into the broken subzone fails the same way, after DCV passed', async () => {
    const name = t.c.name();
    await t.c.dns('POST', '/records', { name, type: 'CNAME', value: `www.${t.c.state.bogusZone}`, ttl: 0 });
    const order = await createOrder(t.c, t.apiKey, makeCsr({ names: [name] }));
    const ch = dns01(order.authorizations[0]!);
    await t.c.dns('POST', '/records', { name: ch.recordName, type: 'TXT', value: ch.recordValue, ttl: 0 });
    const done = await readyAndWait(order);
    expect(done.status).toBe('invalid');
    expect(done.authorizations[0]!.challenges.find((x) => x.id === ch.id)!.status).toBe('valid');
    expect(done.error).toMatchObject({ type: 'dnsLookupFailed', rule: 'BR 3.2.2.8', identifier: name });
    expect(done.error!.detail).toContain(`CAA lookup of ${name} failed: SERVFAIL (${DNSSEC_BOGUS}`);
  });
});
