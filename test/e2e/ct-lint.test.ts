/**
 * End to end: pre-issuance linting (step 6), precertificate (7), CT submission (8) and the final
 * certificate with embedded SCTs (10), through the API, Temporal, the workers, PostgreSQL and SoftHSM2, against two
 * real local CT logs (TesseraCT, started by the global setup) — and an in-process fake log only to inject faults.
 *
 * The results are checked with tools that are not our code: OpenSSL shows the SCTs, pkijs' own SCT verifier checks
 * them against the TesseraCT keys, and zlint and pkilint (run directly, not through pki/lint.ts) report no error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { ctLogListV3, parseCtLogList, type CtLogEntry } from '../../activities/ct/log-list';
import { listLintReports } from '../../db/repositories/ct-lint';
import { certificates, issuers } from '../../db/schema';
import { oids } from '../../pki/extensions';
import { parseCertificate, tbsWithoutCtExtensions } from '../../pki/certificate';
import { decodeSctListExtensionValue, logIdOf, verifyPrecertSct } from '../../pki/sct';
import { spkiOfCertificate } from '../../activities/ct/scts';
import { orderWorkflowId } from '../../workflows/contracts';
import { makeCsr } from '../support/csr';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { applyAndWait, type OrderJson } from '../support/orders';
import { pkilintErrors, zlintErrors } from '../support/linters';
import { startFakeCtLog, type FakeCtLog, type FakeLogMode } from '../support/fake-ct-log';

const work = mkdtempSync(path.join(tmpdir(), 'e2e-ct-'));
const logListFile = path.join(work, 'log-list.json');
const DEADLINE_S = 15;
let h: Harness;
let apiKey: string;
let realLogs: CtLogEntry[];
let fake: FakeCtLog;

function useLogs(logs: CtLogEntry[]): void {
  writeFileSync(logListFile, JSON.stringify(ctLogListV3(logs)));
}

beforeAll(async () => {
  // The two TesseraCT instances the global setup started (scripts/lib/ct-logs.ts), from the default log list.
  realLogs = parseCtLogList(JSON.parse(readFileSync(loadConfig().ct.logListFile, 'utf8')));
  expect(realLogs.map((l) => l.id)).toEqual(['local-a1', 'local-a2', 'local-b']);
  useLogs(realLogs);
  fake = await startFakeCtLog();
  h = await startHarness({
    env: {
      CA_CT_LOG_LIST: logListFile,
      CA_CT_DEADLINE_SECONDS: String(DEADLINE_S),
      CA_CT_ATTEMPT_TIMEOUT_SECONDS: '3',
      // Names under a public suffix (JPRS's documentation domain), not the default dev.test: the certificates of
      // this file must lint with 0 errors, with no development-only acceptance of the Internal Name dev.test.
      CA_DEV_ZONE: 'ct-e2e.example.jp',
    },
  });
  ({ apiKey } = await h.newAccount('CT Applicant'));
});
afterAll(async () => {
  await h?.stop();
  await fake?.close();
});

async function issue(): Promise<{ order: OrderJson; ms: number }> {
  const csr = makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] });
  const t0 = Date.now();
  const order = await applyAndWait(h, apiKey, csr);
  return { order, ms: Date.now() - t0 };
}

async function certRow(orderId: string) {
  const [row] = await h.db.db.select().from(certificates).where(eq(certificates.orderId, orderId));
  return row!;
}

function writeDer(name: string, der: Uint8Array): string {
  const file = path.join(work, name);
  writeFileSync(file, der);
  return file;
}

describe('issuance with pre-issuance linting and CT (real TesseraCT logs)', () => {
  it('embeds SCTs from the local logs that verify against their keys (our code, pkijs, OpenSSL), and lints clean', async () => {
    useLogs(realLogs);
    const { order } = await issue();
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    const row = await certRow(order.id);
    expect(row.status).toBe('issued');
    const [dv] = await h.db.db.select().from(issuers).where(eq(issuers.id, row.issuerId));

    // A 200-day certificate needs 3 SCTs, at most 2 counted per operator: all three local logs (2 operators).
    // OpenSSL (independent parser) shows three SCTs, one per local log, by log id.
    const certFile = writeDer('cert.der', row.certDer!);
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', certFile, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('CT Precertificate SCTs');
    expect(text.match(/Signed Certificate Timestamp:/g)).toHaveLength(3);
    for (const l of realLogs) {
      const id = Buffer.from(logIdOf(new Uint8Array(Buffer.from(l.publicKey, 'base64')))).toString('hex').toUpperCase().match(/../g)!;
      expect(text.replace(/\s+/g, '')).toContain(id.join(':'));
    }

    // Our verifier, against the TesseraCT keys: the final certificate's SCTs sign its TBS minus the SCT list.
    const cert = parseCertificate(row.certDer!);
    const ext = cert.extensions!.find((e) => e.extnID === oids.ctSctList)!;
    const scts = decodeSctListExtensionValue(new Uint8Array(ext.extnValue.valueBlock.valueHexView));
    expect(scts).toHaveLength(3);
    for (const sct of scts) {
      const log = realLogs.find((l) => Buffer.from(logIdOf(new Uint8Array(Buffer.from(l.publicKey, 'base64')))).equals(Buffer.from(sct.logId)))!;
      expect(log).toBeDefined();
      expect(verifyPrecertSct(sct, {
        logSpkiDer: new Uint8Array(Buffer.from(log.publicKey, 'base64')),
        issuerSpkiDer: spkiOfCertificate(dv!.certDer!),
        tbsDer: tbsWithoutCtExtensions(row.certDer!),
      })).toEqual({ ok: true });
      expect(Math.abs(sct.timestamp - Date.now())).toBeLessThan(10 * 60_000);
    }
    // pkijs' verifySCTsForCertificate: a second, independent implementation of RFC 6962 3.2.
    const pkijsLogs = realLogs.map((l) => ({
      log_id: Buffer.from(logIdOf(new Uint8Array(Buffer.from(l.publicKey, 'base64')))).toString('base64'),
      key: l.publicKey,
    }));
    expect(await pkijs.verifySCTsForCertificate(cert, parseCertificate(dv!.certDer!), pkijsLogs)).toEqual([true, true, true]);

    // zlint and pkilint, run directly on the CA-signed precertificate and final certificate: 0 errors.
    const precertFile = writeDer('precert.der', row.precertDer!);
    expect(zlintErrors(precertFile)).toEqual([]);
    expect(zlintErrors(certFile)).toEqual([]);
    expect(pkilintErrors(precertFile, 'DV-PRE-CERTIFICATE')).toEqual([]);
    expect(pkilintErrors(certFile, 'DV-FINAL-CERTIFICATE')).toEqual([]);

    // The lint reports are kept with the order: both linters, precertificate and final, all passing.
    const reports = await listLintReports(h.db.db, order.id);
    expect(reports.map((r) => `${r.kind}/${r.linter}/${r.verdict}`).sort()).toEqual([
      'final/pkilint/pass', 'final/zlint/pass', 'precertificate/pkilint/pass', 'precertificate/zlint/pass',
    ]);
    expect(reports.every((r) => r.findings.every((f) => f.severity !== 'error' && f.severity !== 'fatal'))).toBe(true);
    // Warnings are recorded, and every one carries its justification.
    const warnings = reports.flatMap((r) => r.findings.filter((f) => f.severity === 'warning'));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((f) => typeof f.acceptedBecause === 'string')).toBe(true);
  });

  it('a slow log does not hold up an order that the other logs already satisfy', async () => {
    fake.mode = 'slow';
    fake.slowMs = 60_000;
    useLogs([...realLogs, fake.entry('fake-slow', 'Fake Operator C')]);
    const before = fake.requests;
    const { order, ms } = await issue();
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    expect(fake.requests).toBeGreaterThan(before); // it was asked …
    expect(ms).toBeLessThan(DEADLINE_S * 1000); // … but not waited for
    const row = await certRow(order.id);
    const scts = decodeSctListExtensionValue(new Uint8Array(
      parseCertificate(row.certDer!).extensions!.find((e) => e.extnID === oids.ctSctList)!.extnValue.valueBlock.valueHexView,
    ));
    expect(scts).toHaveLength(3);
  });

  it('a log whose temporal interval does not hold the notAfter is not used: the plan fails the order before any signature', async () => {
    const expiredShard = { ...realLogs[2]!, temporalInterval: { startInclusive: '2020-01-01T00:00:00Z', endExclusive: '2021-01-01T00:00:00Z' } };
    useLogs([realLogs[0]!, realLogs[1]!, expiredShard]);
    const { order } = await issue();
    expect(order.status).toBe('invalid');
    expect(order.error?.type).toBe('ctPolicyNotMet');
    const row = await certRow(order.id);
    expect(row.precertDer).toBeNull();
    expect(row.certDer).toBeNull();
  });

  // Each CT failure mode of the second operator's log: the policy (3 SCTs, ≤ 2 per operator, ≥ 2 operators) cannot
  // be met by operator A's two logs alone, so the order fails
  // with the reason, no final certificate is signed, and the presumed certificate (the precertificate) is revoked.
  it.each<[FakeLogMode, RegExp]>([
    ['down', /fake-b: .*(503|timed out|Timeout)/i],
    ['slow', /fake-b: .*(timeout|timed out|aborted)/i],
    ['bad-signature', /fake-b: .*signature does not verify/],
    ['wrong-timestamp', /fake-b: .*timestamp .* outside the submission window/],
  ])('CT failure "%s" of one operator’s log: order invalid, no certificate, presumed certificate revoked', async (mode, why) => {
    fake.mode = mode;
    fake.slowMs = 60_000;
    useLogs([realLogs[0]!, realLogs[1]!, fake.entry('fake-b', 'Fake Operator B')]);
    const { order } = await issue();
    expect(order.status).toBe('invalid');
    expect(order.error?.type).toBe('ctPolicyNotMet');
    expect(order.error?.detail).toMatch(/CT policy not met/);
    expect(order.error?.detail).toMatch(why);
    const row = await certRow(order.id);
    expect(row.precertDer).not.toBeNull();
    expect(row.certDer).toBeNull();
    expect(row.status).toBe('revoked');
    // Visible in Temporal: the workflow result and the CaStatus search attribute.
    const handle = h.temporal.workflow.getHandle(orderWorkflowId(order.id));
    expect(((await handle.result()) as { status: string }).status).toBe('invalid');
    const sa = (await handle.describe()).searchAttributes as Record<string, unknown[]>;
    expect(sa.CaStatus).toEqual(['invalid']);
  });
});
