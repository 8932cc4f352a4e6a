/**
 * `bench:cost -- --preload N`: N issued certificates (and N/10 of them revoked) seeded straight into PostgreSQL, set-based
 * (INSERT … SELECT FROM generate_series, and COPY for the audit chain) rather than through the pipeline: with every
 * row an issuance leaves in the tables the hot path reads — orders, authorizations, challenges, DCV and CAA
 * corroborations, evidence, certificates, lint reports, SCTs, OCSP responses, notices and the hash-chained audit log —
 * spread over 1,000 accounts and the last 398 days. DER columns hold 256 random-looking bytes instead of the real
 * 0.7–1.6 kB (the hot path reads rows by key; the table sizes are smaller than a real CA's by that much). Then
 * ANALYZE, as autovacuum would. Runs as the owner role (DATABASE_OWNER_URL).
 */
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { AUDIT_CHAIN_LOCK_KEY, auditEntryHash } from '../../db/repositories/audit';

/** The tables the preload fills: the ones whose sequential scans bench:cost watches during its phases. */
export const preloadedTables = [
  'accounts', 'orders', 'authorizations', 'challenges', 'corroborations', 'validation_evidence', 'certificates',
  'lint_reports', 'certificate_scts', 'ocsp_responses', 'notices', 'audit_log',
] as const;

/** A 256-byte value derived from i (md5 of i and a tag, repeated): stands in for DER. */
const blob = (tag: string) => `decode(repeat(md5('${tag}' || k.i), 16), 'hex')`;
/**
 * The seeded rows' keys derive from i, in SQL and here alike (the audit chain is computed here): serial '4' + 32 hex
 * digits (BR 7.1 positive; never the 36-digit serials the CA makes), ids the md5 of a tag and i read as a uuid.
 */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const asUuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
const seeded = (i: number) => ({ orderId: asUuid(md5(`order${i}`)), serial: `4${md5(`serial${i}`)}`, revoked: i % 10 === 0 });

export async function preloadCertificates(ownerUrl: string, n: number, log: (line: string) => void): Promise<Record<string, number>> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  const t0 = performance.now();
  const step = async (what: string, query: string) => {
    const t = performance.now();
    const r = await sql.unsafe(query);
    log(`preload: ${what} (${r.count} rows, ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };
  try {
    const responder = await sql<Array<{ serial: string }>>`select serial from ocsp_responders where issuer_id = 'dv' order by not_after desc limit 1`;
    if (!responder[0]) throw new Error('no OCSP responder for dv yet: run the warm-up phase before the preload');
    // One row per seeded certificate with its keys, spread over 1,000 accounts and 398 days.
    await step('keys', `create unlogged table preload_keys as
      select g.i, md5('order' || g.i)::uuid as order_id, gen_random_uuid() as authz_id, gen_random_uuid() as challenge_id,
             gen_random_uuid() as dcv_id, gen_random_uuid() as caa_id, '4' || md5('serial' || g.i) as serial,
             'p' || g.i || '.preload.example.jp' as fqdn, now() - (g.i % 398) * interval '1 day' - (g.i % 86400) * interval '1 second' as at,
             (g.i % 10 = 0) as revoked, g.i % 1000 as account_no
      from generate_series(1, ${n}) as g(i)`);
    await step('accounts', `insert into accounts (id, name, api_key_sha256, email, language)
      select ('00000000-0000-4000-8000-' || lpad(to_hex(g.i), 12, '0'))::uuid, 'Preloaded subscriber ' || g.i,
             sha256(('preload-account-' || g.i)::bytea), 'subscriber' || g.i || '@preload.example.jp', 'en'
      from generate_series(0, 999) as g(i) on conflict do nothing`);
    const account = `('00000000-0000-4000-8000-' || lpad(to_hex(k.account_no), 12, '0'))::uuid`;
    await step('orders', `insert into orders (id, account_id, profile, status, csr_der, spki_sha256, dns_names, validity_seconds, workflow_id, created_at, expires_at, updated_at)
      select k.order_id, ${account}, 'dv', 'valid', ${blob('csr')}, sha256(('spki' || k.i)::bytea), jsonb_build_array(k.fqdn),
             17280000, 'order-' || k.order_id, k.at, k.at + interval '25 days', k.at from preload_keys k`);
    await step('authorizations', `insert into authorizations (id, order_id, account_id, fqdn, status, validated_at, created_at)
      select k.authz_id, k.order_id, ${account}, k.fqdn, 'valid', k.at, k.at from preload_keys k`);
    await step('challenges', `insert into challenges (id, authorization_id, method, record_name, token, status, expires_at, ready_at, validated_at, created_at)
      select k.challenge_id, k.authz_id, '3.2.2.4.7', '_acme-challenge.' || k.fqdn, md5('token' || k.i) || md5('t2' || k.i), 'valid',
             k.at + interval '25 days', k.at, k.at, k.at from preload_keys k`);
    await step('corroborations', `insert into corroborations (id, order_id, authorization_id, fqdn, "check", method, result, quorum, checked_at, caa_valid_until)
      select x.id, k.order_id, k.authz_id, k.fqdn, x.c, x.m, 'pass', '{"corroborating": 5, "remotes": 5}'::jsonb, k.at,
             case when x.c = 'caa' then k.at + interval '8 hours' end
      from preload_keys k cross join lateral (values (k.dcv_id, 'dcv', '3.2.2.4.7 (DNS change)'), (k.caa_id, 'caa', 'BR 3.2.2.8 (CAA)')) as x(id, c, m)`);
    await step('validation_evidence', `insert into validation_evidence (challenge_id, fqdn, authorization_domain_name, method, perspective, resolver, query, raw_answers, result, detail, checked_at, "check", region, corroboration_id)
      select k.challenge_id, k.fqdn, k.fqdn, '3.2.2.4.7', 'primary', '127.0.0.1:53', '_acme-challenge.' || k.fqdn || ' IN TXT', '[]'::jsonb, 'success',
             'random value found', k.at, 'dcv', 'APNIC', k.dcv_id from preload_keys k`);
    await step('certificates', `insert into certificates (serial, order_id, account_id, issuer_id, spki_sha256, dns_names, status, not_before, not_after, precert_der, cert_der, revoked_at, revocation_reason, created_at)
      select k.serial, k.order_id, ${account}, 'dv', sha256(('spki' || k.i)::bytea), jsonb_build_array(k.fqdn),
             case when k.revoked then 'revoked' else 'issued' end, k.at, k.at + interval '199 days',
             ${blob('pre')}, ${blob('cert')},
             case when k.revoked then k.at + interval '3 days' end, case when k.revoked then 1 end, k.at from preload_keys k`);
    await step('lint_reports', `insert into lint_reports (order_id, serial, kind, linter, linter_version, verdict, tbs_sha256, findings, linted_at)
      select k.order_id, k.serial, x.kind, x.linter, x.v, 'pass', sha256((x.kind || k.i)::bytea), '[]'::jsonb, k.at
      from preload_keys k cross join lateral (values ('precertificate', 'zlint', 'zlint v3.7.3'), ('precertificate', 'pkilint', 'pkilint 0.13.3'),
                                                     ('final', 'zlint', 'zlint v3.7.3'), ('final', 'pkilint', 'pkilint 0.13.3')) as x(kind, linter, v)`);
    await step('certificate_scts', `insert into certificate_scts (serial, log_id, log_key_id, operator, api, sct, sct_timestamp, received_at)
      select k.serial, x.log, sha256(x.log::bytea), x.op, 'rfc6962', ${blob('sct')}, k.at, k.at
      from preload_keys k cross join lateral (values ('local-a1', 'A'), ('local-b', 'B')) as x(log, op)`);
    await step('ocsp_responses', `insert into ocsp_responses (serial, issuer_id, cert_status, this_update, next_update, responder_serial, response_der, updated_at)
      select k.serial, 'dv', case when k.revoked then 'revoked' else 'good' end, now() - interval '1 hour', now() + interval '47 hours',
             '${responder[0].serial}', ${blob('ocsp')}, now() from preload_keys k`);
    await step('notices', `insert into notices (kind, idempotency_key, recipient, language, data, account_id, order_id, serial, status, attempts, created_at, sent_at)
      select 'certificate-issued', 'certificate-issued:' || k.serial, 'subscriber@preload.example.jp', 'en', '{}'::jsonb, ${account}, k.order_id, k.serial,
             'sent', 1, k.at, k.at from preload_keys k`);
    const audited = await seedAuditChain(sql, n, log);
    await step('drop keys', 'drop table preload_keys');
    for (const table of preloadedTables) await sql.unsafe(`analyze ${table}`);
    const rows = await sql<Array<{ table: string; rows: number }>>`
      select relname as table, n_live_tup::int as rows from pg_stat_user_tables where relname in ${sql(preloadedTables as unknown as string[])}`;
    log(`preload: ${n} certificates in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return { seconds: Math.round((performance.now() - t0) / 1000), auditEntries: audited, ...Object.fromEntries(rows.map((r) => [r.table, r.rows])) };
  } finally {
    await sql.end();
  }
}

/**
 * One `certificate.issued` entry per seeded certificate (and `certificate.revoked` for the revoked ones), appended to
 * the hash chain by COPY (BR 5.4.1, CP 5.4.3: the chain still verifies), under the chain's lock so that no entry of
 * the running CA slips in between; stamped over the last n milliseconds, in order.
 */
async function seedAuditChain(sql: postgres.Sql, n: number, log: (line: string) => void): Promise<number> {
  const t = performance.now();
  let entries = 0;
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`;
    const [head] = await tx<Array<{ hash: Uint8Array }>>`select hash from audit_log order by id desc limit 1`;
    let prev = head?.hash ?? new Uint8Array(32);
    const stream = await tx`copy audit_log (at, actor, event, order_id, serial, data, prev_hash, hash) from stdin`.writable();
    const hex = (b: Uint8Array) => `\\\\x${Buffer.from(b).toString('hex')}`;
    const write = (chunk: string) => new Promise<void>((resolve, reject) => (stream.write(chunk) ? resolve() : stream.once('drain', resolve).once('error', reject)));
    const base = Date.now() - 2 * n;
    let chunk = '';
    for (let i = 1; i <= n; i++) {
      const { orderId, serial, revoked } = seeded(i);
      for (const event of revoked ? ['certificate.issued', 'certificate.revoked'] : ['certificate.issued']) {
        const at = new Date(base + entries);
        const hash = auditEntryHash(prev, { at, actor: 'workflow', event, orderId, serial, data: {} });
        chunk += `${at.toISOString()}\tworkflow\t${event}\t${orderId}\t${serial}\t{}\t${hex(prev)}\t${hex(hash)}\n`;
        prev = hash;
        entries++;
      }
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  });
  log(`preload: audit chain (${entries} entries, ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  return entries;
}
