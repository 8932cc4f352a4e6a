/**
 * incidentResponse — one workflow per incident (`incident-<id>`; CP 4.9.1, BR 4.9.1.1; CCADB incident reporting),
 * started by `npm run admin -- incident start`, which stored the incident (criteria, reason, deadline, rate) first.
 *
 * 1. select: activities page through PostgreSQL by serial; each page's certificates get their ARI window set to
 *    "renew now" in the same transaction (RFC 9773 §4.2), so ACME clients renew from the first minutes.
 * 2. notify: one notice per affected subscriber account, into the notices outbox (activities/operator-notices.ts),
 *    each delivered by its own `deliverNotice` workflow.
 * 3. revoke at the configured rate (certificates/s): batches through the CA's one revocation path; each batch's OCSP
 *    responses are re-signed before the next batch and the issuers' CRL publishers are signalled. Pausable and
 *    resumable by signals; the rate can be changed by a signal; it is raised by itself only when the configured one
 *    would miss the deadline.
 * 4. publish a CRL per affected issuing key (a publishCrl run), then write the report (CCADB sections).
 * Durable timers: the deadline-at-risk alarm (deadline − lead, domain/incidents.ts) and the deadline itself; both
 * flag the workflow (CaStatus, progress query, the incident's timeline) and it keeps going. The history carries ids,
 * counts and one batch of serials at a time; long incidents continue as new with cursors and counts.
 */
import {
  condition,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createIncidentActivities } from '../activities/incident';
import type { createOcspActivities } from '../activities/ocsp';
import { deadlineAlarmAt, revocationPace } from '../domain/incidents';
import { incidentCrlWorkflowId } from '../domain/workflow-ids';
import { operatorPage, signingBatch, storage, storageBatch } from './activity-options';
import { searchAttributes } from './contracts';
import { failureOf } from './failures';
import { startNoticeDelivery } from './notices';
import {
  incidentProgressQuery,
  pauseIncidentSignal,
  resumeIncidentSignal,
  setIncidentRateSignal,
  type IncidentCarry,
  type IncidentInput,
  type IncidentProgress,
} from './operator-contracts';
import { publishCrl } from './publishCrl';
import { queryableProgress } from './revocation-steps';

type IncidentActivities = ReturnType<typeof createIncidentActivities>;

/** Accounts notified per activity (each notice's delivery start adds two events to the history). */
const NOTICE_PAGE = 200;
/** Continue as new well before the history grows large (Temporal suggests it too). */
const MAX_HISTORY_EVENTS = 8000;

export async function incidentResponse(input: IncidentInput): Promise<IncidentProgress> {
  const pages = proxyActivities<IncidentActivities>(operatorPage);
  const acts = proxyActivities<IncidentActivities>(storageBatch);
  const bookkeeping = proxyActivities<IncidentActivities & ReturnType<typeof createCrlPublicationActivities>>(storage);
  const ocsp = proxyActivities<ReturnType<typeof createOcspActivities>>(signingBatch(input.signingTaskQueue));
  const id = input.incidentId;
  const deadline = new Date(input.deadline);
  const alarmAt = deadlineAlarmAt(new Date(input.detectedAt), deadline);
  const carry: IncidentCarry = input.carry ?? {
    phase: 'selecting',
    cursor: '',
    paused: false,
    ratePerSecond: input.ratePerSecond,
    selected: 0,
    notified: 0,
    revoked: 0,
    skipped: 0,
    atRisk: false,
    overdue: false,
    issuerIds: [],
  };
  const progress = queryableProgress<IncidentProgress>(incidentProgressQuery, {
    incidentId: id,
    phase: carry.phase,
    paused: carry.paused,
    selected: carry.selected,
    notified: carry.notified,
    revoked: carry.revoked,
    skipped: carry.skipped,
    ratePerSecond: carry.ratePerSecond,
    effectiveRate: carry.ratePerSecond,
    deadline: input.deadline,
    alarmAt: alarmAt.toISOString(),
    atRisk: carry.atRisk,
    overdue: carry.overdue,
    error: null,
  });
  const issuerIds = new Set(carry.issuerIds);
  let cursor = carry.cursor;
  let finished = false;

  /** CaStatus shows the most urgent state first: overdue, at risk, paused, then the phase. */
  const showStatus = () => {
    const p = progress.current;
    const value = p.overdue ? 'incident-overdue' : p.atRisk && !finished ? 'incident-deadline-at-risk' : p.paused ? 'incident-paused' : `incident-${p.phase}`;
    upsertSearchAttributes([
      { key: searchAttributes.incidentId, value: id },
      { key: searchAttributes.status, value },
    ]);
  };

  // Operators' signals take effect at once in the state; their timeline entries are written by the main loop.
  const operatorEvents: Array<{ event: string; actor: string; detail: Record<string, unknown> }> = [];
  setHandler(pauseIncidentSignal, ({ operator, reason }) => {
    progress.update({ paused: true });
    operatorEvents.push({ event: 'incident.paused', actor: `operator:${operator}`, detail: reason ? { reason } : {} });
  });
  setHandler(resumeIncidentSignal, ({ operator }) => {
    progress.update({ paused: false });
    operatorEvents.push({ event: 'incident.resumed', actor: `operator:${operator}`, detail: {} });
  });
  setHandler(setIncidentRateSignal, ({ operator, ratePerSecond }) => {
    if (!(ratePerSecond > 0)) return;
    progress.update({ ratePerSecond });
    operatorEvents.push({ event: 'incident.rate_changed', actor: `operator:${operator}`, detail: { ratePerSecond } });
  });
  const flushOperatorEvents = async () => {
    while (operatorEvents.length > 0) {
      const e = operatorEvents.shift()!;
      await acts.recordIncidentEvent({ incidentId: id, ...e });
    }
    showStatus();
  };

  /** A durable timer: when it fires before the incident is done, the alarm is raised (and the work goes on). */
  const alarm = async (at: Date, kind: 'deadline-at-risk' | 'overdue') => {
    const ms = at.getTime() - Date.now();
    if (ms > 0) await sleep(ms);
    if (finished) return;
    progress.update(kind === 'overdue' ? { overdue: true, atRisk: true } : { atRisk: true });
    showStatus();
    const p = progress.current;
    log.error(`incident ${id}: ${kind}`, { deadline: input.deadline, revoked: p.revoked, selected: p.selected });
    await acts.raiseIncidentAlarm({ incidentId: id, kind, detail: { deadline: input.deadline, selected: p.selected, revoked: p.revoked, skipped: p.skipped, paused: p.paused } });
  };
  if (!carry.atRisk) void alarm(alarmAt, 'deadline-at-risk');
  if (!carry.overdue) void alarm(deadline, 'overdue');

  /** Hands over to a fresh run (cursors and counts only) when the history grows long. */
  const maybeContinueAsNew = async (phase: IncidentCarry['phase']) => {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < (input.maxHistoryEvents ?? MAX_HISTORY_EVENTS)) return;
    await flushOperatorEvents();
    const p = progress.current;
    await continueAsNew<typeof incidentResponse>({
      ...input,
      carry: { phase, cursor, paused: p.paused, ratePerSecond: p.ratePerSecond, selected: p.selected, notified: p.notified, revoked: p.revoked, skipped: p.skipped, atRisk: p.atRisk, overdue: p.overdue, issuerIds: [...issuerIds] },
    });
  };
  const enter = async (phase: 'selecting' | 'notifying' | 'revoking' | 'publishing', event: string, detail: Record<string, unknown> = {}) => {
    progress.update({ phase });
    cursor = '';
    showStatus();
    await acts.recordIncidentEvent({ incidentId: id, event, status: phase, detail });
  };

  try {
    showStatus();
    if (carry.phase === 'selecting') {
      if (!input.carry) await enter('selecting', 'incident.selection_started');
      for (;;) {
        const page = await pages.selectIncidentPage({ incidentId: id, afterSerial: cursor, limit: input.selectionPageSize });
        cursor = page.lastSerial;
        progress.update({ selected: progress.current.selected + page.selected });
        if (page.done) break;
        await maybeContinueAsNew('selecting');
      }
      await acts.recordIncidentEvent({ incidentId: id, event: 'incident.selected', detail: { selected: progress.current.selected, ariRenewNow: true } });
    }
    if (carry.phase !== 'revoking') {
      if (carry.phase !== 'notifying') await enter('notifying', 'incident.notifying');
      for (;;) {
        const page = await acts.notifyIncidentPage({ incidentId: id, afterAccountId: cursor, limit: NOTICE_PAGE });
        // Each notice's delivery runs on by itself (a relay that is down never holds up the revocations).
        await Promise.all(page.noticeIds.map(startNoticeDelivery));
        cursor = page.lastAccountId;
        progress.update({ notified: progress.current.notified + page.notified });
        if (page.done) break;
        await maybeContinueAsNew('notifying');
      }
      await acts.recordIncidentEvent({ incidentId: id, event: 'incident.subscribers_notified', detail: { accounts: progress.current.notified } });
      await enter('revoking', 'incident.revocation_started', { ratePerSecond: progress.current.ratePerSecond });
    }

    let raisedRecorded = false;
    for (;;) {
      await flushOperatorEvents();
      if (progress.current.paused) {
        await condition(() => !progress.current.paused || operatorEvents.length > 0);
        continue;
      }
      const p = progress.current;
      const remaining = p.selected - p.revoked - p.skipped;
      if (remaining <= 0) break;
      const now = new Date();
      // Aim to be done before the alarm; once past it (after a long pause), before the deadline itself.
      const pace = revocationPace({ ratePerSecond: p.ratePerSecond, remaining, now, finishBy: now < alarmAt ? alarmAt : deadline });
      progress.update({ effectiveRate: pace.ratePerSecond });
      if (pace.raised && !raisedRecorded) {
        raisedRecorded = true;
        await acts.recordIncidentEvent({ incidentId: id, event: 'incident.rate_raised', detail: { configured: p.ratePerSecond, effective: pace.ratePerSecond } });
      }
      const batch = await acts.revokeIncidentBatch({ incidentId: id, limit: pace.batchSize, at: now.toISOString() });
      progress.update({ revoked: progress.current.revoked + batch.revoked.length, skipped: progress.current.skipped + batch.skipped });
      if (batch.revoked.length > 0) {
        // OCSP in step: the batch's responses are re-signed before the next batch; CRLs follow through the publishers.
        await ocsp.signOcspResponses({ serials: batch.revoked });
        for (const issuerId of batch.issuerIds) {
          issuerIds.add(issuerId);
          await bookkeeping.requestCrlPublication({ issuerId, trigger: `incident:${id}` });
        }
      }
      if (batch.remaining <= 0) break;
      // The next batch is due one interval after this one began; a pause (or a new rate) takes effect at once.
      const rate = progress.current.ratePerSecond;
      await condition(() => progress.current.paused || progress.current.ratePerSecond !== rate, Math.max(0, now.getTime() + pace.intervalMs - Date.now()));
      await maybeContinueAsNew('revoking');
    }

    await enter('publishing', 'incident.revocation_completed', { revoked: progress.current.revoked, skipped: progress.current.skipped });
    const crls: Array<{ issuerId: string; crlNumber: string; thisUpdate: string }> = [];
    for (const issuerId of [...issuerIds].sort()) {
      const r = await executeChild(publishCrl, {
        workflowId: incidentCrlWorkflowId(id, issuerId),
        args: [{ issuerId, signingTaskQueue: input.signingTaskQueue, mode: 'manual', quietSeconds: input.crl.quietSeconds, maxDelaySeconds: input.crl.maxDelaySeconds }],
      });
      for (const c of r.published) crls.push({ issuerId, crlNumber: c.crlNumber, thisUpdate: c.thisUpdate });
    }
    finished = true;
    await flushOperatorEvents();
    await acts.completeIncident({ incidentId: id, crls });
    progress.update({ phase: 'completed' });
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    finished = true;
    const error = failureOf(err).message;
    progress.update({ phase: 'failed', error });
    await acts.recordIncidentEvent({ incidentId: id, event: 'incident.failed', status: 'failed', detail: { error } });
  }
  showStatus();
  return progress.current;
}
