/**
 * Issue #5 on a real PostgreSQL, without Temporal: the HTTP authorization rules of revocation (CP 4.9.2, 3.4, 7.2.3,
 * BR 7.2.2) as a table, the key-compromise report endpoint and its activities (CP 4.9.12), and CRL generation
 * (CP 4.9.6–4.9.7, 7.2): entries, expiry, cRLNumber under overlapping and failed runs — checked with OpenSSL.
 * The end-to-end path through Temporal and the workers is test/e2e/revocation.test.ts.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCrl } from '../../activities/crl';
import { createRevocationActivities } from '../../activities/revocation';
import { acceptApplication } from '../../api/accept';
import { createApp } from '../../api/app';
import { requestRevocation } from '../../api/revocation';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { findBlockedKey } from '../../db/repositories/blocklist';
import { getKeyCompromiseReport, crlEntries, crlEntryList, latestCrlMeta, getCrlDer, applyRevocation } from '../../db/repositories/revocation';
import { auditLog, certificates, crls, keyCompromiseReports, orders } from '../../db/schema';
import { randomSerialHex } from '../../pki/ca-hierarchy';
import { readCrl } from '../../pki/crl';
import { InMemorySigner } from '../../pki/memory-signer';
import { pemEncode } from '../../pki/pem';
import { openssl, tempDir, writeTemp } from '../../pki/test-support';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { seedCertificate, seedIssuingCa } from '../support/revocation-fixtures';

type Fresh = Awaited<ReturnType<typeof freshDatabase>>;
let fresh: Fresh;
let app: ReturnType<typeof createApp>;
const signer = new InMemorySigner();
const config = loadConfig();
const workflows = fakeWorkflows();
/** The revocation and key-compromise workflow inputs started so far. */
const started = {
  get revocations() {
    return workflows.calls.startRevocation.map(([input]) => input);
  },
  get reports() {
    return workflows.calls.startKeyCompromise.map(([input]) => input);
  },
};
const accounts: Record<'owner' | 'stranger' | 'provider' | 'otherProvider', { id: string; apiKey: string }> = {} as never;
let caFile: string;
const dir = tempDir('revocation-it-');

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'revocation' });
  const { rootDer, dvDer } = await seedIssuingCa(fresh.handle.db, signer);
  caFile = writeTemp(dir, 'ca.pem', pemEncode('CERTIFICATE', rootDer) + pemEncode('CERTIFICATE', dvDer));
  for (const [name, kind] of [['owner', 'subscriber'], ['stranger', 'subscriber'], ['provider', 'provider'], ['otherProvider', 'provider']] as const) {
    const { account, apiKey } = await createAccount(fresh.handle.db, { name, kind });
    accounts[name] = { id: account.id, apiKey };
  }
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
});
afterAll(async () => {
  await fresh?.drop();
});

const revoke = (serial: string, who: keyof typeof accounts, reason?: string | number) =>
  app.request(`/v1/certificates/${serial}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accounts[who].apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(reason === undefined ? {} : { reason }),
  });

describe('revocation over HTTP: who may ask, with which reason (CP 4.9.2, 3.4, 7.2.3; BR 7.2.2)', () => {
  it.each<[string, keyof typeof accounts, { relayedBy?: 'provider'; status?: 'precertificate' | 'revoked'; reason?: number; expired?: boolean }, string | number | undefined, number, string | null]>([
    ['CP 4.9.2: the subscriber revokes its certificate (no reason = unspecified)', 'owner', {}, undefined, 202, null],
    ['CP 4.9.2: the subscriber reports keyCompromise', 'owner', {}, 'keyCompromise', 202, null],
    ['CP 7.2.3: superseded by code', 'owner', {}, 4, 202, null],
    ['CP 4.9.2: another account cannot revoke (404, learns nothing)', 'stranger', {}, 'superseded', 404, '/problems/notFound'],
    ['CP 4.9.2: another account asking certificateHold still learns nothing', 'stranger', {}, 'certificateHold', 404, '/problems/notFound'],
    ['CP 3.4 (1): the designated provider that relayed the application', 'provider', { relayedBy: 'provider' }, 'cessationOfOperation', 202, null],
    ['CP 3.4 (1): a provider that did not relay it cannot', 'otherProvider', { relayedBy: 'provider' }, 'superseded', 404, '/problems/notFound'],
    ['CP 3.4 (1): a provider cannot revoke what nobody relayed', 'provider', {}, 'superseded', 404, '/problems/notFound'],
    ['BR 7.2.2: privilegeWithdrawn is for operators only', 'owner', {}, 'privilegeWithdrawn', 400, '/problems/badRevocationReason'],
    ['BR 7.2.2: privilegeWithdrawn refused to the provider too', 'provider', { relayedBy: 'provider' }, 9, 400, '/problems/badRevocationReason'],
    ['CP 4.9.13: certificateHold is refused', 'owner', {}, 'certificateHold', 400, '/problems/badRevocationReason'],
    ['CP 4.9.13: certificateHold refused by code 6', 'owner', {}, 6, 400, '/problems/badRevocationReason'],
    ['RFC 5280: an unknown reason is refused', 'owner', {}, 'lostTheKey', 400, '/problems/badRevocationReason'],
    ['BR 7.1.2.9: a precertificate is revocable', 'owner', { status: 'precertificate' }, 'superseded', 202, null],
    ['CP 4.9.13: a revoked certificate is not revoked again', 'owner', { status: 'revoked', reason: 4 }, 'superseded', 409, '/problems/conflict'],
    ['BR 7.2.2: a revoked certificate may be upgraded to keyCompromise', 'owner', { status: 'revoked', reason: 4 }, 'keyCompromise', 202, null],
    ['CP 4.9.6: an expired certificate is not revoked', 'owner', { expired: true }, 'superseded', 409, '/problems/conflict'],
  ])('%s', async (_rule, who, c, reason, status, type) => {
    const before = started.revocations.length;
    const { serial } = await seedCertificate(fresh.handle.db, {
      accountId: accounts.owner.id,
      providerAccountId: c.relayedBy ? accounts[c.relayedBy].id : null,
      status: c.status,
      reason: c.reason,
      notAfter: c.expired ? new Date(Date.now() - 60_000) : undefined,
    });
    const res = await revoke(serial, who, reason);
    const body = (await res.json()) as { type?: string; deadline?: string };
    expect(res.status, JSON.stringify(body)).toBe(status);
    if (type) {
      expect(body.type).toBe(type);
      expect(started.revocations.length, 'no workflow is started for a refused request').toBe(before);
    } else {
      const input = started.revocations.at(-1)!;
      expect(input.serial).toBe(serial);
      // BR 4.9.1.1: the subscriber side gets 24 hours.
      expect(Date.parse(input.deadline) - Date.parse(input.requestedAt)).toBe(24 * 3_600_000);
      expect(input.requester.kind).toBe(who === 'provider' ? 'provider' : 'subscriber');
    }
  });

  it('needs an API key', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    const res = await app.request(`/v1/certificates/${serial}/revoke`, { method: 'POST' });
    expect(res.status).toBe(401);
  });

  it('operators may use privilegeWithdrawn (5-day deadline, BR 4.9.1.1) but never certificateHold', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    const deps = { db: fresh.handle.db, workflows, config, clock: () => new Date() };
    const ok = await requestRevocation(deps, { serial, reason: 'privilegeWithdrawn', requester: { kind: 'operator', name: 'ops' }, actor: 'operator:ops' });
    expect(ok.reason).toBe('privilegeWithdrawn');
    expect(Date.parse(ok.deadline) - Date.now()).toBeGreaterThan(119 * 3_600_000);
    await expect(requestRevocation(deps, { serial, reason: 'certificateHold', requester: { kind: 'operator', name: 'ops' }, actor: 'operator:ops' })).rejects.toMatchObject({
      kind: 'badRevocationReason',
    });
  });

  it('CP 3.4 (1), 4.9.2: an order relayed through POST /v1/orders (onBehalfOf) lets the relaying provider revoke', async () => {
    // The real path sets orders.provider_account_id (no seeded column): a subscriber managed by the provider.
    const { account: shop, apiKey: shopKey } = await createAccount(fresh.handle.db, { name: 'shop', providerAccountId: accounts.provider.id });
    const res = await app.request('/v1/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${accounts.provider.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csr: makeCsr({ names: [`relay.${config.dns.devZone}`] }).pem, onBehalfOf: shop.id }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const order = (await res.json()) as { id: string };
    const [row] = await fresh.handle.db.select().from(orders).where(eq(orders.id, order.id));
    expect(row).toMatchObject({ accountId: shop.id, providerAccountId: accounts.provider.id });
    // Issuance itself is not under test here: a certificate row for that order, as storage would write it.
    const serial = randomSerialHex().replace(/^0+/, '');
    await fresh.handle.db.insert(certificates).values({
      serial, orderId: order.id, accountId: shop.id, issuerId: 'dv', spkiSha256: row!.spkiSha256, dnsNames: row!.dnsNames, status: 'issued',
      notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 100 * 86_400_000), precertDer: Uint8Array.of(0x30, 0x00), certDer: Uint8Array.of(0x30, 0x00),
    });
    const revokeAs = (apiKey: string) =>
      app.request(`/v1/certificates/${serial}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'superseded' }) });
    const before = started.revocations.length;
    expect((await revokeAs(accounts.otherProvider.apiKey)).status).toBe(404);
    expect(started.revocations.length).toBe(before);
    expect((await revokeAs(accounts.provider.apiKey)).status).toBe(202);
    expect(started.revocations.at(-1)).toMatchObject({ serial, requester: { kind: 'provider', accountId: accounts.provider.id } });
    // The subscriber keeps its own right (CP 4.9.2): it reads the certificate's status too.
    expect((await app.request(`/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${shopKey}` } })).status).toBe(200);
  });

  it('reads a certificate status: the owner and the relaying provider see it, others do not', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id, providerAccountId: accounts.provider.id, status: 'revoked', reason: 1 });
    for (const who of ['owner', 'provider'] as const) {
      const res = await app.request(`/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${accounts[who].apiKey}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ serial, status: 'revoked', reason: 'keyCompromise', crl: config.urls.dv.crl });
    }
    const other = await app.request(`/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${accounts.stranger.apiKey}` } });
    expect(other.status).toBe(404);
  });

  it('the revocation activity re-checks the rules and audits the request (it does not trust its input)', async () => {
    const acts = createRevocationActivities({ db: fresh.handle.db, clock: () => new Date() });
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    const base = { serial, actor: 'x', deadline: new Date().toISOString(), deadlineRule: 'r', workflowId: 'w' };
    await expect(acts.recordRevocation({ ...base, reason: 4, requester: { kind: 'subscriber', accountId: accounts.stranger.id } })).rejects.toThrow(/no such certificate/);
    await expect(acts.recordRevocation({ ...base, reason: 9, requester: { kind: 'subscriber', accountId: accounts.owner.id } })).rejects.toThrow(/BR 7.2.2/);
    const ok = await acts.recordRevocation({ ...base, reason: 4, requester: { kind: 'subscriber', accountId: accounts.owner.id } });
    expect(ok).toEqual({ issuerId: 'dv', changed: true });
    // Idempotent: the retry after a crash changes nothing.
    expect(await acts.recordRevocation({ ...base, reason: 4, requester: { kind: 'subscriber', accountId: accounts.owner.id } })).toEqual({ issuerId: 'dv', changed: false });
    const events = await fresh.handle.db.select({ event: auditLog.event }).from(auditLog).where(eq(auditLog.serial, serial));
    expect(events.map((e) => e.event)).toEqual(['revocation.requested', 'certificate.revoked']);
  });
});

describe('key-compromise reports (CP 4.9.12)', () => {
  const post = (body: unknown, type = 'application/json') =>
    app.request('/key-compromise', { method: 'POST', headers: { 'content-type': type }, body: type === 'application/json' ? JSON.stringify(body) : (body as Uint8Array) });

  it('takes the private key, stores only a signed statement, and the activities block the key and revoke every unexpired certificate with it', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const csr = makeCsr({ names: ['kc.example.jp'], keyPem });
    const db = fresh.handle.db;
    const accepted = await acceptApplication({ csr: csr.pem, profile: 'dv' }, { now: new Date(), config, findBlockedKey: (k) => findBlockedKey(db, k) });
    const spki = accepted.spkiSha256;
    const issued = await seedCertificate(db, { accountId: accounts.owner.id, spkiSha256: spki });
    const precert = await seedCertificate(db, { accountId: accounts.stranger.id, spkiSha256: spki, status: 'precertificate' });
    const earlier = new Date(Date.now() - 3_600_000);
    const superseded = await seedCertificate(db, { accountId: accounts.owner.id, spkiSha256: spki, status: 'revoked', reason: 4, revokedAt: earlier });
    const expired = await seedCertificate(db, { accountId: accounts.owner.id, spkiSha256: spki, notAfter: new Date(Date.now() - 1000) });
    const otherKey = await seedCertificate(db, { accountId: accounts.owner.id });

    const res = await post({ privateKey: keyPem, contact: 'reporter@example.jp' });
    const body = (await res.json()) as { id: string; spkiSha256: string; deadline: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    expect(body.spkiSha256).toBe(Buffer.from(spki).toString('hex'));
    expect(Date.parse(body.deadline) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect(started.reports.at(-1)!.reportId).toBe(body.id);

    // CP 4.9.12 / 4.12: the key is never stored — not in the report row, not in the audit log.
    // The private exponent and the primes are what must not be anywhere (the modulus is public: it is in the SPKI).
    const jwk = createPrivateKey(keyPem).export({ format: 'jwk' });
    const secrets = [jwk.d!, jwk.p!, jwk.q!].map((b64) => Buffer.from(b64, 'base64url').toString('hex').slice(0, 64));
    const [row] = await db.select().from(keyCompromiseReports).where(eq(keyCompromiseReports.id, body.id));
    const stored = JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    for (const secret of secrets) expect(stored).not.toContain(secret);
    expect(stored).not.toMatch(/PRIVATE KEY/);
    const audit = await db.select().from(auditLog);
    const auditText = JSON.stringify(audit, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    expect(auditText).not.toMatch(/PRIVATE KEY/);
    for (const secret of secrets) expect(auditText).not.toContain(secret);
    expect(row!.proofKind).toBe('privateKey');

    // What the keyCompromise workflow runs, step by step.
    const acts = createRevocationActivities({ db, clock: () => new Date() });
    await acts.verifyKeyCompromiseProof({ reportId: body.id });
    expect(await acts.blockCompromisedKey({ reportId: body.id })).toEqual({ certificatesFound: 3 });
    const batch = await acts.revokeNextBatchForKeyCompromise({ reportId: body.id, limit: 2 });
    const batch2 = await acts.revokeNextBatchForKeyCompromise({ reportId: body.id, limit: 2 });
    expect((await acts.revokeNextBatchForKeyCompromise({ reportId: body.id, limit: 2 })).serials).toEqual([]);
    expect([...batch.serials, ...batch2.serials].sort()).toEqual([issued.serial, precert.serial, superseded.serial].sort());
    const rows = await db.select().from(certificates).where(inArray(certificates.serial, [issued.serial, precert.serial, superseded.serial, expired.serial, otherKey.serial]));
    const by = Object.fromEntries(rows.map((r) => [r.serial, r]));
    for (const s of [issued.serial, precert.serial, superseded.serial]) expect(by[s]).toMatchObject({ status: 'revoked', revocationReason: 1 });
    // BR 7.2.2: the reason is upgraded, the revocation date stands.
    expect(by[superseded.serial]!.revokedAt!.getTime()).toBe(earlier.getTime());
    expect(by[expired.serial]!.status).toBe('issued');
    expect(by[otherKey.serial]!.status).toBe('issued');
    await acts.completeKeyCompromiseReport({ reportId: body.id, overdue: false });
    expect(await getKeyCompromiseReport(db, body.id)).toMatchObject({ status: 'completed', certificatesFound: 3, certificatesRevoked: 3 });

    // BR 6.1.1.3: a new application with the key is refused.
    await expect(acceptApplication({ csr: csr.pem, profile: 'dv' }, { now: new Date(), config, findBlockedKey: (k) => findBlockedKey(db, k) })).rejects.toMatchObject({ kind: 'badPublicKey' });
  });

  it('takes a CSR signed by the key whose CN states the compromise (application/pkcs10)', async () => {
    const csr = makeCsr({ names: [], cn: 'This key is compromised' });
    const res = await post(csr.der, 'application/pkcs10');
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    const acts = createRevocationActivities({ db: fresh.handle.db, clock: () => new Date() });
    await acts.verifyKeyCompromiseProof({ reportId: body.id });
    expect((await getKeyCompromiseReport(fresh.handle.db, body.id))!.status).toBe('verified');
  });

  it.each<[string, () => unknown, string]>([
    ['CP 4.9.12: a CSR whose CN does not state the compromise proves nothing', () => ({ csr: makeCsr({ names: ['www.example.jp'] }).pem }), '/problems/badCsr'],
    ['one proof at a time', () => ({ csr: makeCsr({ names: [], cn: 'compromised' }).pem, privateKey: makeCsr({ names: ['a.example.jp'] }).keyPem }), '/problems/malformed'],
    ['no proof', () => ({ contact: 'x@example.jp' }), '/problems/malformed'],
    ['not a key', () => ({ privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), '/problems/malformed'],
    [
      'an encrypted key is refused (we do not take passphrases)',
      () => ({ privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }).toString() }),
      '/problems/malformed',
    ],
  ])('%s', async (_rule, body, type) => {
    const before = started.reports.length;
    const res = await post(body());
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe(type);
    expect(started.reports.length).toBe(before);
  });

  it('rejects a stored proof that does not verify (a statement signed by another key)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await post({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    const { id } = (await res.json()) as { id: string };
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    await fresh.handle.db.update(keyCompromiseReports).set({ spkiDer: new Uint8Array(other) }).where(eq(keyCompromiseReports.id, id));
    const acts = createRevocationActivities({ db: fresh.handle.db, clock: () => new Date() });
    await expect(acts.verifyKeyCompromiseProof({ reportId: id })).rejects.toThrow(/does not verify/);
    expect((await getKeyCompromiseReport(fresh.handle.db, id))!.status).toBe('rejected');
  });
});

describe('CRL generation (CP 4.9.6–4.9.7, 7.2; BR 7.2)', () => {
  const deps = () => ({ db: fresh.handle.db, signer, config, clock: () => new Date() });

  it('lists revoked unexpired certificates with their reasons; an expired one appears on one CRL after expiry, then drops', async () => {
    const db = fresh.handle.db;
    const revoked = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 5 });
    const soon = new Date(Date.now() + 1500);
    const expiring = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 1, notAfter: soon });
    const first = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    const firstDer = (await getCrlDer(db, first.crlId))!;
    const file = writeTemp(dir, 'first.crl', firstDer);
    const verify = openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout', '-verify', '-text']);
    expect(verify.out).toMatch(/verify OK/);
    expect(verify.out).toContain(revoked.serial.toUpperCase());
    expect(verify.out).toContain(expiring.serial.toUpperCase());
    // Let it expire (thisUpdate is in whole seconds: wait past the next second boundary).
    await new Promise((r) => setTimeout(r, Math.max(0, soon.getTime() - Date.now() + 1100)));
    // Expired before this CRL: still listed, once (CP 4.9.6 / BR 4.9.7 "appeared on at least one CRL after expiry").
    const second = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    expect(new Date(second.thisUpdate).getTime()).toBeGreaterThan(soon.getTime());
    const secondText = openssl(['crl', '-inform', 'DER', '-noout', '-text'], (await getCrlDer(db, second.crlId))!).out;
    expect(secondText).toContain(expiring.serial.toUpperCase());
    const third = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    const thirdText = openssl(['crl', '-inform', 'DER', '-noout', '-text'], (await getCrlDer(db, third.crlId))!).out;
    expect(thirdText).not.toContain(expiring.serial.toUpperCase());
    expect(thirdText).toContain(revoked.serial.toUpperCase());
  });

  it('cRLNumber strictly increases and is never reused across overlapping and failed runs', async () => {
    const db = fresh.handle.db;
    const runs = await Promise.all(Array.from({ length: 6 }, () => generateCrl(deps(), { issuerId: 'dv', trigger: 'overlap' })));
    const numbers = runs.map((r) => BigInt(r.crlNumber));
    expect(new Set(numbers).size).toBe(runs.length);
    // Ordered by number, thisUpdate never goes back (the per-issuer lock serializes the runs).
    const rows = await db.select({ n: crls.crlNumber, t: crls.thisUpdate }).from(crls).where(eq(crls.issuerId, 'dv')).orderBy(crls.crlNumber);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.t.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.t.getTime());
    // A run that dies after drawing its number (here: the signer fails) burns it: the next CRL never reuses it.
    const before = (await latestCrlMeta(db, 'dv'))!.crlNumber;
    const failing = { ...deps(), signer: { signSha256Rsa: async () => { throw new Error('HSM gone'); }, publicKeySpki: signer.publicKeySpki.bind(signer) } };
    await expect(generateCrl(failing, { issuerId: 'dv', trigger: 'crash' })).rejects.toThrow(/HSM gone/);
    const after = await generateCrl(deps(), { issuerId: 'dv', trigger: 'after-crash' });
    expect(BigInt(after.crlNumber)).toBe(before + 2n);
    expect(readCrl((await getCrlDer(db, after.crlId))!).crlNumber).toBe(before + 2n);
  });

  it('reads the entries as columns, serial and reason intact (reason 0 stays without reasonCode)', async () => {
    const db = fresh.handle.db;
    const { serial } = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 0 });
    const entries = crlEntryList(await crlEntries(db, 'dv', null));
    expect(entries.find((e) => e.serialHex === serial)).toMatchObject({ reason: 0 });
    await applyRevocation(db, { serial, reason: 1, at: new Date(), actor: 'test' });
    expect(crlEntryList(await crlEntries(db, 'dv', null)).find((e) => e.serialHex === serial)).toMatchObject({ reason: 1 });
  });
});
