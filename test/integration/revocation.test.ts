/**
 * Revocation on a real PostgreSQL, without Temporal (a recording CaWorkflows): the HTTP authorization rules of
 * revocation (CP 4.9.2, 3.4, 7.2.3, BR 7.2.2) as a table, the one revocation entry point and its audit entry
 * (BR 5.4.1: one per request), and the key-compromise report endpoint and its activities (CP 4.9.12).
 * CRL generation: test/integration/crl-generation.test.ts. The end-to-end path through Temporal and the workers is
 * test/e2e/revocation.test.ts.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationActivities } from '../../activities/revocation';
import { acceptApplication } from '../../api/accept';
import { createApp } from '../../api/app';
import { submitRevocation } from '../../api/revocation-requests';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { findBlockedKey } from '../../db/repositories/blocklist';
import { normalizeSerial } from '../../db/repositories/certificates';
import { getKeyCompromiseReport } from '../../db/repositories/revocation';
import { auditLog, certificates, keyCompromiseReports, orders } from '../../db/schema';
import { randomSerialHex } from '../../pki/ca-hierarchy';
import { parseCertificate } from '../../pki/certificate';
import { InMemorySigner } from '../../pki/memory-signer';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { countAuditEvents, recordAsWorkflowWould } from '../support/revocation-audit';
import { seedCertificate, seedIssuingCa } from '../support/revocation-fixtures';
import { currentAcceptance } from '../support/acceptance';

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
let dvDer: Uint8Array;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'revocation' });
  ({ dvDer } = await seedIssuingCa(fresh.handle.db, signer));
  for (const [name, kind] of [['owner', 'subscriber'], ['stranger', 'subscriber'], ['provider', 'provider'], ['otherProvider', 'provider']] as const) {
    const { account, apiKey } = await createAccount(fresh.handle.db, { name, kind });
    accounts[name] = { id: account.id, apiKey };
  }
  // Every report of this file comes from one in-process "client": the rate limits are key-compromise-intake.test.ts's.
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date(), limits: { keyCompromise: { perClient: { burst: 100, perMinute: 100 }, global: { burst: 100, perMinute: 100 } } } });
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
    const ok = await submitRevocation(deps, { target: { serial }, reason: 'privilegeWithdrawn', requester: { kind: 'operator', name: 'ops' }, actor: 'operator:ops' });
    expect(ok.reason).toBe('privilegeWithdrawn');
    expect(Date.parse(ok.deadline) - Date.now()).toBeGreaterThan(119 * 3_600_000);
    await expect(submitRevocation(deps, { target: { serial }, reason: 'certificateHold', requester: { kind: 'operator', name: 'ops' }, actor: 'operator:ops' })).rejects.toMatchObject({
      kind: 'badRevocationReason',
    });
  });

  it('CP 3.4 (1), 4.9.2: an order relayed through POST /v1/orders (onBehalfOf) lets the relaying provider revoke', async () => {
    // The real path sets orders.provider_account_id (no seeded column): a subscriber managed by the provider.
    const { account: shop, apiKey: shopKey } = await createAccount(fresh.handle.db, { name: 'shop', providerAccountId: accounts.provider.id });
    const res = await app.request('/v1/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${accounts.provider.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csr: makeCsr({ names: [`relay.${config.dns.devZone}`] }).pem, onBehalfOf: shop.id, acceptance: currentAcceptance() }),
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

describe('one revocation entry point for every door (api/revocation-requests.ts)', () => {
  it('BR 5.4.1: one REST revocation is exactly one revocation.requested audit entry', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    expect((await revoke(serial, 'owner', 'superseded')).status).toBe(202);
    // The door wrote none: the workflow's first step (recordRevocation) is the one writer.
    expect(await countAuditEvents(fresh.handle.db, serial)).toBe(0);
    await recordAsWorkflowWould(fresh.handle.db, started.revocations.at(-1)!);
    expect(await countAuditEvents(fresh.handle.db, serial)).toBe(1);
    expect(await countAuditEvents(fresh.handle.db, serial, 'certificate.revoked')).toBe(1);
  });

  it('BR 5.4.1: a request that joins the revocation already running is audited once, by the entry point', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    workflows.runningRevocations.add(serial);
    try {
      expect((await revoke(serial, 'owner', 'keyCompromise')).status).toBe(202);
    } finally {
      workflows.runningRevocations.delete(serial);
    }
    const entries = await fresh.handle.db.select().from(auditLog).where(eq(auditLog.serial, serial));
    expect(entries.map((e) => e.event)).toEqual(['revocation.requested']);
    expect(entries[0]).toMatchObject({ actor: `account:${accounts.owner.id}`, data: { reason: 1, joinedRunningWorkflow: true } });
  });

  it('a failed workflow start is 503 with Retry-After; nothing is audited', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id });
    workflows.failing.add('startRevocation');
    try {
      const res = await revoke(serial, 'owner');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.type).toBe('/problems/serviceUnavailable');
      expect(body).not.toHaveProperty('retryAfterSeconds');
    } finally {
      workflows.failing.delete('startRevocation');
    }
    expect(await countAuditEvents(fresh.handle.db, serial)).toBe(0);
  });

  it('RFC 8555 §7.6: by the certificate itself — only the bytes this CA stored; a requester without relation is unauthorized', async () => {
    const db = fresh.handle.db;
    // A certificate row whose DER is a real certificate (the issuing CA's, under its own serial).
    const seeded = await seedCertificate(db, { accountId: accounts.owner.id });
    const serial = normalizeSerial(Buffer.from(parseCertificate(dvDer).serialNumber.valueBlock.valueHexView).toString('hex'));
    await db.update(certificates).set({ serial, certDer: dvDer }).where(eq(certificates.serial, seeded.serial));
    const deps = { db, workflows, config, clock: () => new Date() };
    const ask = (certificateDer: Uint8Array, requester: Parameters<typeof submitRevocation>[1]['requester']) =>
      submitRevocation(deps, { target: { certificateDer }, reason: 4, requester, actor: 'test' });
    const tampered = Uint8Array.from(dvDer);
    tampered[tampered.length - 1]! ^= 0xff;
    const before = started.revocations.length;
    await expect(ask(tampered, { kind: 'operator', name: 'ops' })).rejects.toMatchObject({ kind: 'notFound' });
    await expect(ask(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), { kind: 'operator', name: 'ops' })).rejects.toMatchObject({ kind: 'malformed' });
    await expect(ask(dvDer, { kind: 'acmeAccount', acmeAccountId: accounts.stranger.id })).rejects.toMatchObject({ kind: 'unauthorized' });
    expect(started.revocations.length).toBe(before);
    expect(await ask(dvDer, { kind: 'operator', name: 'ops' })).toMatchObject({ serial, status: 'revoking', reason: 'superseded' });
    expect(started.revocations.at(-1)).toMatchObject({ serial, reason: 4, requester: { kind: 'operator' } });
  });

  it('a repeat is alreadyRevoked at the entry point (ACME, RFC 8555 §7.6); the REST API keeps answering 409 conflict', async () => {
    const { serial } = await seedCertificate(fresh.handle.db, { accountId: accounts.owner.id, status: 'revoked', reason: 4 });
    const deps = { db: fresh.handle.db, workflows, config, clock: () => new Date() };
    await expect(
      submitRevocation(deps, { target: { serial }, reason: 4, requester: { kind: 'subscriber', accountId: accounts.owner.id }, actor: 'test' }),
    ).rejects.toMatchObject({ kind: 'alreadyRevoked' });
    const res = await revoke(serial, 'owner', 'superseded');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/conflict');
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
