/**
 * What a remote perspective's DNS change check (BR 3.2.2.9, 3.2.2.4.7) says, against a real development DNS server:
 * the record found corroborates; no such record (NOERROR without it, NXDOMAIN) is a "no"; a lookup that failed
 * (SERVFAIL) is not a "no" but an `error` — the perspective could not see — so the workflow may ask again
 * (workflows/corroborate.ts). Found by `npm run chaos`: a SERVFAIL counted as a "no" failed orders for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerspectiveActivities } from '../../activities/perspective';
import type { DcvCheckSpec } from '../../domain/dcv';
import { startDevDnsServer, type DevDns } from '../../scripts/lib/dev-dns';

const ZONE = 'persp.example.jp';
let dns: DevDns;
let check: ReturnType<typeof createPerspectiveActivities>;

const recordName = (label: string) => `_acme-challenge.${label}.${ZONE}`;
const spec = (label: string): DcvCheckSpec => ({
  method: '3.2.2.4.7',
  fqdn: `${label}.${ZONE}`,
  authorizationDomainName: `${label}.${ZONE}`,
  recordName: recordName(label),
  token: 'the-random-value',
});

beforeAll(async () => {
  dns = await startDevDnsServer({ host: '127.0.0.1', port: 0, adminPort: 0, zone: ZONE });
  check = createPerspectiveActivities({
    perspective: { id: 'test', region: 'RIPE', resolver: { host: dns.host, port: dns.port } },
    caaIssuerDomain: 'jprs.jp',
    caaClimbStopsAt: ZONE,
    http: { allowLoopback: true },
    clock: () => new Date(),
  });
});
afterAll(async () => {
  await dns?.stop();
});

describe('a remote perspective\'s DNS change check', () => {
  it('corroborates when the record carries the random value', async () => {
    dns.add({ name: recordName('found'), type: 'TXT', value: 'the-random-value' });
    expect((await check.perspectiveCheckDcv(spec('found'))).outcome).toBe('corroborates');
  });

  it('disagrees when the name has no such record', async () => {
    dns.add({ name: recordName('other'), type: 'TXT', value: 'another-value' });
    expect((await check.perspectiveCheckDcv(spec('other'))).outcome).toBe('disagrees');
    expect((await check.perspectiveCheckDcv(spec('absent'))).outcome).toBe('disagrees');
  });

  it('reports an error, not a "no", when the lookup fails with SERVFAIL', async () => {
    dns.add({ name: recordName('servfail'), type: 'TXT', value: 'the-random-value' });
    dns.setServfail(recordName('servfail'), true);
    const r = await check.perspectiveCheckDcv(spec('servfail'));
    expect(r.outcome).toBe('error');
    expect(r.detail).toMatch(/SERVFAIL/);
  });
});
