/**
 * The incident report: the sections a CCADB incident report asks for (CCADB Incident Reporting Guidelines — Summary,
 * Impact, Timeline, Related Incidents, Root Cause Analysis, Lessons Learned, Action Items, Appendix), filled with the
 * facts the CA recorded. What only people know (root cause beyond the stated cause, lessons, action items, whether
 * issuance was stopped) is marked for the operators to complete, never invented. Pure: JSON and Markdown from facts.
 */
import { describeCriteria, type IncidentCriteria } from './incidents';
import { reasonName } from './revocation';

export interface IncidentReportFacts {
  readonly incident: {
    readonly id: string;
    readonly title: string;
    readonly reason: number;
    readonly cause: string | null;
    readonly criteria: IncidentCriteria;
    readonly detectedAt: Date;
    readonly deadline: Date;
    readonly deadlineRule: string;
    readonly ratePerSecond: number;
    readonly createdBy: string;
    readonly alarmRaisedAt: Date | null;
  };
  readonly completedAt: Date;
  readonly counts: { readonly selected: number; readonly revoked: number; readonly skipped: number };
  readonly byIssuer: ReadonlyArray<{ readonly issuerId: string; readonly certificates: number }>;
  /** notBefore of the first and last affected certificate (the span of the non-compliance, as issued). */
  readonly issuedBetween: { readonly first: Date; readonly last: Date } | null;
  readonly lastRevokedAt: Date | null;
  readonly accountsNotified: number;
  readonly timeline: ReadonlyArray<{ readonly at: Date; readonly event: string; readonly actor: string; readonly detail: Record<string, unknown> }>;
  /** The CRLs published at the end (BR 4.9.7: every revocation on a CRL), per issuing key. */
  readonly crls: ReadonlyArray<{ readonly issuerId: string; readonly crlNumber: string; readonly thisUpdate: string }>;
  /** The affected serials, at most the first `serialsShown`; the full list stays in incident_certificates. */
  readonly serials: readonly string[];
}

const TO_COMPLETE = '(to be completed by the operators)';

/** The report as JSON sections plus the same as Markdown (`markdown`). */
export function incidentReport(f: IncidentReportFacts): Record<string, unknown> & { markdown: string } {
  const i = f.incident;
  const reason = reasonName(i.reason) ?? String(i.reason);
  const metDeadline = f.lastRevokedAt === null || f.lastRevokedAt.getTime() <= i.deadline.getTime();
  const summary = {
    incident: i.title,
    incidentId: i.id,
    description: `${f.counts.selected} certificate(s) selected by: ${describeCriteria(i.criteria)}; revoked with reason ${reason}.`,
    nonComplianceStart: f.issuedBetween?.first.toISOString() ?? null,
    nonComplianceIdentified: i.detectedAt.toISOString(),
    nonComplianceEnd: (f.lastRevokedAt ?? f.completedAt).toISOString(),
    relevantPolicies: ['CP 4.9.1', 'BR 4.9.1.1', 'CP 7.2.3 / BR 7.2.2 (reason code)', i.deadlineRule],
    sourceOfDisclosure: `recorded by ${i.createdBy}; ${TO_COMPLETE}`,
  };
  const impact = {
    totalCertificates: f.counts.selected,
    revoked: f.counts.revoked,
    skipped: f.counts.skipped,
    remainingValid: Math.max(0, f.counts.selected - f.counts.revoked - f.counts.skipped),
    affectedCertificateTypes: `TLS server certificates of issuing key(s) ${f.byIssuer.map((b) => `${b.issuerId} (${b.certificates})`).join(', ') || 'none'}`,
    incidentHeuristic: describeCriteria(i.criteria),
    issuedBetween: f.issuedBetween ? { first: f.issuedBetween.first.toISOString(), last: f.issuedBetween.last.toISOString() } : null,
    subscribersNotified: f.accountsNotified,
    revocationDeadline: i.deadline.toISOString(),
    deadlineMet: metDeadline,
    deadlineAlarmRaisedAt: i.alarmRaisedAt?.toISOString() ?? null,
    revocationRatePerSecond: i.ratePerSecond,
    wasIssuanceStopped: TO_COMPLETE,
    crlsPublished: f.crls,
  };
  const timeline = f.timeline.map((e) => ({ at: e.at.toISOString(), event: e.event, actor: e.actor, detail: e.detail }));
  const rootCause = { statedCause: i.cause ?? TO_COMPLETE, analysis: TO_COMPLETE };
  const appendix = { serialsShown: f.serials.length, serialsTotal: f.counts.selected, serials: f.serials, fullList: `npm run admin -- incident serials ${i.id}` };

  const md: string[] = [
    `# Incident report: ${i.title}`,
    '',
    `Incident ${i.id}. All times UTC.`,
    '',
    '## Summary',
    '',
    `- Description: ${summary.description}`,
    `- Non-compliance start (first affected certificate issued): ${summary.nonComplianceStart ?? 'n/a'}`,
    `- Non-compliance identified: ${summary.nonComplianceIdentified}`,
    `- Non-compliance end (last revocation): ${summary.nonComplianceEnd}`,
    `- Relevant policies: ${summary.relevantPolicies.join('; ')}`,
    `- Source of incident disclosure: ${summary.sourceOfDisclosure}`,
    '',
    '## Impact',
    '',
    `- Total number of certificates: ${impact.totalCertificates} (revoked ${impact.revoked}, skipped as expired or already revoked ${impact.skipped}, remaining valid ${impact.remainingValid})`,
    `- Affected certificate types: ${impact.affectedCertificateTypes}`,
    `- Incident heuristic: ${impact.incidentHeuristic}`,
    `- Issued between: ${impact.issuedBetween ? `${impact.issuedBetween.first} and ${impact.issuedBetween.last}` : 'n/a'}`,
    `- Subscribers notified: ${impact.subscribersNotified} account(s)`,
    `- Revocation deadline: ${impact.revocationDeadline} (${i.deadlineRule}) — ${metDeadline ? 'met' : 'MISSED'}${impact.deadlineAlarmRaisedAt ? `; deadline-at-risk alarm raised ${impact.deadlineAlarmRaisedAt}` : ''}`,
    `- Revocation rate: ${impact.revocationRatePerSecond} certificates/s (configured)`,
    `- CRLs published at the end: ${f.crls.map((c) => `${c.issuerId} #${c.crlNumber} (${c.thisUpdate})`).join(', ') || 'none'}`,
    `- Was issuance stopped in response to this incident, and why or why not? ${TO_COMPLETE}`,
    '',
    '## Timeline',
    '',
    ...timeline.map((e) => `- ${e.at} — ${e.event} (${e.actor})${Object.keys(e.detail).length ? `: ${JSON.stringify(e.detail)}` : ''}`),
    '',
    '## Related Incidents',
    '',
    TO_COMPLETE,
    '',
    '## Root Cause Analysis',
    '',
    `Stated cause: ${rootCause.statedCause}`,
    '',
    rootCause.analysis,
    '',
    '## Lessons Learned',
    '',
    `- What went well: ${TO_COMPLETE}`,
    `- What didn't go well: ${TO_COMPLETE}`,
    `- Where we got lucky: ${TO_COMPLETE}`,
    '',
    '## Action Items',
    '',
    TO_COMPLETE,
    '',
    '## Appendix: affected certificates',
    '',
    `${appendix.serialsShown} of ${appendix.serialsTotal} serial(s) shown; the full list: \`${appendix.fullList}\`.`,
    '',
    ...f.serials.map((s) => `- ${s}`),
    '',
  ];
  return { summary, impact, timeline, relatedIncidents: TO_COMPLETE, rootCause, lessonsLearned: TO_COMPLETE, actionItems: TO_COMPLETE, appendix, markdown: md.join('\n') };
}
