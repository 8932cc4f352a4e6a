/**
 * The quarterly self-audit (BR 8.7; CP 8): the selfAudit workflow (time-skipping test server) over 100 certificates
 * as the issuance cycle leaves them — real DER signed by this database's in-memory issuing key, with their DCV, MPIC
 * and CAA evidence rows (test/support/issuance-fixtures.ts) — re-linted with the installed zlint and pkilint. The
 * sampling seed is fixed here so the test knows the sample in advance and removes one sampled certificate's evidence
 * row; in production the activity draws it from the CSPRNG. The Schedules themselves are checked on the slot's
 * Temporal dev server (the time-skipping server has none).
 */
import { Client, Connection } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { getIssuer } from '../../db/repositories/issuers';
import { getSelfAudit, sampleResults } from '../../db/repositories/self-audits';
import { accounts, notices, validationEvidence } from '../../db/schema';
import { seededSample } from '../../domain/self-audit';
import { keyChangeoverCheckScheduleId, selfAuditScheduleId } from '../../domain/workflow-ids';
import { InMemorySigner } from '../../pki/memory-signer';
import { ensureOperatorSchedules } from '../../worker/operator-schedules';
import { eventually } from '../support/ca-harness';
import { freshDatabase } from '../support/database';
import { seedIssuedCertificate, type IssuedFixture } from '../support/issuance-fixtures';
import { inMemoryKeys, startOperatorWorkers, type OperatorWorkers } from '../support/operator-workers';
import { seedIssuingCa } from '../support/revocation-fixtures';
import { headerOf, textOf } from '../support/smtp-sink';
import { startTimeSkippingServer, type TimeSkippingServer } from '../support/time-skipping';

const signer = new InMemorySigner();
const seed = '5e1fa0d17000000000000000000000a7';
let server: TimeSkippingServer;
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let workers: OperatorWorkers;
const issued: IssuedFixture[] = [];
let expectedSample: string[];
let stripped: IssuedFixture;

beforeAll(async () => {
  server = await startTimeSkippingServer();
  fresh = await freshDatabase({ prefix: 'self_audit' });
  const db = fresh.handle.db;
  await seedIssuingCa(db, signer, { ov: true });
  const dv = (await getIssuer(db, 'dv'))!;
  const { account } = await createAccount(db, { name: 'self-audit subscriber' });
  const config = loadConfig();
  for (let i = 0; i < 100; i++) issued.push(await seedIssuedCertificate(db, signer, { accountId: account.id, config, issuer: dv }));
  // The sample the recorded seed draws (the activity sorts the serials: the population's canonical order).
  expectedSample = seededSample([...issued.map((c) => c.serial)].sort(), 3, seed);
  stripped = issued.find((c) => c.serial === expectedSample[1])!;
  // The primary's DCV evidence row of one sampled certificate is removed (what the audit must notice).
  await db.delete(validationEvidence).where(and(eq(validationEvidence.challengeId, stripped.challengeId), eq(validationEvidence.perspective, 'primary'), eq(validationEvidence.check, 'dcv')));
  workers = await startOperatorWorkers({ client: server.client, nativeConnection: server.workerConnection, db, databaseUrl: fresh.url, signer, keys: inMemoryKeys(signer), selfAuditSeed: () => seed });
}, 300_000);

afterAll(async () => {
  await workers?.stop();
  await server?.stop();
  await fresh?.drop();
});

describe('the self-audit (BR 8.7)', () => {
  it('samples 3 % of what was issued with a recorded seed, re-lints, checks the evidence, and flags the certificate whose evidence row was removed', async () => {
    const result = await workers.operator.runSelfAudit();
    expect(result).toMatchObject({ population: 100, sampleSize: 3, seed, flagged: [stripped.serial] });
    const db = fresh.handle.db;
    const audit = (await getSelfAudit(db, result.auditId))!;
    expect(audit).toMatchObject({ status: 'completed', population: 100, sampleSize: 3, seed, flagged: 1, periodFrom: null });
    // The recorded sample is the one the seed draws, in draw order: anyone can draw it again.
    const samples = await sampleResults(db, audit.id);
    expect(samples.map((s) => s.serial)).toEqual(expectedSample);
    for (const s of samples) {
      if (s.serial === stripped.serial) {
        expect(s.verdict).toBe('flagged');
        expect(s.findings).toEqual([expect.objectContaining({ code: 'dcv-evidence-missing', rule: 'BR 3.2.2.4, 5.4.1' })]);
      } else expect(s, JSON.stringify(s.findings)).toMatchObject({ verdict: 'pass', findings: [] });
    }
    // The report is stored for the operators and e-mailed to them, once, through the notices outbox.
    expect(audit.report).toMatchObject({ seed, population: 100, sampleSize: 3, flagged: [stripped.serial] });
    const [notice] = await db.select().from(notices).where(eq(notices.idempotencyKey, `self-audit:${audit.id}`));
    expect(notice).toMatchObject({ kind: 'self-audit-report', recipient: workers.config.operator.email, language: workers.config.operator.language });
    const mail = await eventually(async () => workers.sink.messages.find((m) => headerOf(m.raw, 'X-CA-Notice-Id') === notice!.id) ?? null, 60_000);
    expect(mail.to).toEqual([workers.config.operator.email]);
    expect(textOf(mail.raw)).toContain(stripped.serial);

    // The next self-audit samples what was issued since this one: nothing yet.
    const next = await workers.operator.runSelfAudit();
    expect(next).toMatchObject({ population: 0, sampleSize: 0, flagged: [] });
    expect((await getSelfAudit(db, next.auditId))!.periodFrom?.getTime()).toBe(audit.periodTo.getTime());
  }, 180_000);

  it('re-lints an OV certificate as OV (pkilint\'s OV type): its vetted subject is no finding', async () => {
    const db = fresh.handle.db;
    const [account] = await db.select().from(accounts).limit(1);
    const organization = { country: 'JP', stateOrProvince: '東京都', locality: '千代田区', organizationName: '株式会社テスト組織' };
    // Issued (notBefore, whole seconds) after the previous audit's period end.
    await new Promise((r) => setTimeout(r, 1100));
    const ov = await seedIssuedCertificate(db, signer, { accountId: account!.id, config: loadConfig(), issuer: (await getIssuer(db, 'ov'))!, organization });
    // Everything issued since the previous audit is this one certificate: it is the sample.
    const result = await workers.operator.runSelfAudit();
    expect(result).toMatchObject({ population: 1, sampleSize: 1, flagged: [] });
    const [sample] = await sampleResults(db, result.auditId);
    expect(sample).toMatchObject({ serial: ov.serial, verdict: 'pass', findings: [] });
  }, 180_000);

  it('runs quarterly, and the key changeover is checked daily: the Schedules exist (created idempotently)', async () => {
    const config = loadConfig();
    const connection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    try {
      await ensureOperatorSchedules(config, { client });
      await ensureOperatorSchedules(config, { client });
      const audit = await client.schedule.getHandle(selfAuditScheduleId).describe();
      expect(audit.action).toMatchObject({ type: 'startWorkflow', workflowType: 'selfAudit' });
      const [quarterly] = audit.spec.calendars ?? [];
      expect(quarterly?.month?.map((r) => r.start)).toEqual(['JANUARY', 'APRIL', 'JULY', 'OCTOBER']);
      expect([quarterly?.dayOfMonth?.[0]?.start, quarterly?.hour?.[0]?.start, quarterly?.minute?.[0]?.start]).toEqual([1, 3, 0]);
      expect(audit.policies.overlap).toBe('SKIP');
      const check = await client.schedule.getHandle(keyChangeoverCheckScheduleId).describe();
      expect(check.action).toMatchObject({ type: 'startWorkflow', workflowType: 'checkKeyChangeover' });
      expect(check.spec.intervals?.[0]?.every).toBe(86_400_000);
    } finally {
      for (const id of [selfAuditScheduleId, keyChangeoverCheckScheduleId]) await client.schedule.getHandle(id).delete().catch(() => undefined);
      await connection.close();
    }
  });
});
