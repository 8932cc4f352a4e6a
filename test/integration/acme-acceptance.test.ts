/**
 * CP 4.1.2 and 4.4.1 through ACME. RFC 8555 has one agreement, termsOfServiceAgreed, made per account: the terms
 * (directory meta.termsOfService, this CA's repository) incorporate the CP and the CPS, so agreeing to them accepts
 * all three, and the versions in force at that moment are recorded with the account. When a new version comes into
 * force, newOrder is refused with userActionRequired and a Link to the terms (RFC 8555 §7.3.3) until the client agrees
 * again on its account; every order stores the versions its account accepted. Fetching the certificate is its
 * acceptance (CP 4.4.1). The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { acmeAccounts, certificates, orders } from '../../db/schema';
import { currentAcceptance } from '../support/acceptance';
import type { AcmeTestClient } from '../support/acme-client';
import { markIssued } from '../support/lifecycle-fixtures';
import { baseConfig, problem, registeredClient, useAcmeTestServer, withoutStateChange, zone } from './acme-fixture';
import { InMemorySigner } from '../../pki/memory-signer';
import { seedIssuingCa } from '../support/revocation-fixtures';

const s = useAcmeTestServer('acme_accept');
const current = () => currentAcceptance();
let label = 0;

describe('CP 4.1.2 through ACME: termsOfServiceAgreed accepts the terms, CP and CPS in force', () => {
  let c: AcmeTestClient;
  beforeAll(async () => {
    await seedIssuingCa(s.fresh.handle.db, new InMemorySigner());
    c = await registeredClient(s);
  });
  const accountRow = async () => (await s.fresh.handle.db.select().from(acmeAccounts).where(eq(acmeAccounts.id, c.kid!.split('/').at(-1)!)))[0]!;
  const newOrder = () => c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `a${++label}.${zone}` }] });

  it('the directory’s terms of service are this CA’s terms in the repository', () => {
    expect(c.directory.meta?.termsOfService).toBe(`${baseConfig.api.publicBaseUrl}/repository/terms`);
  });

  it('newAccount records the versions in force; each order stores them with the ACME channel', async () => {
    expect((await accountRow()).acceptedDocuments).toEqual(current());
    const res = await newOrder();
    expect(res.status).toBe(201);
    const orderId = res.headers.get('location')!.split('/').at(-1)!;
    const [o] = await s.fresh.handle.db.select().from(orders).where(eq(orders.id, orderId));
    expect(o!.acceptance).toMatchObject({ ...current(), channel: 'acme' });
  });

  it('RFC 8555 §7.3.3: once other versions are in force, newOrder asks the client to agree again, storing nothing', async () => {
    // The account agreed to a CPS version that is no longer the one in force.
    await s.fresh.handle.db.update(acmeAccounts).set({ acceptedDocuments: { ...current(), cps: '0.9' } }).where(eq(acmeAccounts.id, (await accountRow()).id));
    const res = await withoutStateChange(s, newOrder);
    expect(res.status).toBe(403);
    expect(res.headers.get('link')).toContain(`<${baseConfig.acme.termsOfService}>;rel="terms-of-service"`);
    expect(res.headers.get('link')).toContain('rel="index"');
    const p = await problem(res);
    expect(p.type).toBe('urn:ietf:params:acme:error:userActionRequired');
    expect((p as unknown as { instance: string }).instance).toBe(baseConfig.acme.termsOfService);
  });

  it('agreeing again on the account (termsOfServiceAgreed: true) records the versions in force; newOrder works again', async () => {
    const res = await c.post(c.kid!, { termsOfServiceAgreed: true });
    expect(res.status).toBe(200);
    expect((await accountRow()).acceptedDocuments).toEqual(current());
    expect((await newOrder()).status).toBe(201);
  });
});

describe('CP 4.4.1 through ACME: fetching the certificate is its acceptance', () => {
  it('is recorded once, via acme', async () => {
    const c = await registeredClient(s);
    const res = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `dl${++label}.${zone}` }] });
    const orderId = res.headers.get('location')!.split('/').at(-1)!;
    const serial = await markIssued(s.fresh.handle.db, orderId);
    const certUrl = `${c.directory.newOrder!.replace(/new-order$/, '')}cert/${serial}`;
    expect((await c.post(certUrl, '')).status).toBe(200);
    expect((await c.post(certUrl, '')).status).toBe(200);
    const [row] = await s.fresh.handle.db.select().from(certificates).where(eq(certificates.serial, serial));
    expect(row!.acceptedVia).toBe('acme');
    const entries = await s.fresh.handle.sql`select actor from audit_log where serial = ${serial} and event = 'certificate.accepted'`;
    expect(entries.map((e) => e.actor)).toEqual([`acme:${c.kid!.split('/').at(-1)}`]);
  });
});
