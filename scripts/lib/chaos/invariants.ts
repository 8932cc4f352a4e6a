/**
 * What must hold once the CA is quiet again after a chaos run (docs/RELIABILITY.md), checked against PostgreSQL,
 * Temporal, and — independently — OpenSSL asking the OCSP responder and reading the served CRL:
 *   1. every order an applicant drove ended: valid, or invalid with a stated failure kind (domain/errors.ts) and
 *      detail; an order its applicant abandoned still has its workflow (nothing stored without one);
 *   2. never two certificates or precertificates for one order, never a serial reused;
 *   3. every precertificate has its certificate or was revoked by compensation;
 *   4. OCSP and the CRL agree with the database for every serial;
 *   5. the audit chain verifies.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyAuditChain } from '../../../db/repositories/audit';
import { isFailureKind } from '../../../domain/errors';
import { orderWorkflowId } from '../../../domain/workflow-ids';
import type { OrderRun } from './orders';
import type { ChaosTarget } from './target';

export interface InvariantReport {
  readonly violations: string[];
  /** Orders created but never driven (their applicant lost the answer and made another): still waiting, by design. */
  readonly abandoned: number;
  /** Orders the API's sweep removed: stored, but their door died before it started their workflow. */
  readonly swept: number;
  readonly certificates: number;
  readonly ocspChecked: number;
  readonly crlEntries: number;
  readonly auditEntries: number;
}

const run = (cmd: string, args: readonly string[]): Promise<string> =>
  new Promise((resolve) => execFile(cmd, [...args], { encoding: 'utf8', timeout: 30_000 }, (_e, out, err) => resolve(`${out}${err}`)));

export async function checkInvariants(target: ChaosTarget, runs: readonly OrderRun[], accountIds: readonly string[]): Promise<InvariantReport> {
  const violations: string[] = [];
  const sql = target.db.sql;
  const driven = new Set(runs.map((r) => r.created.at(-1)).filter((id): id is string => id !== undefined));

  // 1. Outcomes.
  for (const r of runs) {
    if (r.status?.startsWith('gave-up')) violations.push(`order ${r.index} (${r.fqdn}, ${r.via}): no outcome — ${r.status}`);
  }
  const orders = await sql`select id, status, error from orders where account_id = any(${accountIds}::uuid[])`;
  let abandoned = 0;
  for (const o of orders) {
    if (driven.has(o.id)) {
      if (o.status === 'valid') continue;
      if (o.status !== 'invalid') violations.push(`order ${o.id}: ended ${o.status}, neither valid nor invalid`);
      else if (!isFailureKind(o.error?.type) || !o.error?.detail) violations.push(`order ${o.id}: invalid without a stated failure kind (${JSON.stringify(o.error)})`);
      continue;
    }
    abandoned++;
    try {
      await target.temporal.workflow.getHandle(orderWorkflowId(o.id)).describe();
    } catch {
      violations.push(`order ${o.id}: stored without its workflow (status ${o.status})`);
    }
  }

  const [sweptRow] = await sql`select count(*)::int as n from audit_log where event = 'order.aborted' and actor = 'system'
      and data->>'accountId' = any(${accountIds}::text[])`;

  // 2. One certificate per order, one use per serial.
  const certs = await sql`select c.serial, c.order_id, c.status, c.issuer_id, c.precert_der is not null as has_precert, c.cert_der is not null as has_cert,
      o.status as order_status from certificates c join orders o on o.id = c.order_id where o.account_id = any(${accountIds}::uuid[])`;
  const perOrder = await sql`select order_id, count(*)::int as n from certificates group by order_id having count(*) > 1`;
  for (const p of perOrder) violations.push(`order ${p.order_id}: ${p.n} certificate rows`);
  const events = await sql`select serial, event, count(*)::int as n from audit_log
      where event in ('certificate.serial_reserved', 'certificate.precertificate_signed', 'certificate.issued') and serial is not null
      group by serial, event having count(*) > 1`;
  for (const e of events) violations.push(`serial ${e.serial}: ${e.n} × ${e.event}`);
  const reused = await sql`select serial from (select serial from certificates union all select serial from ocsp_responders) s group by serial having count(*) > 1`;
  for (const s of reused) violations.push(`serial ${s.serial} used more than once`);

  // 3. Precertificates: issued, or revoked by compensation; a valid order has its certificate.
  for (const c of certs) {
    if (c.order_status === 'valid' && !(c.status === 'issued' && c.has_cert)) violations.push(`order ${c.order_id}: valid, but its certificate ${c.serial} is ${c.status}`);
    if (c.has_precert && c.status !== 'issued' && c.status !== 'revoked') violations.push(`serial ${c.serial}: a precertificate neither issued nor revoked (${c.status})`);
    if (c.has_precert && c.order_status === 'invalid' && c.status !== 'revoked') violations.push(`serial ${c.serial}: order invalid, presumed certificate not revoked`);
  }

  // 4. OCSP and CRL against the database (OpenSSL as the relying party).
  const work = mkdtempSync(path.join(tmpdir(), 'chaos-ocsp-'));
  let ocspChecked = 0;
  let crlEntries = 0;
  try {
    const fetchTo = async (urlPath: string, file: string) => {
      const res = await fetch(`${target.apiUrl}${urlPath}`);
      writeFileSync(path.join(work, file), new Uint8Array(await res.arrayBuffer()));
      return path.join(work, file);
    };
    const root = await fetchTo('/repository/ca/root.pem', 'root.pem');
    const dv = await fetchTo('/repository/ca/dv.pem', 'dv.pem');
    for (const c of certs.filter((x) => x.issuer_id === 'dv')) {
      const out = await run('openssl', ['ocsp', '-timeout', '10', '-issuer', dv, '-serial', `0x${c.serial}`, '-url', `${target.apiUrl}/ocsp/dv`, '-CAfile', root, '-verify_other', dv]);
      const said = /: (good|revoked|unknown)/.exec(out)?.[1] ?? (/unauthorized/i.test(out) ? 'unauthorized' : `no answer (${out.trim().split('\n').pop()})`);
      const expected = !c.has_precert ? ['unknown', 'unauthorized'] : c.status === 'revoked' ? ['revoked'] : ['good'];
      if (!expected.includes(said)) violations.push(`serial ${c.serial} (${c.status}): OCSP says ${said}`);
      else if (c.has_precert && !/Response verify OK/.test(out)) violations.push(`serial ${c.serial}: OCSP response does not verify`);
      ocspChecked++;
    }
    const crl = await fetchTo('/repository/crl/dv.crl', 'dv.crl');
    const text = await run('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text']);
    const listed = new Set([...text.matchAll(/Serial Number: ([0-9A-Fa-f]+)/g)].map((m) => m[1]!.toLowerCase().replace(/^0+/, '')));
    crlEntries = listed.size;
    for (const c of certs.filter((x) => x.issuer_id === 'dv')) {
      const onCrl = listed.has(c.serial);
      if (c.status === 'revoked' && !onCrl) violations.push(`serial ${c.serial}: revoked, not on the served CRL`);
      if (c.status !== 'revoked' && onCrl) violations.push(`serial ${c.serial}: ${c.status}, but on the served CRL`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  // 5. The audit chain.
  const chain = await verifyAuditChain(target.db.db);
  if (!chain.ok) violations.push(`audit chain broken at entry ${chain.brokenAt}`);

  return { violations, abandoned, swept: sweptRow!.n as number, certificates: certs.length, ocspChecked, crlEntries, auditEntries: chain.ok ? chain.entries : 0 };
}
