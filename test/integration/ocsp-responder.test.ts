/**
 * The OCSP responder's own side, on the real services: the delegated responder certificate the issuing CA issues in
 * SoftHSM2 (CP 7.3), read by independent tools (`openssl x509 -text`, `openssl verify -purpose ocsphelper`, pkilint,
 * zlint) and renewed before it expires; the rules of the stored responses (CP 4.9.13: never back to good); and the
 * ocsp-refresh Temporal Schedule in the real Temporal dev server with the real main and signing workers (BR 4.9.10).
 * Everything runs in a database of its own: test/support/ocsp-testbed.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectionOptions } from '../../temporal/connection';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOcspActivities } from '../../activities/ocsp';
import type { CaConfig } from '../../config';
import { getOcspResponse, storeOcspResponses } from '../../db/repositories/ocsp';
import { ocspResponders, ocspResponses } from '../../db/schema';
import type { Hsm } from '../../pki/hsm';
import { pemEncode } from '../../pki/pem';
import { pkilintCabfErrors, zlintProblems } from '../../pki/test-support';
import { ensureOcspRefreshSchedule } from '../../worker/ocsp-schedule';
import { ocspRefreshScheduleId } from '../../workflows/refreshOcsp';
import { eventually, runWorker, type RunningWorker } from '../support/ca-harness';
import { ageOcspResponse, seedCertificates } from '../support/ocsp-fixtures';
import { openOcspTestbed, type OcspTestbed } from '../support/ocsp-testbed';
import { createMainWorker } from '../../worker/main';
import { createSigningWorker } from '../../worker/signing';

const HOUR = 3600_000;
const hasPkilint = spawnSync('lint_ocsp_response', ['--help'], { stdio: 'ignore' }).status === 0;
const hasZlint = spawnSync('zlint', ['-list-lints-source'], { stdio: 'ignore' }).status === 0;

let testbed: OcspTestbed;
let fresh: OcspTestbed['fresh'];
let config: CaConfig;
let hsm: Hsm;
let acts: OcspTestbed['acts'];
let files: OcspTestbed['files'];
let work: string;

beforeAll(async () => {
  testbed = await openOcspTestbed('ocsp-responder');
  ({ fresh, config, hsm, acts, files, work } = testbed);
});

afterAll(async () => {
  await testbed?.close();
});

describe('delegated responder certificate (CP 7.3), issued by the issuing CA in the HSM', () => {
  let responderPem: string;
  let txt: string;
  beforeAll(async () => {
    await acts.ensureOcspResponder({ issuerId: 'dv' });
    const [row] = await fresh.handle.db.select().from(ocspResponders).where(eq(ocspResponders.issuerId, 'dv')).limit(1);
    responderPem = path.join(work, 'responder.pem');
    writeFileSync(responderPem, pemEncode('CERTIFICATE', row!.certDer));
    txt = execFileSync('openssl', ['x509', '-in', responderPem, '-noout', '-text'], { encoding: 'utf8' });
  });

  it('matches the CP 7.3 profile field by field (openssl x509 -text)', () => {
    expect(txt).toContain('Version: 3 (0x2)');
    expect(txt).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(txt).toMatch(/Issuer: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?JPRS Domain Validation Authority - G4\n/);
    const host = new URL(config.urls.dv.ocsp).hostname.replace(/\./g, '\\.');
    expect(txt).toMatch(new RegExp(`Subject: C ?= ?JP, O ?= ?"?Japan Registry Services Co\\., Ltd\\."?, CN ?= ?${host}\\n`));
    expect(txt).toContain('Public-Key: (2048 bit)');
    expect(txt).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(txt).toMatch(/X509v3 Extended Key Usage: \n\s+OCSP Signing\n/);
    expect(txt).toMatch(/OCSP No Check: ?\n/);
    expect(txt).toContain('X509v3 Authority Key Identifier');
    expect(txt).toContain('X509v3 Subject Key Identifier');
    expect(txt).not.toContain('Certificate Policies');
    expect(txt).not.toContain('CA:TRUE');
    const start = Date.parse(/Not Before: (.+)/.exec(txt)![1]!);
    const end = Date.parse(/Not After : (.+)/.exec(txt)![1]!);
    // CP 7.3 example: 4 days (inclusive of the last second).
    expect(end - start + 1000).toBe(config.ocsp.timing.responderValiditySeconds * 1000);
  });

  it('chains to the root for purpose ocsphelper', () => {
    const out = execFileSync('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.dv, '-purpose', 'ocsphelper', responderPem], { encoding: 'utf8' });
    expect(out.trim()).toBe(`${responderPem}: OK`);
  });

  it('its key is in the HSM: sensitive, never extractable (CP 6.1.1)', async () => {
    const a = await hsm.privateKeyAttributes('ocsp-dv');
    expect(a).toMatchObject({ sensitive: true, extractable: false, neverExtractable: true, modulusBits: 2048 });
  });

  it.runIf(hasPkilint)('pkilint (CA/B, OCSP-RESPONDER) reports no error', () => {
    expect(pkilintCabfErrors(responderPem, 'OCSP-RESPONDER')).toBe('');
  });

  it.runIf(hasZlint)('zlint reports no error or warning', () => {
    expect(zlintProblems(responderPem)).toEqual([]);
  });

  it('is renewed once fewer than renewBefore seconds are left, and responses then use the new one', async () => {
    const t = config.ocsp.timing;
    const current = await acts.ensureOcspResponder({ issuerId: 'dv' });
    expect(current.renewed).toBe(false);
    // A clock moved to just past the renewal point of the current responder.
    const later = new Date(Date.parse(current.notAfter) - t.responderRenewBeforeSeconds * 1000 + 60_000);
    const lateActs = createOcspActivities({ db: fresh.handle.db, signer: hsm, keys: hsm, config, clock: () => later });
    const renewed = await lateActs.ensureOcspResponder({ issuerId: 'dv' });
    expect(renewed.renewed).toBe(true);
    expect(renewed.serial).not.toBe(current.serial);
    expect(Date.parse(renewed.notAfter)).toBeGreaterThan(Date.parse(current.notAfter));
    expect((await lateActs.ensureOcspResponder({ issuerId: 'dv' })).renewed).toBe(false);
    // Every response outlives neither of its signers: signed "later", it is signed by the renewed responder.
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    await lateActs.signOcspResponses({ serials: [cert!.serial] });
    const row = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    expect(row.responderSerial).toBe(renewed.serial);
    expect(row.nextUpdate.getTime()).toBeLessThanOrEqual(Date.parse(renewed.notAfter));
  });
});

describe('storage rules', () => {
  it('a revoked response is never replaced by a good one, nor a newer by an older (CP 4.9.13)', async () => {
    const [cert] = await seedCertificates(fresh.handle.db, { count: 1, status: 'revoked', reason: 1 });
    await acts.signOcspResponses({ serials: [cert!.serial] });
    const revoked = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    // A late write of a good response (a refresh that read the status before the revocation) is ignored...
    await storeOcspResponses(fresh.handle.db, [{ ...revoked, certStatus: 'good', thisUpdate: new Date(revoked.thisUpdate.getTime() + 1000) }], { actor: 'test' });
    // ...and so is an older revoked one.
    await storeOcspResponses(fresh.handle.db, [{ ...revoked, thisUpdate: new Date(revoked.thisUpdate.getTime() - 5000), responseDer: Uint8Array.of(1) }], { actor: 'test' });
    const after = (await getOcspResponse(fresh.handle.db, cert!.serial))!;
    expect(after.certStatus).toBe('revoked');
    expect(Buffer.from(after.responseDer)).toEqual(Buffer.from(revoked.responseDer));
  });
});

describe('the ocsp-refresh Temporal Schedule (real Temporal, main and signing workers)', () => {
  let workers: RunningWorker[] = [];
  let client: Client;
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect(connectionOptions(config));
    client = new Client({ connection, namespace: config.temporal.namespace });
    // createMainWorker creates (or updates) the schedule itself.
    workers = [await runWorker(await createMainWorker(config)), await runWorker(await createSigningWorker(config))];
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await connection?.close();
  });

  it('exists after worker start with the configured interval, overlap SKIP, starting refreshOcsp; creation is idempotent', async () => {
    await ensureOcspRefreshSchedule(config, fresh.handle.db, { client });
    const d = await client.schedule.getHandle(ocspRefreshScheduleId).describe();
    expect(d.action.type).toBe('startWorkflow');
    expect(d.action.type === 'startWorkflow' && d.action.workflowType).toBe('refreshOcsp');
    expect(d.spec.intervals?.[0]?.every).toBe(config.ocsp.timing.scheduleIntervalSeconds * 1000);
    expect(d.policies.overlap).toBe('SKIP');
  });

  it('signs missing responses and re-signs those older than refreshAfter when it fires', async () => {
    const [missing] = await seedCertificates(fresh.handle.db, { count: 1, status: 'precertificate' });
    const [aged] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued' });
    const [expired] = await seedCertificates(fresh.handle.db, { count: 1, status: 'issued', notAfter: new Date(Date.now() - HOUR) });
    await acts.signOcspResponses({ serials: [aged!.serial] });
    await ageOcspResponse(fresh.handle.db, aged!.serial, config.ocsp.timing.refreshAfterSeconds + 60);
    const agedBefore = (await getOcspResponse(fresh.handle.db, aged!.serial))!.thisUpdate;

    await client.schedule.getHandle(ocspRefreshScheduleId).trigger();
    const refreshed = await eventually(async () => {
      const m = await getOcspResponse(fresh.handle.db, missing!.serial);
      const a = await getOcspResponse(fresh.handle.db, aged!.serial);
      return m && a && a.thisUpdate > agedBefore ? { m, a } : null;
    }, 60_000);
    expect(refreshed.m.certStatus).toBe('good');
    expect(Date.now() - refreshed.a.thisUpdate.getTime()).toBeLessThan(60_000);
    // An expired certificate is not refreshed (and was never signed here).
    expect(await getOcspResponse(fresh.handle.db, expired!.serial)).toBeNull();
    // And nothing this database serves is left stale for the next run.
    const rows = await fresh.handle.db.select().from(ocspResponses);
    expect(rows.filter((r) => Date.now() - r.thisUpdate.getTime() >= config.ocsp.timing.refreshAfterSeconds * 1000)).toEqual([]);
  });
});
