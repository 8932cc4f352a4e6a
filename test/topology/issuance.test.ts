/**
 * Issuance in the production topology (`npm run stack`): a DV certificate through the REST API and one through ACME
 * (lego), each validated by the primary perspective (validating Unbound) and the five remote perspectives in their
 * network namespaces, linted, CT-logged by the local logs, signed by the signing worker's HSM; the order's workflow
 * history is archived (filestore) once it closes, so it outlives the namespace retention (CP 5.5.1–5.5.2). The
 * applicant reads the order over the API's HTTPS listener, and the issuance notice (CP 4.3.2) reaches the stack's
 * SMTP relay. The ACME client binds its account with an EAB key the operator's CLI made (RFC 8555 §7.3.4): the CLI
 * seals it with the operator's copy of the EAB key, the ACME process opens it with its own.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../config';
import { pemEncode } from '../../pki/pem';
import { run, toolPath } from '../support/acme-harness';
import { eventually } from '../support/ca-harness';
import { admin, applyDv, openssl, useStack } from './stack-client';

const t = useStack();

const work = mkdtempSync(path.join(tmpdir(), 'topology-issuance-'));


/** The stand-in root and the DV issuing CA from the repository, as PEM files. */
async function caFiles(): Promise<{ root: string; dv: string }> {
  const get = async (p: string, file: string) => {
    const der = Buffer.from(await (await t.c.api(p)).arrayBuffer());
    writeFileSync(path.join(work, file), pemEncode('CERTIFICATE', der));
    return path.join(work, file);
  };
  return { root: await get('/repository/ca/root.cer', 'root.pem'), dv: await get('/repository/ca/dv.cer', 'dv.pem') };
}

/** The archived histories (JSON batches of events) whose first event started `workflowType` with input mentioning `needle`. */
function archivedHistoryOf(archiveDir: string, workflowType: string, needle: string): string | undefined {
  for (const f of readdirSync(archiveDir)) {
    const batches = JSON.parse(readFileSync(path.join(archiveDir, f), 'utf8')) as Array<{ events: Array<Record<string, any>> }>;
    const started = batches[0]?.events[0]?.workflowExecutionStartedEventAttributes as { workflowType?: { name?: string }; input?: { payloads?: Array<{ data?: string }> } } | undefined;
    const input = (started?.input?.payloads ?? []).map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('');
    if (started?.workflowType?.name === workflowType && input.includes(needle)) return f;
  }
  return undefined;
}

/** The messages of the stack's SMTP relay that went to `address`. */
function mailTo(address: string): string[] {
  const dir = t.c.state.mailDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).filter((raw) => raw.includes(`X-Envelope-To: ${address}`));
}

/** Runs the operator's CLI and parses the JSON it prints. */
function adminJson<T>(args: string[]): T {
  const r = admin(t.c, args);
  expect(r.status, r.out).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('the production topology issues', () => {
  it('a DV certificate through the REST API: MPIC from the five namespaces, CT, HSM; the chain verifies; the history is archived', async () => {
    const name = t.c.name();
    const email = `${name.split('.')[0]}@example.jp`;
    const apiKey = await t.c.newAccount(email);
    const order = await applyDv(t.c, apiKey, [name]);
    expect(order.status, JSON.stringify(order.error)).toBe('valid');

    // The applicant's view over HTTPS (its API key in a header): the links point at the HTTPS listener.
    const viaTls = await t.c.httpsGet(`/v1/orders/${order.id}`, apiKey);
    expect(viaTls.status, viaTls.body).toBe(200);
    expect(JSON.parse(viaTls.body)).toMatchObject({ status: 'valid', certificate: { url: `${t.c.state.apiTlsUrl}/v1/orders/${order.id}/certificate` } });

    const der = Buffer.from(await (await t.c.api(`/v1/orders/${order.id}/certificate`, { apiKey, headers: { accept: 'application/pkix-cert' } })).arrayBuffer());
    const leaf = path.join(work, 'leaf.pem');
    writeFileSync(leaf, pemEncode('CERTIFICATE', der));
    const { root, dv } = await caFiles();
    expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', root, '-untrusted', dv, leaf]).trim()).toBe(`${leaf}: OK`);
    // Step 8: the SCTs of the local CT logs are embedded (RFC 6962 §3.3).
    expect(openssl(['x509', '-in', leaf, '-noout', '-text'])).toMatch(/CT Precertificate SCTs/);

    // Step 3: the DCV round was corroborated by every remote perspective, each through its own resolver.
    const evidence = await t.c.db.sql`select distinct e.perspective from validation_evidence e join corroborations r on r.id = e.corroboration_id
      where r.order_id = ${order.id} and r.check = 'dcv' and e.result = 'success'`;
    expect(evidence.map((e) => e.perspective).sort()).toEqual(t.c.state.perspectives.map((p) => p.id).sort());

    // History archival (filestore): the closed order's history is in the archive within seconds.
    const archived = await eventually(async () => archivedHistoryOf(t.c.state.archiveDir, 'issueCertificate', order.id), 60_000, 1_000);
    expect(archived).toMatch(/\.history$/);

    // The issuance notice (CP 4.3.2), delivered through the SMTP relay by the main worker and recorded as sent.
    const [mail] = await eventually(async () => {
      const found = mailTo(email);
      return found.length > 0 ? found : null;
    }, 60_000, 1_000);
    expect(mail).toContain(`Subject: [JPRS CA] Certificate issued: ${name}`);
    const notices = await t.c.db.sql`select status from notices where serial = ${order.certificate!.serial}`;
    expect(notices).toEqual([{ status: 'sent' }]);
  });

  it('a certificate through ACME with lego (dns-01: its hook writes into Knot by dynamic update), its account bound by an EAB key from the operator\'s CLI', async () => {
    const name = t.c.name();
    const dir = path.join(work, 'lego');
    const account = adminJson<{ id: string }>(['account', 'create', '--name', `Topology provider ${name}`, '--kind', 'provider']);
    const eab = adminJson<{ keyId: string; hmacKey: string }>(['eab', 'create', '--account', account.id]);
    const got = await run(
      toolPath('lego'),
      [
        '--server', t.c.state.acmeDirectoryUrl, '--accept-tos', '--email', 'ops@example.jp', '--path', dir, '--key-type', 'rsa2048',
        '--eab', '--kid', eab.keyId, '--hmac', eab.hmacKey,
        '--cert.timeout', '120', '--domains', name, '--dns', 'exec', '--dns.resolvers', t.c.state.resolver, '--dns.propagation-wait', '1s', 'run',
      ],
      {
        LEGO_CA_CERTIFICATES: t.c.state.acmeCaFile,
        EXEC_PATH: path.join(repoRoot, 'scripts/acme-hooks/dev-dns-hook.sh'),
        EXEC_POLLING_INTERVAL: '1',
        EXEC_PROPAGATION_TIMEOUT: '60',
        EXEC_SEQUENCE_INTERVAL: '1',
        CA_DEV_DNS_ADMIN_URL: t.c.state.dnsAdminUrl,
      },
    );
    expect(got.code, got.out).toBe(0);
    const bundle = path.join(dir, 'certificates', `${name}.crt`);
    const { root } = await caFiles();
    expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', root, '-untrusted', bundle, bundle]).trim()).toBe(`${bundle}: OK`);
    const serial = openssl(['x509', '-in', bundle, '-noout', '-serial']).trim().replace(/^serial=/, '').toLowerCase().replace(/^0+/, '');
    const [row] = await t.c.db.sql`select o.status, c.status as cert_status, o.account_id, acc.eab_key_id from certificates c join orders o on o.id = c.order_id
      join acme_orders a on a.order_id = o.id join acme_accounts acc on acc.id = a.acme_account_id where c.serial = ${serial}`;
    expect(row).toMatchObject({ status: 'valid', cert_status: 'issued', account_id: account.id, eab_key_id: eab.keyId });
  });
});
