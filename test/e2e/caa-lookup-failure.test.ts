/**
 * End to end: a CAA lookup that fails (BR 3.2.2.8: never permission) ends the order as the DNS failure it is —
 * kind `dnsLookupFailed` (ACME `dns`, as other CAs report "SERVFAIL looking up CAA") with the resolver's answer in the
 * detail — not as `caa`, which says that a CAA record forbids this CA. The SERVFAIL here is the development DNS
 * server's; the production topology test gets the same from a validating resolver on a DNSSEC-bogus zone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { answerDns01, createOrder, waitForOrder } from '../support/orders';

let h: Harness;
let apiKey: string;

beforeAll(async () => {
  h = await startHarness();
  ({ apiKey } = await h.newAccount('CAA Lookup Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

describe('a CAA lookup failure (BR 3.2.2.8)', () => {
  it('fails the order with dnsLookupFailed naming the failed lookup, after DCV passed', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const o = await createOrder(h, apiKey, makeCsr({ names: [name] }));
    // The name's own RRsets (CAA among them) SERVFAIL everywhere; its DCV record lives at _acme-challenge.<name>.
    h.dns.setServfail(name, true);
    await answerDns01(h, apiKey, o);
    const done = await waitForOrder(h, apiKey, o.id);
    expect(done.status).toBe('invalid');
    expect(done.authorizations[0]!.challenges.some((c) => c.status === 'valid')).toBe(true);
    expect(done.error).toMatchObject({ type: 'dnsLookupFailed', rule: 'BR 3.2.2.8', identifier: name });
    expect(done.error!.detail).toContain(`CAA lookup of ${name} failed: SERVFAIL`);
  });
});
