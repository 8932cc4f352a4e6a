/**
 * `npm run admin -- incident …` (CP 4.9.1, BR 4.9.1.1; docs/OPERATIONS.md): an operator opens an incident — the row
 * (criteria, reason, deadline, rate) is stored first, then its workflow starts — and pauses, resumes, re-rates,
 * watches and reports on it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { createIncident, getIncident, incidentSerials, recordIncidentEvent, requireIncident, setIncidentStatus } from '../../db/repositories/incidents';
import { checkIncidentCriteria, incidentDeadline, incidentReason, type IncidentCriteria } from '../../domain/incidents';
import { incidentWorkflowId } from '../../domain/workflow-ids';
import type { OperatorWorkflows } from '../../temporal/operator';

export interface IncidentStartOptions {
  readonly title: string;
  readonly operator: string;
  readonly reason?: string;
  readonly cause?: string;
  readonly criteria: IncidentCriteria;
  readonly ratePerSecond?: number;
  /** ISO-8601; default now. BR 4.9.1.1 counts from when the CA became aware. */
  readonly detectedAt?: string;
}

export interface IncidentDeps {
  readonly db: Db;
  readonly operator: OperatorWorkflows;
  readonly config: Pick<CaConfig, 'operator'>;
  readonly clock: () => Date;
}

/** Stores the incident, then starts its workflow; a failed start is recorded on the incident (never half-started silently). */
export async function startIncident(deps: IncidentDeps, o: IncidentStartOptions) {
  checkIncidentCriteria(o.criteria);
  const reason = incidentReason(o.reason);
  const detectedAt = o.detectedAt ? new Date(o.detectedAt) : deps.clock();
  if (Number.isNaN(detectedAt.getTime())) throw new Error(`--detected-at is not an ISO-8601 instant: ${o.detectedAt}`);
  const { deadline, rule } = incidentDeadline({ reason, caKeyCompromise: o.criteria.caKeyCompromise ?? false }, detectedAt);
  const ratePerSecond = o.ratePerSecond ?? deps.config.operator.incidentRatePerSecond;
  if (!(ratePerSecond > 0)) throw new Error('--rate is a positive number of certificates per second');
  const id = randomUUID();
  const incident = await createIncident(deps.db, {
    id,
    title: o.title,
    reason,
    cause: o.cause ?? null,
    criteria: o.criteria,
    ratePerSecond,
    detectedAt,
    deadline,
    deadlineRule: rule,
    workflowId: incidentWorkflowId(id),
    createdBy: `operator:${o.operator}`,
  });
  try {
    await deps.operator.startIncident({
      incidentId: id,
      detectedAt: detectedAt.toISOString(),
      deadline: deadline.toISOString(),
      ratePerSecond,
      lint: o.criteria.lint !== undefined,
    });
  } catch (e) {
    await setIncidentStatus(deps.db, id, 'failed');
    await recordIncidentEvent(deps.db, id, 'incident.start_failed', `operator:${o.operator}`, { error: String(e) });
    throw e;
  }
  return { incidentId: id, workflowId: incident.workflowId, reason, deadline: deadline.toISOString(), deadlineRule: rule, ratePerSecond };
}

/** Criteria from the command line: --issuer, --ca-key-compromise, --issued-from/--issued-to, --serials <file>, --spki-sha256, --lint linter:code. */
export function criteriaFromOptions(v: Record<string, string | boolean | undefined>): IncidentCriteria {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const lint = str('lint');
  let parsedLint: IncidentCriteria['lint'];
  if (lint) {
    const [linter, code] = lint.split(':');
    if ((linter !== 'zlint' && linter !== 'pkilint') || !code) throw new Error('--lint is zlint:<lint name> or pkilint:<finding code>');
    parsedLint = { linter, code };
  }
  const serialsFile = str('serials');
  const serials = serialsFile
    ? readFileSync(serialsFile, 'utf8')
        .split(/[\s,]+/)
        .map((s) => s.replace(/:/g, '').trim())
        .filter(Boolean)
    : undefined;
  return {
    ...(str('issuer') ? { issuerId: str('issuer') } : {}),
    ...(v['ca-key-compromise'] === true ? { caKeyCompromise: true } : {}),
    ...(str('issued-from') ? { issuedFrom: str('issued-from') } : {}),
    ...(str('issued-to') ? { issuedTo: str('issued-to') } : {}),
    ...(serials ? { serials } : {}),
    ...(str('spki-sha256') ? { spkiSha256Hex: str('spki-sha256')!.toLowerCase() } : {}),
    ...(parsedLint ? { lint: parsedLint } : {}),
  };
}

/** The live progress (from the workflow) beside the stored row. */
export async function incidentStatus(deps: Pick<IncidentDeps, 'db' | 'operator'>, id: string) {
  const row = requireIncident(await getIncident(deps.db, id), id);
  const progress = await deps.operator.incidentProgress(id).catch((e: unknown) => ({ unavailable: String(e) }));
  const { report: _report, criteria, ...stored } = row;
  void _report;
  return { ...stored, criteria: { ...criteria, serials: criteria.serials ? `${criteria.serials.length} serial(s)` : undefined }, progress };
}

/** Every serial of the incident with what became of it, as lines (the report's appendix in full). */
export async function* incidentSerialLines(db: Db, id: string): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    const page = await incidentSerials(db, id, after, 10_000);
    for (const s of page) yield `${s.serial}\t${s.state}\t${s.revokedAt?.toISOString() ?? ''}\t${s.note ?? ''}`;
    if (page.length < 10_000) return;
    after = page.at(-1)!.serial;
  }
}
