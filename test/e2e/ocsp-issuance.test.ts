/**
 * OCSP pre-signing in the issuance workflow (docs/ISSUANCE-CYCLE.md steps 7 and 10; BR 4.9.10), end to end through
 * the API, Temporal, the workers, PostgreSQL and SoftHSM2, checked with `openssl ocsp -url` against the API's
 * responder:
 * - a precertificate's serial is answered `good` right after step 7 although the final certificate never issues
 *   (the CT logs of this test accept connections and never answer, so step 8 cannot finish), and once the CT
 *   deadline fails the order, the presumed certificate's response turns `revoked` (step 11 compensation);
 * - a normal issuance: the certificate is `good` (openssl -cert), its response signed at step 7 and again after 10.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { ctLogListV3 } from '../../activities/ct/log-list';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOcspResponse } from '../../db/repositories/ocsp';
import { auditLog, certificates } from '../../db/schema';
import { pemEncode } from '../../pki/pem';
import { makeCsr } from '../support/csr';
import { eventually, startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { answerDns01, createOrder } from '../support/orders';

const work = mkdtempSync(path.join(tmpdir(), 'ocsp-e2e-'));

function run(cmd: string, args: readonly string[]): Promise<string> {
  // Asynchronous: the API under test answers from this process's event loop.
  return new Promise((resolve) => execFile(cmd, [...args], { encoding: 'utf8', timeout: 30_000 }, (_e, out, err) => resolve(`${out}${err}`)));
}

async function issuerFiles(h: Harness): Promise<{ root: string; dv: string }> {
  const write = async (id: string) => {
    const file = path.join(work, `${id}.pem`);
    writeFileSync(file, await (await h.api(`/repository/ca/${id}.pem`)).text());
    return file;
  };
  return { root: await write('root'), dv: await write('dv') };
}

async function ocspStatus(h: Harness, files: { root: string; dv: string }, target: { serial: string } | { cert: string }): Promise<string> {
  const which = 'serial' in target ? ['-serial', `0x${target.serial}`] : ['-cert', target.cert];
  return run('openssl', ['ocsp', '-timeout', '10', '-issuer', files.dv, ...which, '-url', `${h.apiUrl}/ocsp/dv`, '-CAfile', files.root, '-verify_other', files.dv]);
}

/** An order for a fresh name, its dns-01 answered: the workflow takes it from there. */
async function order(h: Harness, apiKey: string): Promise<string> {
  const o = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
  await answerDns01(h, apiKey, o);
  return o.id;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('step 7: a precertificate whose final certificate never issues', () => {
  let h: Harness;
  let silentLogs: Server;
  const held: Array<() => void> = [];
  beforeAll(async () => {
    // Three "logs" of three operators (enough for the CT policy of a > 180-day certificate, so the order gets past
    // the plan to step 7) that accept the add-pre-chain and never answer (held until the test ends).
    silentLogs = createServer((_req, res) => held.push(() => res.destroy()));
    await new Promise<void>((r) => silentLogs.listen(0, '127.0.0.1', r));
    const port = (silentLogs.address() as { port: number }).port;
    const key = () => Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })).toString('base64');
    const logList = path.join(work, 'silent-logs.json');
    writeFileSync(logList, JSON.stringify(ctLogListV3([
      { id: 'silent-a', url: `http://127.0.0.1:${port}/a`, publicKey: key(), operator: 'Silent Operator A', api: 'rfc6962', state: 'usable' },
      { id: 'silent-b', url: `http://127.0.0.1:${port}/b`, publicKey: key(), operator: 'Silent Operator B', api: 'rfc6962', state: 'usable' },
      { id: 'silent-c', url: `http://127.0.0.1:${port}/c`, publicKey: key(), operator: 'Silent Operator C', api: 'rfc6962', state: 'usable' },
    ])));
    h = await startHarness({ env: { CA_CT_LOG_LIST: logList, CA_CT_DEADLINE_SECONDS: '40', CA_CT_ATTEMPT_TIMEOUT_SECONDS: '10' } });
  });
  afterAll(async () => {
    await h?.stop();
    for (const release of held) release();
    await new Promise<void>((r) => (silentLogs ? silentLogs.close(() => r()) : r()));
  });

  it('is answered good from step 7 on (BR 4.9.10: within 15 minutes), and revoked once the order fails', async () => {
    const { apiKey } = await h.newAccount('OCSP precertificate applicant');
    const files = await issuerFiles(h);
    const orderId = await order(h, apiKey);
    const signedAt = Date.now();
    const cert = await eventually(async () => {
      const [row] = await h.db.db.select().from(certificates).where(eq(certificates.orderId, orderId));
      return row?.status === 'precertificate' && (await getOcspResponse(h.db.db, row.serial)) ? row : null;
    }, 90_000);
    // Still no final certificate: CT cannot finish.
    expect(cert.certDer).toBeNull();
    const good = await ocspStatus(h, files, { serial: cert.serial });
    expect(good).toContain('Response verify OK');
    expect(good).toMatch(new RegExp(`0x${cert.serial}: good`, 'i'));
    expect(Date.now() - signedAt).toBeLessThan(15 * 60_000);

    // The CT deadline fails the order; the presumed certificate is revoked and its response re-signed at once.
    const revoked = await eventually(async () => {
      const out = await ocspStatus(h, files, { serial: cert.serial });
      return /: revoked/.test(out) ? out : null;
    }, 120_000, 1000);
    expect(revoked).toContain('Response verify OK');
    const [row] = await h.db.db.select().from(certificates).where(eq(certificates.serial, cert.serial));
    expect(row!.status).toBe('revoked');
    expect(row!.certDer).toBeNull();
  });
});

describe('steps 7 and 10: a normal issuance', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the issued certificate is good (openssl ocsp -cert), its response signed at step 7 and again after step 10', async () => {
    const { apiKey } = await h.newAccount('OCSP applicant');
    const files = await issuerFiles(h);
    const orderId = await order(h, apiKey);
    const done = await eventually(async () => {
      const [row] = await h.db.db.select().from(certificates).where(eq(certificates.orderId, orderId));
      return row?.status === 'issued' ? row : null;
    }, 120_000);
    const certFile = path.join(work, 'cert.pem');
    writeFileSync(certFile, pemEncode('CERTIFICATE', done.certDer!));
    const out = await eventually(async () => {
      const o = await ocspStatus(h, files, { cert: certFile });
      return /: good/.test(o) ? o : null;
    }, 30_000);
    expect(out).toContain('Response verify OK');
    // Two signings for this serial: at step 7 (precertificate) and after step 10 (certificate).
    const signed = await eventually(async () => {
      const rows = await h.db.db.select().from(auditLog).where(and(eq(auditLog.event, 'ocsp.responses_signed'), eq(auditLog.serial, done.serial)));
      return rows.length >= 2 ? rows : null;
    }, 30_000);
    expect(signed.length).toBeGreaterThanOrEqual(2);
  });
});
