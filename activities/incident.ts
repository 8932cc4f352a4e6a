/**
 * Incident activities (main task queue, PostgreSQL; CP 4.9.1, BR 4.9.1.1; CCADB incident reporting). The workflow
 * (workflows/incident.ts) pages through them: selection (with the ARI "renew now" override in the same transaction),
 * notices to each affected subscriber, revocation in batches through the CA's one revocation path, alarms, and the
 * report. The workflow's history carries ids, counts and one batch of serials at a time — never the whole list.
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import {
  addIncidentCertificates,
  getIncident,
  incidentAccountsPage,
  incidentCandidates,
  incidentImpact,
  incidentSerials,
  incidentTimeline,
  recordIncidentEvent,
  refreshIncidentCounts,
  requireIncident,
  revokeIncidentBatch,
  setIncidentStatus,
  updateIncident,
} from '../db/repositories/incidents';
import { incidentReport } from '../domain/incident-report';
import { incidentReason } from '../domain/incidents';
import { profileOfCa } from '../domain/profiles';
import type { IncidentStatus } from '../domain/statuses';
import { lintCertificate } from '../pki/lint';
import { activityLog } from './activity-log';
import { withHeartbeat } from './heartbeat';
import { developmentAcceptances } from './lint';
import { counterOf } from './metrics';
import type { NoticePort } from './operator-notices';

export interface IncidentDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly notices: NoticePort;
  readonly config: Pick<CaConfig, 'lint' | 'environment' | 'dns' | 'api'>;
}

const metrics = {
  revoked: () => counterOf('ca_incident_revocations_total', 'Certificates revoked by incident workflows (CP 4.9.1)', ['reason']),
  alarms: () => counterOf('ca_incident_alarms_total', 'Incident deadline alarms raised (BR 4.9.1.1)', ['kind']),
};

const ACTOR = (incidentId: string) => `incident:${incidentId}`;

/** How many serials of the appendix the report lists inline (the full list: `npm run admin -- incident serials`). */
const REPORT_SERIALS = 1000;

export function createIncidentActivities({ db, clock, notices, config }: IncidentDeps) {
  const incident = async (id: string) => requireIncident(await getIncident(db, id), id);

  /** The candidates of a page that the named lint flags when linted again with today's linter. */
  async function failingLint(candidates: Awaited<ReturnType<typeof incidentCandidates>>, lint: { linter: 'zlint' | 'pkilint'; code: string }) {
    const hits: typeof candidates = [];
    let unlintable = 0;
    for (const c of candidates) {
      if (!c.der) continue;
      try {
        const [run] = await lintCertificate(c.der, {
          kind: c.kind,
          profile: profileOfCa(c.caId),
          linters: [lint.linter],
          binaries: { zlint: config.lint.zlintBin, pkilint: config.lint.pkilintBin },
          developmentAcceptances: developmentAcceptances(config, []),
        });
        if (run?.findings.some((f) => f.code === lint.code && f.severity !== 'info' && f.severity !== 'notice')) hits.push(c);
      } catch (e) {
        unlintable++;
        activityLog('warn', 'incident selection: a certificate could not be linted', { serial: c.serial, error: String(e) });
      }
    }
    return { hits, unlintable };
  }

  return {
    /**
     * One page of the selection, by serial: the matching certificates are added to the incident and their ARI window
     * set to "renew now" at once (RFC 9773 §4.2). A lint criterion lints each candidate again (slow: small pages).
     */
    async selectIncidentPage(input: { incidentId: string; afterSerial: string; limit: number }): Promise<{ lastSerial: string; scanned: number; selected: number; unlintable: number; done: boolean }> {
      return withHeartbeat(async () => {
        const row = await incident(input.incidentId);
        const now = clock();
        const candidates = await incidentCandidates(db, { incidentId: row.id, criteria: row.criteria, afterSerial: input.afterSerial, limit: input.limit, now, withDer: row.criteria.lint !== undefined });
        const { hits, unlintable } = row.criteria.lint ? await failingLint(candidates, row.criteria.lint) : { hits: candidates, unlintable: 0 };
        const selected = await addIncidentCertificates(db, { incidentId: row.id, rows: hits, now, reason: `incident ${row.id}: ${row.title}` });
        const last = candidates.at(-1)?.serial ?? input.afterSerial;
        return { lastSerial: last, scanned: candidates.length, selected, unlintable, done: candidates.length < input.limit };
      });
    },

    /**
     * One page of the notices: one per affected account, with its count and first serials, into the outbox (one per
     * account and incident, however often this runs); the workflow starts their deliveries.
     */
    async notifyIncidentPage(input: { incidentId: string; afterAccountId: string; limit: number }): Promise<{ lastAccountId: string; notified: number; noticeIds: string[]; done: boolean }> {
      const row = await incident(input.incidentId);
      const page = await incidentAccountsPage(db, input);
      const noticeIds: string[] = [];
      for (const a of page) {
        const { noticeId } = await notices.enqueue({
          kind: 'incident',
          recipient: { accountId: a.accountId },
          idempotencyKey: `incident:${row.id}:account:${a.accountId}`,
          data: { incidentId: row.id, title: row.title, reason: row.reason, deadline: row.deadline.toISOString(), certificates: a.certificates, serials: a.serials, baseUrl: config.api.publicBaseUrl },
        });
        noticeIds.push(noticeId);
      }
      return { lastAccountId: page.at(-1)?.accountId ?? input.afterAccountId, notified: page.length, noticeIds, done: page.length < input.limit };
    },

    /**
     * Revokes the next batch at the workflow's instant `at` (the batch is due then: the workflow paces the batches),
     * each certificate through the one revocation path (request + revocation audited, BR 5.4.1).
     */
    async revokeIncidentBatch(input: { incidentId: string; limit: number; at: string }): Promise<{ revoked: string[]; skipped: number; issuerIds: string[]; remaining: number }> {
      const row = await incident(input.incidentId);
      const result = await revokeIncidentBatch(db, {
        incidentId: row.id,
        limit: input.limit,
        at: new Date(input.at),
        reason: incidentReason(row.reason),
        actor: ACTOR(row.id),
        deadline: row.deadline,
        deadlineRule: row.deadlineRule,
        workflowId: row.workflowId,
      });
      metrics.revoked().inc({ reason: String(row.reason) }, result.revoked.length);
      return result;
    },

    /** A phase change or an operator's signal, on the incident's timeline and in the audit log. */
    async recordIncidentEvent(input: { incidentId: string; event: string; actor?: string; status?: IncidentStatus; detail?: Record<string, unknown> }): Promise<void> {
      if (input.status) await setIncidentStatus(db, input.incidentId, input.status);
      await recordIncidentEvent(db, input.incidentId, input.event, input.actor ?? ACTOR(input.incidentId), input.detail ?? {});
    },

    /** The durable deadline alarm fired (at risk), or the deadline itself passed (overdue): recorded and counted. */
    async raiseIncidentAlarm(input: { incidentId: string; kind: 'deadline-at-risk' | 'overdue'; detail: Record<string, unknown> }): Promise<void> {
      const row = await incident(input.incidentId);
      if (!row.alarmRaisedAt) await updateIncident(db, row.id, { alarmRaisedAt: clock() });
      await recordIncidentEvent(db, row.id, `incident.${input.kind}`, ACTOR(row.id), input.detail);
      metrics.alarms().inc({ kind: input.kind });
      activityLog('error', `incident ${row.id}: ${input.kind} (BR 4.9.1.1 deadline ${row.deadline.toISOString()})`, input.detail);
    },

    /** The report (CCADB sections, domain/incident-report.ts), stored with the incident; the incident is completed. */
    async completeIncident(input: { incidentId: string; crls: Array<{ issuerId: string; crlNumber: string; thisUpdate: string }> }): Promise<{ revoked: number; skipped: number; deadlineMet: boolean }> {
      const row = await incident(input.incidentId);
      const counts = await refreshIncidentCounts(db, row.id);
      const completedAt = clock();
      const impact = await incidentImpact(db, row.id);
      const serials = (await incidentSerials(db, row.id, '', REPORT_SERIALS)).map((s) => s.serial);
      await recordIncidentEvent(db, row.id, 'incident.completed', ACTOR(row.id), { ...counts, crls: input.crls });
      const timeline = await incidentTimeline(db, row.id);
      const report = incidentReport({
        incident: row,
        completedAt,
        counts,
        byIssuer: impact.byIssuer,
        issuedBetween: impact.issuedBetween,
        lastRevokedAt: impact.lastRevokedAt,
        accountsNotified: impact.accounts,
        timeline,
        crls: input.crls,
        serials,
      });
      await updateIncident(db, row.id, { status: 'completed', completedAt, report });
      return { revoked: counts.revoked, skipped: counts.skipped, deadlineMet: (report.impact as { deadlineMet: boolean }).deadlineMet };
    },
  };
}
