/**
 * `npm run bench:incident [-- --n 2000 --rate 100000]`: revocations per second of an incident (CP 4.9.1) with CRL and
 * OCSP kept in step — the incidentResponse workflow on the Temporal dev server, the main and signing workers
 * (PostgreSQL, SoftHSM2 with the configured sessions), the API serving the CRLs it verifies — over N certificate rows
 * seeded in bulk (test/support/ocsp-fixtures.ts). With --rate high the throttle does not bind: what is measured is the
 * revocation path itself — per certificate the request and the revocation audited (hash chain), per batch the OCSP
 * responses re-signed in the HSM before the next batch and the CRL publisher signalled, and at the end a CRL of every
 * entry, checked as published.
 *
 * Baselines in the same run, to read the figure as ratios on a shared machine: SoftHSM2 signatures/s over the same
 * sessions (one OCSP response per revocation), and the database part alone (the incident's revocation batches
 * called directly, no Temporal, no OCSP, no CRL) over N/5 other certificates.
 * Services live under .data-bench-incident/ on their own ports. Prints JSON and a Markdown row for docs/BENCHMARKS.md.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchEnvironment } from './lib/bench-env';

const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' }, rate: { type: 'string', default: '100000' } } });
const N = Number(values.n);
const RATE = Number(values.rate);

Object.assign(process.env, benchEnvironment('incident', { pg: 25733, temporal: 27533, dns: 28353, api: 28380 }, { CA_CRL_QUIET_SECONDS: '1', CA_CRL_MAX_DELAY_SECONDS: '5' }));

const { loadConfig } = await import('../config');
const { bringUpServices } = await import('./lib/services');
const { openHsm } = await import('../pki/hsm');
const { readHsmPin } = await import('../pki/hsm-pin');
const { startHarness } = await import('../test/support/ca-harness');
const { seedCertificates } = await import('../test/support/ocsp-fixtures');
const { connectOperatorClient } = await import('../temporal/connection');
const { startIncident } = await import('./lib/incidents');
const { createIncident, getIncident, revokeIncidentBatch, addIncidentCertificates, incidentCandidates } = await import('../db/repositories/incidents');
const { latestCrlMeta } = await import('../db/repositories/revocation');
const { sql } = await import('drizzle-orm');

const log = (s: string) => process.stderr.write(`[bench-incident] ${s}\n`);
const config = loadConfig();
const services = await bringUpServices(config, { log: () => {}, persistTemporal: false, temporalUi: false, devDns: false });
process.env.DATABASE_URL = services.databaseUrl;
const { createDb } = await import('../db/client');
const store = createDb(services.databaseUrl, { max: 4 });
const db = store.db;
// The workers start after the baselines, so that their start-up work (the OCSP refresh) does not weigh on them.
let h: Awaited<ReturnType<typeof startHarness>> | undefined;
let temporal: Awaited<ReturnType<typeof connectOperatorClient>> | undefined;

try {
  // Baseline 1: SoftHSM2 signatures/s over the signing worker's sessions (one OCSP response per revocation).
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: config.hsm.sessions });
  const data = new Uint8Array(512).fill(7);
  let next = 0;
  let t0 = performance.now();
  await Promise.all(Array.from({ length: config.hsm.sessions }, async () => {
    while (next++ < 1000) await hsm.signSha256Rsa('dv-g4', data);
  }));
  const hsmSignsPerSec = 1000 / ((performance.now() - t0) / 1000);
  await hsm.close();

  // Baseline 2: the database part alone — the incident's revocation batches without Temporal, OCSP or CRL.
  const m = Math.max(100, Math.floor(N / 5));
  const since = new Date(Date.now() - 1000);
  await seedCertificates(db, { count: m, status: 'issued' });
  const baseId = randomUUID();
  await createIncident(db, { id: baseId, title: 'baseline', reason: 4, criteria: { issuedFrom: since.toISOString() }, ratePerSecond: RATE, detectedAt: new Date(), deadline: new Date(Date.now() + 5 * 86_400_000), deadlineRule: 'bench', workflowId: `bench-${baseId}`, createdBy: 'bench' });
  let after = '';
  for (;;) {
    const page = await incidentCandidates(db, { incidentId: baseId, criteria: { issuedFrom: since.toISOString() }, afterSerial: after, limit: 1000, now: new Date(), withDer: false });
    await addIncidentCertificates(db, { incidentId: baseId, rows: page, now: new Date(), reason: 'bench' });
    if (page.length < 1000) break;
    after = page.at(-1)!.serial;
  }
  t0 = performance.now();
  for (;;) {
    const r = await revokeIncidentBatch(db, { incidentId: baseId, limit: 500, at: new Date(), reason: 4, actor: 'bench', deadline: new Date(Date.now() + 86_400_000), deadlineRule: 'bench', workflowId: `bench-${baseId}` });
    if (r.remaining <= 0) break;
  }
  const dbOnlyPerSec = m / ((performance.now() - t0) / 1000);
  log(`database part alone: ${dbOnlyPerSec.toFixed(0)} revocations/s over ${m}`);

  h = await startHarness({ apiOnConfiguredPort: true, perspectives: false });
  temporal = await connectOperatorClient(config);
  // The incident: N certificates issued after `from`, revoked by the workflow at an unbinding rate.
  // Whole seconds, as notBefore is stored (the baseline's certificates are revoked by now: not selected again).
  const from = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  await seedCertificates(db, { count: N, status: 'issued' });
  const crlBefore = (await latestCrlMeta(db, 'dv'))?.crlNumber ?? 0n;
  const started = await startIncident(
    { db, operator: temporal.operator, config, clock: () => new Date() },
    { title: 'bench', operator: 'bench', reason: 'superseded', ratePerSecond: RATE, criteria: { issuerId: 'dv', issuedFrom: from.toISOString() } },
  );
  const final = await temporal.operator.incidentResult(started.incidentId);
  const incident = (await getIncident(db, started.incidentId))!;
  // The revocation phase: from its start event to the last revocation.
  const times = await db.execute<{ first: Date; last: Date; started: Date }>(
    sql`select min(ic.revoked_at) as first, max(ic.revoked_at) as last,
      (select min(at) from incident_events where incident_id = ${started.incidentId} and event = 'incident.revocation_started') as started
      from incident_certificates ic where ic.incident_id = ${started.incidentId}`,
  );
  const t = times[0]!;
  const revocationSeconds = (new Date(t.last).getTime() - new Date(t.started).getTime()) / 1000;
  const totalSeconds = (incident.completedAt!.getTime() - incident.createdAt.getTime()) / 1000;
  const crlAfter = (await latestCrlMeta(db, 'dv'))!;
  const result = {
    date: new Date().toISOString().slice(0, 10),
    n: N,
    configuredRate: RATE,
    revoked: final.revoked,
    revocationsPerSecond: Number((final.revoked / revocationSeconds).toFixed(1)),
    endToEndPerSecond: Number((final.revoked / totalSeconds).toFixed(1)),
    totalSeconds: Number(totalSeconds.toFixed(1)),
    crlsDuringIncident: Number(crlAfter.crlNumber - crlBefore),
    finalCrlEntries: crlAfter.entryCount,
    finalCrlVerified: crlAfter.verifiedAt !== null,
    hsmSessions: config.hsm.sessions,
    hsmSignsPerSec: Number(hsmSignsPerSec.toFixed(0)),
    dbOnlyRevocationsPerSec: Number(dbOnlyPerSec.toFixed(0)),
    loadavg: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `| ${result.date} | ${N} | ${result.revocationsPerSecond} | ${result.endToEndPerSecond} (${result.totalSeconds} s) | ${result.crlsDuringIncident} (last: ${result.finalCrlEntries} entries, verified ${result.finalCrlVerified}) | ${result.hsmSignsPerSec} | ${(result.revocationsPerSecond / result.hsmSignsPerSec).toFixed(2)} | ${result.dbOnlyRevocationsPerSec} | ${(result.revocationsPerSecond / result.dbOnlyRevocationsPerSec).toFixed(2)} |`,
  );
} finally {
  await temporal?.close();
  await h?.stop();
  await store.close();
  await services.stop();
}
