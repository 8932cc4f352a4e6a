/**
 * OV end to end ("Done when" of the OV work): an organization found in a generated NTA registry file is registered
 * through the API and matched automatically (CP 3.2.2.1); an OV order placed meanwhile waits at step 4; one operator
 * records the call-back (CP 3.2.5) and is refused the approval (four-eyes), a second approves; the order then issues
 * from the OV issuing CA, and a second OV certificate is issued over ACME by lego with EAB and `--profile ov`. Both
 * subjects are checked against the vetted record with `openssl x509`, zlint and pkilint (OV types); an ACME account
 * not bound to a vetted organization gets invalidProfile. The representative's e-mails reach the SMTP sink.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ntaRow } from '../../scripts/lib/nta-registry-file';
import { ensureTemporalBinary } from '../../scripts/lib/temporal';
import { lego, startAcmeHarness, type AcmeHarness } from '../support/acme-harness';
import { eventually, uniqueLabel } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { pkilintErrors, zlintErrors } from '../support/linters';
import { answerDns01, createOrder, getOrder, waitForOrder } from '../support/orders';
import { adminJson, applicationFor, createOperator, importRegistryRows, registerOrganization, vettingCli, waitForVetting } from '../support/ov';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

let h: AcmeHarness;
let sink: SmtpSink;
let apiKey: string;
let accountId: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startAcmeHarness({ env: { CA_SMTP_URL: `smtp://127.0.0.1:${sink.port}` } });
  ({ apiKey, id: accountId } = await h.newAccount('OV Applicant'));
});
afterAll(async () => {
  await h?.stop();
  await sink?.stop();
});

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });
/** The subject as OpenSSL prints it, UTF-8 unescaped: "C = JP, ST = …, L = …, O = …, CN = …". */
const subjectOf = (pemFile: string) => openssl('x509', '-in', pemFile, '-noout', '-subject', '-nameopt', 'oneline,-esc_msb').trim().replace(/^subject=\s*/, '');
const der = (pemFile: string, name: string) => {
  const file = path.join(h.workDir, name);
  writeFileSync(file, execFileSync('openssl', ['x509', '-in', pemFile, '-outform', 'DER']));
  return file;
};

describe('OV: registry match, call-back, four-eyes approval, issuance through the API and ACME', () => {
  it('issues OV certificates whose subject is the vetted record, never the CSR', async () => {
    // A corporation in a generated registry file (full-width, 前株), imported as an operator does.
    const row = ntaRow(7_000_000 + Math.floor(Math.random() * 1_000_000));
    expect((await importRegistryRows([row])).inserted + (await importRegistryRows([row])).inserted).toBe(1);

    // The applicant registers it, spelled its own way; the registry match passes after normalisation.
    const org = await registerOrganization(h, apiKey, applicationFor(row));
    const vettingId = org.vetting!.id;
    await waitForVetting(h, apiKey, org.id, 'awaiting-callback');

    // An OV order now waits at step 4 (its DCV done) while the vetting is in progress. The CSR asks for another O.
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const keyFile = path.join(h.workDir, 'ov.key');
    writeFileSync(keyFile, makeCsr({ names: [name] }).keyPem);
    const csrPem = openssl('req', '-new', '-key', keyFile, '-subj', `/C=US/ST=Nowhere/O=Not The Vetted Name/OU=Sales/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`);
    const order = await createOrder(h, apiKey, { pem: csrPem, der: new Uint8Array(0), keyPem: '' }, { profile: 'ov', organizationId: org.id });
    await answerDns01(h, apiKey, order);
    await eventually(async () => (await h.temporal.workflow.getHandle(order.workflowId).query('progress') as { step: string }).step === 'vetting', 60_000);
    expect((await getOrder(h, apiKey, order.id)).status).toBe('pending');

    // Operators: alice records the call-back (CP 3.2.5) and may not approve her own vetting; bob approves.
    const suffix = uniqueLabel();
    const alice = await createOperator(`alice-${suffix}`, ['vetting-agent', 'approver']);
    const bob = await createOperator(`bob-${suffix}`, ['approver']);
    const callback = await vettingCli(alice, 'callback', vettingId, ['--source', 'NTA registry head office / NTT directory', '--phone', '03-3222-1111', '--answered-by', 'General Affairs, Sato', '--outcome', 'confirmed']);
    expect(callback.code, callback.stderr).toBe(0);
    expect(JSON.parse(callback.stdout)).toMatchObject({ status: 'awaiting-approval' });
    const refused = await vettingCli(alice, 'approve', vettingId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused \(separationOfDuties\).*four-eyes/);
    const approved = await vettingCli(bob, 'approve', vettingId);
    expect(approved.code, approved.stderr).toBe(0);
    const vetted = await waitForVetting(h, apiKey, org.id, 'approved');
    expect(vetted.vettedRecord!.subject).toEqual({ C: 'JP', ST: row.prefecture_name, L: row.city_name, O: row.name });
    // BR 4.2.1: the vetted record serves for 398 days.
    expect(Date.parse(vetted.vettedRecord!.validUntil) - Date.now()).toBeGreaterThan(397 * 86_400_000);

    // The waiting order goes on by itself and issues from the OV CA.
    const done = await waitForOrder(h, apiKey, order.id, { timeoutMs: 120_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    const pem = path.join(h.workDir, 'ov-api.pem');
    writeFileSync(pem, await (await h.api(`/v1/orders/${order.id}/certificate`, { apiKey })).text());
    const expected = `C = JP, ST = ${row.prefecture_name}, L = ${row.city_name}, O = ${row.name}, CN = ${name}`;
    expect(subjectOf(pem)).toBe(expected);
    const text = openssl('x509', '-in', pem, '-noout', '-text');
    expect(text).toMatch(/Issuer: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?JPRS Organization Validation Authority - G4/);
    expect(text).toMatch(/Policy: 2\.23\.140\.1\.2\.2/);
    expect(text).toMatch(/Policy: 1\.3\.6\.1\.4\.1\.53827\.1\.1\.4/);
    expect(text).not.toMatch(/OU ?=/);
    const apiDer = der(pem, 'ov-api.der');
    expect(zlintErrors(apiDer)).toEqual([]);
    expect(pkilintErrors(apiDer, 'OV-FINAL-CERTIFICATE')).toEqual([]);

    // OV over ACME: an EAB key bound to the vetted organization; lego orders with --profile ov.
    const eab = await adminJson<{ keyId: string; hmacKey: string }>(['eab', 'create', '--account', accountId, '--organization', org.id]);
    const acmeName = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const dir = path.join(h.workDir, 'lego-ov');
    const dnsArgs = ['--domains', acmeName, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s'];
    const got = await lego(h, dir, ['--eab', '--kid', eab.keyId, '--hmac', eab.hmacKey, ...dnsArgs, 'run', '--profile', 'ov']);
    expect(got.code, got.out).toBe(0);
    const acmePem = path.join(dir, 'certificates', `${acmeName}.crt`);
    expect(subjectOf(acmePem)).toBe(`C = JP, ST = ${row.prefecture_name}, L = ${row.city_name}, O = ${row.name}, CN = ${acmeName}`);
    const acmeDer = der(acmePem, 'ov-acme.der');
    expect(zlintErrors(acmeDer)).toEqual([]);
    expect(pkilintErrors(acmeDer, 'OV-FINAL-CERTIFICATE')).toEqual([]);
    const [stored] = await h.db.sql`select o.profile, o.organization_id, o.vetted_organization_id from orders o join acme_orders a on a.order_id = o.id
      join certificates c on c.order_id = o.id where c.serial = ${openssl('x509', '-in', acmePem, '-noout', '-serial').trim().replace(/^serial=/, '').toLowerCase().replace(/^0+/, '')}`;
    expect(stored).toEqual({ profile: 'ov', organization_id: org.id, vetted_organization_id: vetted.vettedRecord!.id });

    // An ACME account without a vetted organization: invalidProfile.
    const other = await lego(h, path.join(h.workDir, 'lego-dv-only'), [...dnsArgs, 'run', '--profile', 'ov']);
    expect(other.code).not.toBe(0);
    expect(other.out).toMatch(/urn:ietf:params:acme:error:invalidProfile/);

    // The representative heard of the approval (the address stayed in PostgreSQL; the workflow carried ids).
    // Header lines may be folded and the body quoted-printable: unfold before reading.
    const unfolded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/\r?\n[ \t]+/g, ' ');
    await eventually(async () => sink.messages.some((m) => m.to.includes('representative@example.jp') && unfolded(m.raw).includes(`Organization vetting ${vettingId}: approved`)), 30_000);
    const history = JSON.stringify(await h.temporal.workflow.getHandle(`vetting-${vettingId}`).fetchHistory());
    expect(history).not.toContain('representative@example.jp');
    expect(history).not.toContain('General Affairs, Sato');
    if (process.env.RECORD_HISTORY_DIR) {
      // For workflows/replay.test.ts (protobuf JSON, as the Temporal CLI shows it): the vetting (now in its 398-day
      // sleep) and the OV order that waited at step 4.
      const show = async (workflowId: string) =>
        execFileSync(await ensureTemporalBinary(), ['workflow', 'show', '--address', h.config.temporal.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(path.join(process.env.RECORD_HISTORY_DIR, 'vet-organization-approved.json'), await show(`vetting-${vettingId}`));
      writeFileSync(path.join(process.env.RECORD_HISTORY_DIR, 'issue-certificate-ov-waits-for-vetting.json'), await show(order.workflowId));
    }
  });

  it('fails a waiting OV order clearly when its organization’s vetting is rejected', async () => {
    // Not in the registry (an unknown number with a valid check digit): the vetting waits for documents.
    const row = ntaRow(8_500_000 + Math.floor(Math.random() * 1_000_000));
    const org = await registerOrganization(h, apiKey, applicationFor(row));
    await waitForVetting(h, apiKey, org.id, 'awaiting-documents');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const order = await createOrder(h, apiKey, makeCsr({ names: [name] }), { profile: 'ov', organizationId: org.id });
    await answerDns01(h, apiKey, order);
    await eventually(async () => (await h.temporal.workflow.getHandle(order.workflowId).query('progress') as { step: string }).step === 'vetting', 60_000);

    const carol = await createOperator(`carol-${uniqueLabel()}`, ['approver']);
    const rejected = await vettingCli(carol, 'reject', org.vetting!.id, ['--reason', 'the registry certificate names another head office']);
    expect(rejected.code, rejected.stderr).toBe(0);
    const failed = await waitForOrder(h, apiKey, order.id, { timeoutMs: 60_000 });
    expect(failed.status).toBe('invalid');
    expect(failed.error).toMatchObject({ type: 'organizationNotVetted', vettingStatus: 'rejected' });
    expect(failed.certificate).toBeNull();
    const [vetting] = await h.db.sql`select status, decided_by from vettings where id = ${org.vetting!.id}`;
    expect(vetting).toEqual({ status: 'rejected', decided_by: carol.id });
  });
});

