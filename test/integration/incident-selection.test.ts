/**
 * Incident selection on a real PostgreSQL (CP 4.9.1; activities/incident.ts, no Temporal): each criterion a CCADB
 * incident starts from — a serial list, a public key, a lint that now fails (the installed zlint, run again on the
 * stored DER), a CA key compromise (every unexpired certificate of one issuing key) — selects exactly the matching,
 * signed, unexpired, unrevoked certificates, page by page, and sets their ARI override (RFC 9773 §4.2) as it does —
 * which both doors then show: ACME renewal information and the REST view of the certificate give one renewal window.
 * Certificates with real DER come from test/support/issuance-fixtures.ts; the others are bulk rows without DER.
 */
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentActivities } from '../../activities/incident';
import { outboxNotices } from '../../activities/operator-notices';
import { createAcmeApp } from '../../api/acme/app';
import { certIdOf } from '../../api/acme/ari';
import { createNonceStore, usedNoncesIn } from '../../api/acme/nonces';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { createIncident } from '../../db/repositories/incidents';
import { getIssuer } from '../../db/repositories/issuers';
import { certificates, incidentCertificates, renewalOverrides } from '../../db/schema';
import type { IncidentCriteria } from '../../domain/incidents';
import { InMemorySigner } from '../../pki/memory-signer';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { seedIssuedCertificate, type IssuedFixture } from '../support/issuance-fixtures';
import { seedCertificates, type SeededCertificate } from '../support/ocsp-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';

const signer = new InMemorySigner();
const config = loadConfig();
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let acts: ReturnType<typeof createIncidentActivities>;
const real: Record<'plain' | 'tooLong' | 'leakedA' | 'leakedB', IssuedFixture> = {} as never;
let bulk: SeededCertificate[];
let expired: SeededCertificate[];
let revoked: SeededCertificate[];
let subscriber: { id: string; apiKey: string };
let issue: (over?: { validityDays?: number; subscriberKey?: string }) => Promise<IssuedFixture>;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'incident_selection' });
  const db = fresh.handle.db;
  await seedIssuingCa(db, signer);
  const dv = (await getIssuer(db, 'dv'))!;
  const { account, apiKey } = await createAccount(db, { name: 'selection subscriber' });
  subscriber = { id: account.id, apiKey };
  issue = (over = {}) => seedIssuedCertificate(db, signer, { accountId: account.id, config, issuer: dv, ...over });
  real.plain = await issue();
  // BR 6.3.2 / zlint e_tls_server_cert_valid_time_longer_than_398_days: the lint that "now fails".
  real.tooLong = await issue({ validityDays: 500 });
  // Two certificates for one subscriber key that leaked (the public key criterion).
  real.leakedA = await issue({ subscriberKey: 'leaked' });
  real.leakedB = await issue({ subscriberKey: 'leaked' });
  bulk = await seedCertificates(db, { count: 7, status: 'issued' });
  expired = await seedCertificates(db, { count: 2, status: 'issued', notAfter: new Date(Date.now() - 60_000) });
  revoked = await seedCertificates(db, { count: 2, status: 'revoked', reason: 4 });
  acts = createIncidentActivities({ db, clock: () => new Date(), notices: outboxNotices(db, config.operator), config });
}, 120_000);

afterAll(async () => {
  await fresh?.drop();
});

/** Creates an incident with `criteria` and runs its selection to the end in pages of `pageSize`. */
async function select(criteria: IncidentCriteria, pageSize = 3): Promise<{ serials: string[]; pages: number; unlintable: number }> {
  const id = randomUUID();
  await createIncident(fresh.handle.db, {
    id,
    title: 'selection test',
    reason: 4,
    criteria,
    ratePerSecond: 10,
    detectedAt: new Date(),
    deadline: new Date(Date.now() + 5 * 86_400_000),
    deadlineRule: 'BR 4.9.1.1',
    workflowId: `incident-${id}`,
    createdBy: 'operator:test',
  });
  let after = '';
  let pages = 0;
  let unlintable = 0;
  for (;;) {
    const page = await acts.selectIncidentPage({ incidentId: id, afterSerial: after, limit: pageSize });
    pages++;
    unlintable += page.unlintable;
    after = page.lastSerial;
    if (page.done) break;
  }
  const rows = await fresh.handle.db.select({ serial: incidentCertificates.serial }).from(incidentCertificates).where(eq(incidentCertificates.incidentId, id));
  return { serials: rows.map((r) => r.serial).sort(), pages, unlintable };
}

const sorted = (xs: Array<{ serial: string }>) => xs.map((x) => x.serial).sort();

describe('incident selection (CP 4.9.1): only signed, unexpired, unrevoked certificates that match', () => {
  it('a serial list (as operators paste it: upper case, leading zeros) — kept in PostgreSQL, never in the workflow', async () => {
    const listed = [bulk[0]!.serial.toUpperCase(), `00${bulk[1]!.serial}`, expired[0]!.serial, revoked[0]!.serial, 'abcdef0123'];
    const { serials } = await select({ serials: listed });
    expect(serials).toEqual(sorted([bulk[0]!, bulk[1]!]));
  });

  it('a public key: every certificate with it (SHA-256 of the SubjectPublicKeyInfo)', async () => {
    const [row] = await fresh.handle.db.select({ spki: certificates.spkiSha256 }).from(certificates).where(eq(certificates.serial, real.leakedA.serial));
    const { serials } = await select({ spkiSha256Hex: Buffer.from(row!.spki).toString('hex') });
    expect(serials).toEqual(sorted([real.leakedA, real.leakedB]));
  });

  it('a lint that now fails: the stored DER linted again with today’s zlint; what cannot be linted is counted, not selected', async () => {
    const { serials, unlintable } = await select({ issuerId: 'dv', lint: { linter: 'zlint', code: 'e_tls_server_cert_valid_time_longer_than_398_days' } }, 4);
    expect(serials).toEqual([real.tooLong.serial]);
    // The bulk rows carry no real DER (the unrevoked, unexpired ones are candidates).
    expect(unlintable).toBe(bulk.length);
  }, 60_000);

  it('a CA key compromise: every unexpired, unrevoked certificate of the issuing key, page by page, each with "renew now"', async () => {
    const { serials, pages } = await select({ issuerId: 'dv', caKeyCompromise: true }, 3);
    const expected = sorted([...Object.values(real), ...bulk]);
    expect(serials).toEqual(expected);
    expect(pages).toBe(Math.floor(expected.length / 3) + 1);
    const overrides = await fresh.handle.db.select().from(renewalOverrides).where(inArray(renewalOverrides.serial, expected));
    expect(overrides).toHaveLength(expected.length);
  });

  it('one renewal window: once selected, the REST view of the certificate says "renew now" as ACME renewal information does', async () => {
    const db = fresh.handle.db;
    const cert = await issue();
    const api = createApp({ db, workflows: fakeWorkflows(), config, clock: () => new Date() });
    const acme = createAcmeApp({ db, workflows: fakeWorkflows(), config, clock: () => new Date(), nonces: createNonceStore({ key: new Uint8Array(32), used: usedNoncesIn(db) }), eabEncryptionKey: new Uint8Array(32), baseUrl: 'https://acme.test.example/acme' });
    const dv = (await getIssuer(db, 'dv'))!;
    const windows = async () => {
      const rest = await api.request(`/v1/certificates/${cert.serial}`, { headers: { authorization: `Bearer ${subscriber.apiKey}` } });
      const ari = await acme.request(`/acme/renewal-info/${certIdOf(dv.keyIdentifier, cert.serial)}`);
      expect([rest.status, ari.status]).toEqual([200, 200]);
      const end = (w: { end: string }) => Date.parse(w.end);
      return { rest: end(((await rest.json()) as { renewalWindow: { end: string } }).renewalWindow), ari: end(((await ari.json()) as { suggestedWindow: { end: string } }).suggestedWindow) };
    };
    // Before: the middle third of the validity, ahead.
    const before = await windows();
    expect(before.rest).toBe(before.ari);
    expect(before.rest).toBeGreaterThan(Date.now());
    // Selected by an incident: a window in the past at both doors (RFC 9773 §4.2).
    expect((await select({ serials: [cert.serial] })).serials).toEqual([cert.serial]);
    const after = await windows();
    expect(after.rest).toBeLessThan(Date.now());
    expect(after.ari).toBeLessThan(Date.now());
  });
});
