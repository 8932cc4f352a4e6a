/**
 * End to end, as the README tour does it: an applicant account, a DV application with an OpenSSL CSR, the TXT
 * record published in the DNS server the test controls, "ready", and the certificate chain — through the HTTP API,
 * the real Temporal dev server, the workers, PostgreSQL and SoftHSM2. The result is checked with OpenSSL
 * (`openssl verify`, `openssl x509 -text`) field by field against CP 7.1.1, not with our own parser alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { temporalCaWorkflows } from '../../temporal/client';
import { certificates } from '../../db/schema';
import { ensureTemporalBinary } from '../../scripts/lib/temporal';
import { workflowsPath } from '../../worker/main';
import { orderWorkflowId } from '../../workflows/contracts';
import { makeCsr, toPemString } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { createOrder, dns01, getOrder, sayReady, waitForOrder } from '../support/orders';
import { currentAcceptance } from '../support/acceptance';

let h: Harness;
let apiKey: string;
const work = mkdtempSync(path.join(tmpdir(), 'e2e-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });

beforeAll(async () => {
  h = await startHarness();
  ({ apiKey } = await h.newAccount('E2E Applicant'));
});
afterAll(async () => {
  await h?.stop();
});

describe('DV issuance end to end', () => {
  it('issues a certificate that OpenSSL verifies and that matches the CP 7.1.1 profile', async () => {
    const base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const names = [`www.${base}`, base];
    const order = await createOrder(h, apiKey, makeCsr({ names }));
    expect(order.status).toBe('pending');
    expect(order.authorizations.map((a) => a.fqdn)).toEqual(names);

    for (const a of order.authorizations) {
      const ch = dns01(a);
      // CP 3.2.2.4.7: the TXT record lives at _acme-challenge.<FQDN>.
      expect(ch.recordName).toBe(`_acme-challenge.${a.fqdn}`);
      // >= 112 bits of randomness (CP 3.2.2.4): 32 bytes in base64url.
      expect(Buffer.from(ch.recordValue, 'base64url').length).toBeGreaterThanOrEqual(14);
      h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
      await sayReady(h, apiKey, order.id, ch.id);
    }

    const done = await waitForOrder(h, apiKey, order.id, { timeoutMs: 60_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    expect(done.authorizations.every((a) => a.status === 'valid')).toBe(true);

    const pemRes = await h.api(`/v1/orders/${order.id}/certificate`, { apiKey });
    expect(pemRes.status).toBe(200);
    expect(pemRes.headers.get('content-type')).toContain('application/pem-certificate-chain');
    const chain = await pemRes.text();
    const pems = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    expect(pems).toHaveLength(2);
    const rootRes = await h.api('/repository/ca/root.pem');
    expect(rootRes.status).toBe(200);
    writeFileSync(path.join(work, 'root.pem'), await rootRes.text());
    writeFileSync(path.join(work, 'issuing.pem'), pems[1]!);
    writeFileSync(path.join(work, 'cert.pem'), pems[0]!);
    expect(openssl('verify', '-CAfile', path.join(work, 'root.pem'), '-untrusted', path.join(work, 'issuing.pem'), path.join(work, 'cert.pem')).trim())
      .toBe(`${path.join(work, 'cert.pem')}: OK`);

    const text = openssl('x509', '-in', path.join(work, 'cert.pem'), '-noout', '-text');
    const urls = h.config.urls.dv;
    // CP 7.1.1, field by field.
    expect(text).toMatch(/Version: 3 \(0x2\)/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text).toMatch(/Issuer: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?JPRS Domain Validation Authority - G4/);
    expect(text).toMatch(new RegExp(`Subject: CN ?= ?www\\.${base.replace(/\./g, '\\.')}\\n`));
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(text).toMatch(new RegExp(`X509v3 Subject Alternative Name: \\n\\s+DNS:www\\.${base.replace(/\./g, '\\.')}, DNS:${base.replace(/\./g, '\\.')}\\n`));
    expect(text).toMatch(/Policy: 2\.23\.140\.1\.2\.1/);
    expect(text).toMatch(/Policy: 1\.3\.6\.1\.4\.1\.53827\.1\.1\.4\n\s+CPS: http:\/\/jprs\.jp\/pubcert\/info\/repository\//);
    expect(text).toContain(`URI:${urls.crl}`);
    expect(text).toContain(`OCSP - URI:${urls.ocsp}`);
    expect(text).toContain(`CA Issuers - URI:${urls.caIssuers}`);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect(text).toMatch(/X509v3 Subject Key Identifier/);
    expect(text).not.toMatch(/Basic Constraints: critical\n\s+CA:TRUE/);
    expect(text).not.toMatch(/Precertificate Poison|1\.3\.6\.1\.4\.1\.11129\.2\.4\.3/);

    // BR 6.3.2: 200 days before 2027-03-15, counted inclusively.
    const notBefore = new Date(openssl('x509', '-in', path.join(work, 'cert.pem'), '-noout', '-startdate').trim().replace('notBefore=', ''));
    const notAfter = new Date(openssl('x509', '-in', path.join(work, 'cert.pem'), '-noout', '-enddate').trim().replace('notAfter=', ''));
    const days = notBefore < new Date('2027-03-15T00:00:00Z') ? 200 : notBefore < new Date('2029-03-15T00:00:00Z') ? 100 : 47;
    expect(notAfter.getTime() - notBefore.getTime() + 1000).toBe(days * 86_400_000);
    expect(Math.abs(notBefore.getTime() - Date.now())).toBeLessThan(10 * 60_000);

    // BR 7.1: a positive serial with >= 64 bits of CSPRNG output, < 2^159.
    const serialHex = openssl('x509', '-in', path.join(work, 'cert.pem'), '-noout', '-serial').trim().replace('serial=', '').toLowerCase();
    expect(serialHex).toBe(done.certificate!.serial);
    expect(BigInt(`0x${serialHex}`) > 2n ** 64n).toBe(true);
    expect(BigInt(`0x${serialHex}`) < 2n ** 159n).toBe(true);

    // DER by Accept.
    const derRes = await h.api(`/v1/orders/${order.id}/certificate`, { apiKey, headers: { accept: 'application/pkix-cert' } });
    expect(derRes.headers.get('content-type')).toBe('application/pkix-cert');
    const der = new Uint8Array(await derRes.arrayBuffer());
    expect(toPemString('CERTIFICATE', der)).toBe(pems[0]!.replace(/\r/g, ''));

    // Step 7: the precertificate was stored and carries the critical CT poison; same serial.
    const [row] = await h.db.db.select().from(certificates).where(eq(certificates.serial, serialHex));
    expect(row!.status).toBe('issued');
    writeFileSync(path.join(work, 'precert.der'), row!.precertDer!);
    const precertText = openssl('x509', '-inform', 'DER', '-in', path.join(work, 'precert.der'), '-noout', '-text');
    expect(precertText).toMatch(/CT Precertificate Poison: critical/);
    expect(openssl('verify', '-CAfile', path.join(work, 'root.pem'), '-untrusted', path.join(work, 'issuing.pem'), path.join(work, 'cert.pem'))).toContain('OK');

    // One workflow per order, visible with its search attributes. It completes after step 11's life-cycle work, which
    // follows the order's validity (workflows/after-issuance.ts: succession, the issuance notice, expiry reminders).
    await h.temporal.workflow.getHandle(orderWorkflowId(order.id)).result();
    const description = await h.temporal.workflow.getHandle(orderWorkflowId(order.id)).describe();
    expect(description.status.name).toBe('COMPLETED');
    const sa = description.searchAttributes as Record<string, unknown[]>;
    expect(sa.CaOrderId).toEqual([order.id]);
    expect(sa.CaFqdns).toEqual(names);
    expect(sa.CaSerial).toEqual([serialHex]);
    expect(sa.CaStatus).toEqual(['valid']);

    // Determinism (ARCHITECTURE.md convention 9): the recorded history replays against the current workflow code.
    const history = await h.temporal.workflow.getHandle(orderWorkflowId(order.id)).fetchHistory();
    await Worker.runReplayHistory({ workflowsPath }, history);
    if (process.env.RECORD_HISTORY) {
      // Recorded in the protobuf JSON form with the Temporal CLI (what workflows/replay.test.ts reads back).
      const json = execFileSync(await ensureTemporalBinary(), ['workflow', 'show', '--address', h.config.temporal.address, '--workflow-id', orderWorkflowId(order.id), '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(process.env.RECORD_HISTORY, json);
    }
  });

  it('expires the order when the random value’s 25-day timer fires before validation', async () => {
    // An API whose clock says the order was created 25 days minus 4 seconds ago: the random value (CP 3.2.2.4,
    // 25 days) expires 4 seconds from now in real time, and the workflow's timer fires.
    const skew = 25 * 86_400_000 - 4_000;
    const app = createApp({
      db: h.db.db,
      workflows: temporalCaWorkflows(h.temporal, h.config),
      config: h.config,
      clock: () => new Date(Date.now() - skew),
    });
    const csr = makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] });
    const res = await app.request('/v1/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csr: csr.pem, profile: 'dv', acceptance: currentAcceptance() }),
    });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string };
    const done = await waitForOrder(h, apiKey, order.id, { until: (o) => o.status === 'expired', timeoutMs: 30_000 });
    expect(done.authorizations[0]!.status).toBe('expired');
    expect(done.authorizations[0]!.challenges[0]!.status).toBe('expired');
    expect(done.certificate).toBeNull();
    const description = await h.temporal.workflow.getHandle(orderWorkflowId(order.id)).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect((description.searchAttributes as Record<string, unknown[]>).CaStatus).toEqual(['expired']);
  });

  it('fails the order with the evidence when the TXT record never appears', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const order = await createOrder(h, apiKey, makeCsr({ names: [name] }));
    const ch = dns01(order.authorizations[0]!);
    h.dns.add({ name: ch.recordName, type: 'TXT', value: 'not-the-random-value' });
    await sayReady(h, apiKey, order.id, ch.id);
    // The check window of the test configuration (CA_DCV_CHECK_WINDOW_SECONDS=20) runs out with retries and backoff.
    const done = await waitForOrder(h, apiKey, order.id, { until: (o) => o.status === 'invalid', timeoutMs: 90_000 });
    expect(done.authorizations[0]!.status).toBe('invalid');
    expect(done.authorizations[0]!.challenges[0]!.status).toBe('invalid');
    expect(JSON.stringify(done.error)).toContain(name);
    expect(done.certificate).toBeNull();
    const evidence = await h.db.sql`select result, query, perspective from validation_evidence where challenge_id = ${ch.id}`;
    expect(evidence.length).toBeGreaterThanOrEqual(2); // retried
    // The FQDN's record name first, then each ADN pruned down to the registered domain (BR 1.6.1, 3.2.2.4.7).
    const asked = [`${ch.recordName} IN TXT`, `_acme-challenge.${h.config.dns.devZone} IN TXT`];
    expect(evidence.every((e) => e.result === 'failure' && asked.includes(e.query as string))).toBe(true);
    expect(evidence.some((e) => e.query === asked[0])).toBe(true);
  });

  it('hides another account’s order and refuses its challenge', async () => {
    const order = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
    const other = await h.newAccount('Someone Else');
    const res = await h.api(`/v1/orders/${order.id}`, { apiKey: other.apiKey });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const ch = order.authorizations[0]!.challenges[0]!;
    const ready = await h.api(`/v1/orders/${order.id}/challenges/${ch.id}/ready`, { method: 'POST', apiKey: other.apiKey });
    expect(ready.status).toBe(404);
    expect((await getOrder(h, apiKey, order.id)).authorizations[0]!.challenges[0]!.status).toBe('pending');
  });
});
