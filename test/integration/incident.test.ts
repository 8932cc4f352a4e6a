/**
 * An incident end to end (CP 4.9.1, BR 4.9.1.1; RFC 9773; CCADB incident reporting), on Temporal's time-skipping
 * test server so that its 5-day deadline and its rate-limited batches pass in seconds, with the real activities on
 * PostgreSQL and the real CRL and OCSP signing (an InMemorySigner holds the CA keys of this database).
 *
 * What is seeded and what is real: the 300 certificates are rows inserted in bulk (test/support/ocsp-fixtures.ts,
 * no DER: selection, revocation, CRLs and OCSP read serials, dates and statuses only); everything after — the incident
 * row and workflow started by the admin CLI's function, selection, ARI override, notices (outbox, deliveries, the
 * SMTP sink), revocation records and audit, OCSP responses, CRLs (checked with openssl), the report — is the
 * production code.
 * Revocation times come from the workflow's clock: the skipped time of this server, ahead of the wall clock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeApp } from '../../api/acme/app';
import { certIdOf } from '../../api/acme/ari';
import { createNonceStore, usedNoncesIn } from '../../api/acme/nonces';
import { createIncident, getIncident, incidentTimeline } from '../../db/repositories/incidents';
import { latestCrlMeta, getCrlDer } from '../../db/repositories/revocation';
import { certificates, incidentCertificates, notices, ocspResponses } from '../../db/schema';
import { keyIdentifierOf } from '../../pki/certificate';
import { InMemorySigner } from '../../pki/memory-signer';
import { pemEncode } from '../../pki/pem';
import { openssl, tempDir, writeTemp } from '../../pki/test-support';
import { startIncident } from '../../scripts/lib/incidents';
import type { IncidentInput, IncidentProgress } from '../../workflows/operator-contracts';
import { eventually } from '../support/ca-harness';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { seedCertificates, type SeededCertificate } from '../support/ocsp-fixtures';
import { inMemoryKeys, startOperatorWorkers, type OperatorWorkers } from '../support/operator-workers';
import { seedIssuingCa } from '../support/revocation-fixtures';
import { headerOf, textOf } from '../support/smtp-sink';
import { startTimeSkippingServer, type TimeSkippingServer } from '../support/time-skipping';

const HOUR = 3_600_000;
const signer = new InMemorySigner();

let server: TimeSkippingServer;
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let workers: OperatorWorkers;
let caFile: string;
const dir = tempDir('incident-it-');
const affected: SeededCertificate[] = [];
const untouched: Record<'older' | 'expired' | 'revoked', SeededCertificate[]> = { older: [], expired: [], revoked: [] };
/** The three affected subscribers' addresses (their notices' recipients). */
const subscribers = ['first@subscriber.example.jp', 'second@subscriber.example.jp', 'third@subscriber.example.jp'];
/** The incident notices the SMTP sink received. */
const incidentMails = () => workers.sink.messages.filter((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'incident');

beforeAll(async () => {
  server = await startTimeSkippingServer();
  fresh = await freshDatabase({ prefix: 'incident' });
  const db = fresh.handle.db;
  const { rootDer, dvDer } = await seedIssuingCa(db, signer);
  caFile = writeTemp(dir, 'ca.pem', pemEncode('CERTIFICATE', rootDer) + pemEncode('CERTIFICATE', dvDer));
  // 300 affected certificates of three subscribers, issued today; beside them, what the criteria must not select.
  for (let i = 0; i < 3; i++) affected.push(...(await seedCertificates(db, { count: 100, status: 'issued', email: subscribers[i], language: i === 0 ? 'en' : 'ja' })));
  untouched.older = await seedCertificates(db, { count: 10, status: 'issued' });
  await db.update(certificates).set({ notBefore: new Date(Date.now() - 30 * 24 * HOUR) }).where(inArray(certificates.serial, untouched.older.map((c) => c.serial)));
  untouched.expired = await seedCertificates(db, { count: 5, status: 'issued', notAfter: new Date(Date.now() - HOUR) });
  untouched.revoked = await seedCertificates(db, { count: 5, status: 'revoked', reason: 5 });
  workers = await startOperatorWorkers({ client: server.client, nativeConnection: server.workerConnection, db, databaseUrl: fresh.url, signer, keys: inMemoryKeys(signer) });
}, 300_000);

afterAll(async () => {
  await workers?.stop();
  await server?.stop();
  await fresh?.drop();
});

describe('an incident over 300 certificates (CP 4.9.1, BR 4.9.1.1)', () => {
  it('selects them, sets "renew now" at once, pauses and resumes, revokes all at the configured rate before the deadline, with OCSP and CRL in step, and reports', async () => {
    const db = fresh.handle.db;
    const rate = 2; // certificates/s: batches of 10, one every 5 s of workflow time
    const started = await startIncident(
      { db, operator: workers.operator, config: workers.config, clock: () => new Date() },
      {
        title: 'OCSP URL with a typo in the DV profile',
        operator: 'alice',
        reason: 'superseded',
        cause: 'a configuration change was deployed without the profile lint',
        ratePerSecond: rate,
        criteria: { issuerId: 'dv', issuedFrom: new Date(Date.now() - 24 * HOUR).toISOString() },
      },
    );
    const id = started.incidentId;
    const deadline = new Date(started.deadline);
    // BR 4.9.1.1: the CA's own finding (superseded), 5 days.
    expect(deadline.getTime() - Date.now()).toBeGreaterThan(119 * HOUR);
    const progress = () => workers.operator.incidentProgress(id);

    // Selection and the ARI override happen at once (time runs at wall-clock pace until the test skips it).
    const revoking = await eventually(async () => ((await progress()).phase === 'revoking' ? progress() : null), 60_000);
    expect(revoking.selected).toBe(300);
    expect(revoking.notified).toBe(3);
    // Each subscriber's notice goes out through the outbox and its own delivery workflow, before time is skipped.
    await eventually(async () => ((await db.select().from(notices).where(eq(notices.kind, 'incident'))).every((n) => n.status === 'sent') && incidentMails().length >= 3) || null, 60_000);
    const acme = createAcmeApp({ db, workflows: fakeWorkflows(), config: workers.config, clock: () => new Date(), nonces: createNonceStore({ key: new Uint8Array(randomBytes(32)), used: usedNoncesIn(db) }), eabEncryptionKey: new Uint8Array(randomBytes(32)), baseUrl: 'https://acme.test.example/acme' });
    const dvKeyId = keyIdentifierOf(await signer.publicKeySpki('dv-g4'));
    const renewalInfo = async (serial: string) => {
      const res = await acme.request(`/acme/renewal-info/${certIdOf(dvKeyId, serial)}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { suggestedWindow: { end: string } }).suggestedWindow;
    };
    // RFC 9773 §4.2: a window in the past tells the client to renew now; a certificate outside the incident keeps its own.
    const last = affected.at(-1)!.serial;
    expect(Date.parse((await renewalInfo(last)).end)).toBeLessThan(Date.now());
    expect(Date.parse((await renewalInfo(untouched.older[0]!.serial)).end)).toBeGreaterThan(Date.now());

    // Pause: no further batch while paused.
    await workers.operator.pauseIncident(id, 'alice', 'a subscriber asked for time to replace');
    await new Promise((r) => setTimeout(r, 1500)); // a batch already under way finishes
    const paused = await progress();
    expect(paused.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await progress()).revoked).toBe(paused.revoked);
    expect(paused.revoked).toBeLessThan(300);

    // Four and a half days pass while paused: the durable deadline-at-risk alarm fires (12 h before a 5-day deadline).
    await server.skip((4.5 * 24 * 3600 + 60) * 1000);
    const atRisk = await progress();
    expect(atRisk).toMatchObject({ atRisk: true, overdue: false, paused: true, revoked: paused.revoked });
    expect((await server.client.workflow.getHandle(`incident-${id}`).describe()).searchAttributes.CaStatus).toEqual(['incident-deadline-at-risk']);

    // Resume; the rest is revoked at the configured rate (still enough for the remaining 12 hours).
    await workers.operator.resumeIncident(id, 'alice');
    const final = await server.whileSkipping(workers.operator.incidentResult(id));
    expect(final).toMatchObject({ phase: 'completed', selected: 300, revoked: 300, skipped: 0, overdue: false, effectiveRate: rate });

    // Every affected certificate revoked as superseded, through the one revocation path; nothing else touched.
    const rows = await db.select().from(certificates).where(inArray(certificates.serial, affected.map((c) => c.serial)));
    expect(rows.every((r) => r.status === 'revoked' && r.revocationReason === 4)).toBe(true);
    for (const c of [...untouched.older, ...untouched.expired]) {
      expect((await db.select({ status: certificates.status }).from(certificates).where(eq(certificates.serial, c.serial)))[0]!.status).toBe('issued');
    }
    // The configured rate: batches of 10 certificates, each batch at least 5 s (of workflow time) after the previous.
    const times = [...new Set(rows.map((r) => r.revokedAt!.getTime()))].sort((a, b) => a - b);
    for (const t of times) expect(rows.filter((r) => r.revokedAt!.getTime() === t).length).toBeLessThanOrEqual(10);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(5000);
    expect(Math.max(...times)).toBeLessThanOrEqual(deadline.getTime());

    // OCSP in step: every revoked serial has a revoked response.
    const ocsp = await db.select().from(ocspResponses).where(inArray(ocspResponses.serial, affected.map((c) => c.serial)));
    expect(ocsp.filter((o) => o.certStatus === 'revoked')).toHaveLength(300);
    // CRL in step: the last CRL of the issuer lists all 300 and verifies (openssl).
    const crl = (await getCrlDer(db, (await latestCrlMeta(db, 'dv'))!.id))!;
    const text = openssl(['crl', '-inform', 'DER', '-in', writeTemp(dir, 'dv.crl', crl), '-CAfile', caFile, '-noout', '-verify', '-text']);
    expect(text.out).toMatch(/verify OK/);
    const listed = new Set([...text.out.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase().replace(/^0+/, '')));
    expect(affected.every((c) => listed.has(c.serial))).toBe(true);

    // One notice per subscriber, delivered exactly once — in its language, with its count and the deadline; the
    // timeline and the report (CCADB sections) record what happened.
    const mails = incidentMails();
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...subscribers].sort());
    expect(new Set(mails.map((m) => headerOf(m.raw, 'Message-ID'))).size).toBe(3);
    const english = textOf(mails.find((m) => m.to.includes(subscribers[0]!))!.raw);
    expect(english).toContain('The CA will revoke 100 of your server certificates');
    expect(english).toContain(deadline.toISOString().slice(0, 10));
    expect(textOf(mails.find((m) => m.to.includes(subscribers[1]!))!.raw)).toContain('お客様のサーバー証明書 100 枚');
    const noticeRows = await db.select().from(notices).where(eq(notices.kind, 'incident'));
    expect(noticeRows.map((n) => [n.status, n.attempts])).toEqual([['sent', 1], ['sent', 1], ['sent', 1]]);
    const events = (await incidentTimeline(db, id)).map((e) => e.event);
    for (const e of ['incident.created', 'incident.selected', 'incident.subscribers_notified', 'incident.paused', 'incident.deadline-at-risk', 'incident.resumed', 'incident.completed']) expect(events).toContain(e);
    const incident = (await getIncident(db, id))!;
    expect(incident).toMatchObject({ status: 'completed', selectedCount: 300, revokedCount: 300 });
    expect(incident.report).toMatchObject({ impact: { totalCertificates: 300, revoked: 300, deadlineMet: true } });
    expect(String(incident.report!.markdown)).toContain('## Root Cause Analysis');
    const states = await db.select({ state: incidentCertificates.state }).from(incidentCertificates).where(and(eq(incidentCertificates.incidentId, id), eq(incidentCertificates.state, 'revoked')));
    expect(states).toHaveLength(300);
  }, 240_000);

  it('continues as new when its history grows long (100k+ certificates), carrying cursors and counts', async () => {
    const db = fresh.handle.db;
    const seeded = await seedCertificates(db, { count: 30, status: 'issued' });
    await db.update(certificates).set({ notBefore: new Date(Date.now() - 90 * 24 * HOUR) }).where(inArray(certificates.serial, seeded.map((c) => c.serial)));
    // The incident row as the CLI stores it; its workflow started here with small pages and a tiny history budget.
    const incidentId = randomUUID();
    const detectedAt = new Date();
    const deadline = new Date(detectedAt.getTime() + 120 * HOUR);
    await createIncident(db, {
      id: incidentId, title: 'long incident', reason: 9, criteria: { serials: seeded.map((c) => c.serial) }, ratePerSecond: 4,
      detectedAt, deadline, deadlineRule: 'BR 4.9.1.1', workflowId: `incident-${incidentId}`, createdBy: 'operator:alice',
    });
    const input: IncidentInput = {
      incidentId, signingTaskQueue: workers.config.temporal.signingTaskQueue, detectedAt: detectedAt.toISOString(), deadline: deadline.toISOString(),
      ratePerSecond: 4, crl: { quietSeconds: 1, maxDelaySeconds: 5 }, selectionPageSize: 4, maxHistoryEvents: 40,
    };
    const run = await server.client.workflow.start('incidentResponse', { taskQueue: workers.config.temporal.taskQueue, workflowId: `incident-${incidentId}`, args: [input] });
    const final = (await server.whileSkipping(run.result())) as IncidentProgress;
    expect(final).toMatchObject({ phase: 'completed', selected: 30, notified: 1, revoked: 30, skipped: 0 });
    // It did continue as new: the first run of the id ended that way.
    const firstRun = server.client.workflow.getHandle(`incident-${incidentId}`, run.firstExecutionRunId);
    expect((await firstRun.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const rows = await db.select().from(certificates).where(inArray(certificates.serial, seeded.map((c) => c.serial)));
    expect(rows.every((r) => r.status === 'revoked' && r.revocationReason === 9)).toBe(true);
  }, 240_000);
});
