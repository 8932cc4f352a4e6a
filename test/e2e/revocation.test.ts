/**
 * Revocation (CP 4.9) end to end, through the HTTP API, the real Temporal dev server, the main and signing workers, PostgreSQL
 * and SoftHSM2: a revocation shows in the served CRL within seconds; OpenSSL accepts the CRL (`openssl crl -verify`)
 * and rejects the revoked certificate (`openssl verify -crl_check`); pkilint finds no error; operators revoke through
 * the admin CLI; key-compromise reports (by key and by CSR) revoke every certificate with the key and block new
 * orders with it; the CRL Temporal Schedule fires; overlapping publications never reuse a cRLNumber.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, desc, eq, gt, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, auditLog, certificates, crls, orders } from '../../db/schema';
import { pemEncode } from '../../pki/pem';
import { ensureCrlSchedules } from '../../worker/crl-schedule';
import { crlScheduleId, type PublishCrlResult } from '../../workflows/revocation-contracts';
import { makeCsr } from '../support/csr';
import { eventually, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { applyAndWait } from '../support/orders';
import { currentAcceptance } from '../support/acceptance';

let h: Harness;
let owner: { id: string; apiKey: string };
const work = mkdtempSync(path.join(tmpdir(), 'e2e-revocation-'));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(work, name);
  writeFileSync(p, content);
  return p;
};
let caFile: string;
let dvFile: string;
let chainFile: string;

beforeAll(async () => {
  h = await startHarness({
    apiOnConfiguredPort: true,
    // A short debounce so "within seconds" is measurable; CT (step 8) is not what these tests are about.
    // The dev zone under a real TLD: the pre-issuance linters (POLICY-2026.md) refuse the reserved .test TLD.
    env: { CA_CRL_QUIET_SECONDS: '1', CA_CRL_MAX_DELAY_SECONDS: '5', CA_CT_SUBMISSION: 'off', CA_DEV_ZONE: 'revocation.example.jp' },
  });
  owner = await h.newAccount('Revocation E2E');
  const root = Buffer.from(await (await h.api('/repository/ca/root.cer')).arrayBuffer());
  const dv = Buffer.from(await (await h.api('/repository/ca/dv.cer')).arrayBuffer());
  caFile = file('root.pem', pemEncode('CERTIFICATE', root));
  dvFile = file('dv.pem', pemEncode('CERTIFICATE', dv));
  chainFile = file('chain.pem', pemEncode('CERTIFICATE', root) + pemEncode('CERTIFICATE', dv));
});
afterAll(async () => {
  await h?.stop();
});

async function issue(opts: { keyPem?: string; apiKey?: string } = {}): Promise<{ serial: string; orderId: string; certPem: string; keyPem: string }> {
  const apiKey = opts.apiKey ?? owner.apiKey;
  const csr = makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`], keyPem: opts.keyPem });
  const done = await applyAndWait(h, apiKey, csr, { timeoutMs: 90_000 });
  expect(done.status, JSON.stringify(done.error)).toBe('valid');
  const certDer = Buffer.from(await (await h.api(`/v1/orders/${done.id}/certificate`, { apiKey, headers: { accept: 'application/pkix-cert' } })).arrayBuffer());
  return { serial: done.certificate!.serial, orderId: done.id, certPem: pemEncode('CERTIFICATE', certDer), keyPem: csr.keyPem };
}

async function fetchCrl(): Promise<{ der: Buffer; type: string | null; text: string }> {
  const res = await h.api('/repository/crl/dv.crl');
  expect(res.status).toBe(200);
  const der = Buffer.from(await res.arrayBuffer());
  return { der, type: res.headers.get('content-type'), text: execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: der, encoding: 'utf8' }) };
}

/** Waits until the served CRL lists `serial`; returns it and how long that took. */
async function crlListing(serials: string[], since: number) {
  const crl = await eventually(async () => {
    const c = await fetchCrl();
    return serials.every((s) => c.text.includes(s.toUpperCase())) ? c : null;
  }, 60_000, 200);
  return { ...crl, ms: Date.now() - since };
}

const verifyWithCrl = (certPem: string, crlDer: Buffer) =>
  spawnSync('openssl', ['verify', '-crl_check', '-CAfile', caFile, '-untrusted', dvFile, '-CRLfile', file(`crl-${Date.now()}.pem`, pemEncode('X509 CRL', crlDer)), file(`leaf-${Date.now()}.pem`, certPem)], {
    encoding: 'utf8',
  });

describe('revocation end to end', () => {
  it('a revocation through the API shows in the served CRL within seconds; OpenSSL rejects the certificate; pkilint finds no error', async () => {
    const cert = await issue();
    // The CRL DP answers from the start (the schedule is triggered at once for an issuer without a CRL).
    const before = await eventually(() => fetchCrl().catch(() => null), 60_000);
    const ok = verifyWithCrl(cert.certPem, before.der);
    expect(ok.stdout + ok.stderr).toMatch(/: OK/);

    const t0 = Date.now();
    const res = await h.api(`/v1/certificates/${cert.serial}/revoke`, {
      method: 'POST',
      apiKey: owner.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'keyCompromise' }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const crl = await crlListing([cert.serial], t0);
    expect(crl.ms, 'CP 4.9.5: reflected in the CRL within seconds').toBeLessThan(20_000);
    console.info(`revocation request → served CRL lists it: ${crl.ms} ms`);
    // The workflow finished in time: stored, OCSP re-signed (activities/ocsp.ts), CRL publication requested.
    const result = await h.temporal.workflow.getHandle(`revoke-${cert.serial}`).result();
    expect(result).toEqual({ serial: cert.serial, status: 'revoked', overdue: false });
    expect(crl.type).toBe('application/pkix-crl');
    expect(crl.text).toMatch(new RegExp(`${cert.serial.toUpperCase()}[\\s\\S]*?Key Compromise`));

    // openssl crl -verify against the issuing CA; openssl verify -crl_check rejects the revoked certificate.
    const v = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', file('served.crl', crl.der), '-CAfile', chainFile, '-noout', '-verify'], { encoding: 'utf8' });
    expect(v.stdout + v.stderr).toMatch(/verify OK/);
    expect(v.status).toBe(0);
    const rejected = verifyWithCrl(cert.certPem, crl.der);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stdout + rejected.stderr).toMatch(/certificate revoked/);

    const lint = spawnSync('lint_crl', ['lint', '-t', 'CRL', '-p', 'BR', '-s', 'WARNING', file('lint.crl', pemEncode('X509 CRL', crl.der))], { encoding: 'utf8' });
    expect(lint.error, 'lint_crl must be installed (.ci/run: pip install pkilint==0.13.3)').toBeUndefined();
    expect(lint.stdout + lint.stderr).not.toMatch(/ERROR|FATAL/);

    // The status API, the audit log, and the publication check (fetched back over http, signature verified).
    const status = (await (await h.api(`/v1/certificates/${cert.serial}`, { apiKey: owner.apiKey })).json()) as { status: string; reason: string };
    expect(status).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const events = await h.db.db.select({ event: auditLog.event }).from(auditLog).where(eq(auditLog.serial, cert.serial));
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['revocation.requested', 'certificate.revoked']));
    const served = createHash('sha256').update(crl.der).digest();
    await eventually(async () => {
      const [row] = await h.db.db.select({ verifiedAt: crls.verifiedAt, sha: crls.sha256 }).from(crls).where(eq(crls.issuerId, 'dv')).orderBy(desc(crls.crlNumber)).limit(1);
      return row?.verifiedAt && Buffer.from(row.sha).equals(served);
    }, 60_000);
  });

  it('another account cannot revoke; the certificate owner cannot use privilegeWithdrawn or certificateHold; an operator can (admin CLI)', async () => {
    const cert = await issue();
    const stranger = await h.newAccount('Stranger');
    const cases: Array<[string, string, string | number, number, string]> = [
      ['CP 4.9.2: another account', stranger.apiKey, 'superseded', 404, '/problems/notFound'],
      ['BR 7.2.2: privilegeWithdrawn is for operators', owner.apiKey, 'privilegeWithdrawn', 400, '/problems/badRevocationReason'],
      ['CP 4.9.13: certificateHold is never used', owner.apiKey, 'certificateHold', 400, '/problems/badRevocationReason'],
    ];
    for (const [rule, apiKey, reason, status, type] of cases) {
      const res = await h.api(`/v1/certificates/${cert.serial}/revoke`, { method: 'POST', apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason }) });
      expect(res.status, rule).toBe(status);
      expect(((await res.json()) as { type: string }).type, rule).toBe(type);
    }
    const [row] = await h.db.db.select({ status: certificates.status }).from(certificates).where(eq(certificates.serial, cert.serial));
    expect(row!.status).toBe('issued');

    const t0 = Date.now();
    const cli = spawnSync(path.join('node_modules', '.bin', 'tsx'), ['scripts/admin.ts', 'revoke', cert.serial, '--reason', 'privilegeWithdrawn', '--operator', 'e2e-operator'], {
      encoding: 'utf8',
      env: { ...process.env },
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ serial: cert.serial, reason: 'privilegeWithdrawn', status: 'revoking' });
    const crl = await crlListing([cert.serial], t0);
    expect(crl.text).toMatch(new RegExp(`${cert.serial.toUpperCase()}[\\s\\S]*?Privilege Withdrawn`));
    const audit = await h.db.db.select({ actor: auditLog.actor }).from(auditLog).where(and(eq(auditLog.serial, cert.serial), eq(auditLog.event, 'certificate.revoked')));
    expect(audit[0]!.actor).toBe('operator:e2e-operator');
  });
});

describe('key-compromise reports end to end (CP 4.9.12)', () => {
  async function reportAndWait(body: string | Uint8Array, type: string) {
    const res = await h.api('/key-compromise', { method: 'POST', headers: { 'content-type': type }, body });
    const accepted = (await res.json()) as { id: string; url: string };
    expect(res.status, JSON.stringify(accepted)).toBe(202);
    return eventually(async () => {
      const r = (await (await h.api(`/key-compromise/${accepted.id}`)).json()) as { status: string; certificatesFound: number; certificatesRevoked: number };
      return r.status === 'completed' || r.status === 'rejected' ? r : null;
    }, 60_000);
  }

  it.each([
    ['by the private key', (keyPem: string) => [JSON.stringify({ privateKey: keyPem }), 'application/json'] as const],
    ['by a CSR signed by the key, CN "This key is compromised"', (keyPem: string) => [makeCsr({ names: [], cn: 'This key is compromised', keyPem }).der, 'application/pkcs10'] as const],
  ])('%s: revokes every certificate with the key (keyCompromise) and blocks new orders with it', async (_how, proof) => {
    const first = await issue();
    const second = await issue({ keyPem: first.keyPem, apiKey: (await h.newAccount('Same key, other account')).apiKey });
    const other = await issue();
    const t0 = Date.now();
    const [body, type] = proof(first.keyPem);
    const report = await reportAndWait(body, type);
    expect(report).toMatchObject({ status: 'completed', certificatesFound: 2, certificatesRevoked: 2 });
    const rows = await h.db.db.select().from(certificates).where(inArray(certificates.serial, [first.serial, second.serial, other.serial]));
    const by = Object.fromEntries(rows.map((r) => [r.serial, r]));
    expect(by[first.serial]).toMatchObject({ status: 'revoked', revocationReason: 1 });
    expect(by[second.serial]).toMatchObject({ status: 'revoked', revocationReason: 1 });
    expect(by[other.serial]!.status).toBe('issued');
    // CP 4.9.12: within 24 hours — here, within seconds, and on the served CRL.
    const crl = await crlListing([first.serial, second.serial], t0);
    expect(crl.ms).toBeLessThan(30_000);
    const rejected = verifyWithCrl(second.certPem, crl.der);
    expect(rejected.stdout + rejected.stderr).toMatch(/certificate revoked/);
    // BR 6.1.1.3: a new application with the key is refused.
    const again = makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`], keyPem: first.keyPem });
    const res = await h.api('/v1/orders', { method: 'POST', apiKey: owner.apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csr: again.pem, profile: 'dv', acceptance: currentAcceptance() }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/badPublicKey');
  });
});

describe('CRL publication by schedule (CP 4.9.7)', () => {
  it('the Temporal Schedule fires (short interval here) and every CRL has a new, increasing cRLNumber', async () => {
    const since = new Date();
    await ensureCrlSchedules(h.config, h.db.db, { client: h.temporal, intervalSeconds: 2 });
    try {
      const scheduled = await eventually(async () => {
        const rows = await h.db.db
          .select({ n: crls.crlNumber, trigger: crls.trigger })
          .from(crls)
          .where(and(eq(crls.issuerId, 'dv'), gt(crls.createdAt, since), eq(crls.trigger, 'schedule')));
        return rows.length >= 2 ? rows : null;
      }, 60_000);
      expect(scheduled.length).toBeGreaterThanOrEqual(2);
      const desc_ = await h.temporal.schedule.getHandle(crlScheduleId('dv')).describe();
      expect(desc_.info.recentActions.length).toBeGreaterThan(0);
    } finally {
      await ensureCrlSchedules(h.config, h.db.db, { client: h.temporal });
    }

    // Overlapping runs (manual publications at once, beside the schedule) never share or reuse a number.
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        h.temporal.workflow.execute('publishCrl', {
          taskQueue: h.config.temporal.taskQueue,
          workflowId: `crl-manual-${uniqueLabel()}-${i}`,
          args: [{ issuerId: 'dv', signingTaskQueue: h.config.temporal.signingTaskQueue, mode: 'manual', quietSeconds: 0, maxDelaySeconds: 1 }],
        }) as Promise<PublishCrlResult>,
      ),
    );
    const numbers = results.map((r) => BigInt(r.published[0]!.crlNumber));
    expect(new Set(numbers).size).toBe(4);
    const all = await h.db.db.select({ n: crls.crlNumber, t: crls.thisUpdate }).from(crls).where(eq(crls.issuerId, 'dv')).orderBy(crls.crlNumber);
    expect(new Set(all.map((r) => r.n)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i]!.t.getTime()).toBeGreaterThanOrEqual(all[i - 1]!.t.getTime());
  });

  it('the designated provider that relayed an application may revoke it (CP 3.4 (1))', async () => {
    const cert = await issue();
    const provider = await h.newAccount('Provider');
    await h.db.db.update(accounts).set({ kind: 'provider' }).where(eq(accounts.id, provider.id));
    await h.db.db.update(orders).set({ providerAccountId: provider.id }).where(eq(orders.id, cert.orderId));
    const t0 = Date.now();
    const res = await h.api(`/v1/certificates/${cert.serial}/revoke`, { method: 'POST', apiKey: provider.apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'cessationOfOperation' }) });
    expect(res.status).toBe(202);
    const crl = await crlListing([cert.serial], t0);
    expect(crl.text).toMatch(new RegExp(`${cert.serial.toUpperCase()}[\\s\\S]*?Cessation Of Operation`));
  });
});
