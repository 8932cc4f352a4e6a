/**
 * Issuance in the production topology (`npm run stack`): a DV certificate through the REST API and one through ACME
 * (lego), each validated by the primary perspective (validating Unbound) and the five remote perspectives in their
 * network namespaces, linted, CT-logged by the local logs, signed by the signing worker's HSM; the order's workflow
 * history is archived (filestore) once it closes, so it outlives the namespace retention (CP 5.5.1–5.5.2).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../config';
import { pemEncode } from '../../pki/pem';
import { run, toolPath } from '../support/acme-harness';
import { eventually } from '../support/ca-harness';
import { applyDv, openssl, useStack } from './stack-client';

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

describe('the production topology issues', () => {
  it('a DV certificate through the REST API: MPIC from the five namespaces, CT, HSM; the chain verifies; the history is archived', async () => {
    const name = t.c.name();
    const order = await applyDv(t.c, t.apiKey, [name]);
    expect(order.status, JSON.stringify(order.error)).toBe('valid');

    const der = Buffer.from(await (await t.c.api(`/v1/orders/${order.id}/certificate`, { apiKey: t.apiKey, headers: { accept: 'application/pkix-cert' } })).arrayBuffer());
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
  });

  it('a certificate through ACME with lego (dns-01: its hook writes into Knot by dynamic update)', async () => {
    const name = t.c.name();
    const dir = path.join(work, 'lego');
    const got = await run(
      toolPath('lego'),
      [
        '--server', t.c.state.acmeDirectoryUrl, '--accept-tos', '--email', 'ops@example.jp', '--path', dir, '--key-type', 'rsa2048',
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
    const [row] = await t.c.db.sql`select o.status, c.status as cert_status from certificates c join orders o on o.id = c.order_id
      join acme_orders a on a.order_id = o.id where c.serial = ${serial}`;
    expect(row).toMatchObject({ status: 'valid', cert_status: 'issued' });
  });
});
