/**
 * The activity options of every workflow, one preset per class of work: how long an attempt may take, on which task
 * queue it runs, and how it is retried. Every preset retries transient faults with exponential backoff and never
 * retries the kinds domain/errors.ts marks as decisions (`nonRetryableFailureTypes`); the activities throw those
 * kinds as CaErrors and the worker's interceptor marks them non-retryable too (worker/failure-interceptor.ts).
 * Sandbox-safe: plain data and functions of the workflow input.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { nonRetryableFailureTypes } from '../domain/errors';

type RetryPolicy = NonNullable<ActivityOptions['retry']>;

const backoff = (initialInterval: string, maximumInterval: string, more: Partial<RetryPolicy> = {}): RetryPolicy => ({
  initialInterval,
  backoffCoefficient: 2,
  maximumInterval,
  nonRetryableErrorTypes: [...nonRetryableFailureTypes],
  ...more,
});

/**
 * A preset as a local activity's options: the same timeouts and retries (no task queue, no heartbeat: the worker
 * that runs it runs the workflow, and a dead one fails the workflow task, which is retried with the activity).
 */
function asLocal(o: ActivityOptions): LocalActivityOptions {
  return { startToCloseTimeout: o.startToCloseTimeout, retry: o.retry };
}

/**
 * Database bookkeeping on the main queue: short, retried until it works, without a bound on purpose — a database
 * outage delays an order, it must not fail one. What cannot work by being retried does not loop: a write the
 * database refuses for what it is (NOT NULL, CHECK, foreign key) fails at once as `invariantViolated` (db/errors.ts,
 * worker/failure-interceptor.ts), and an order that waits on a long outage is shown as stuck (workflows/stuck.ts).
 */
export const storage: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: backoff('1 second', '1 minute') };

/**
 * The issuance workflow's database bookkeeping as local activities (histories since the `cost-per-certificate` patch):
 * run by the worker that runs the workflow, right away, and recorded as a marker of the workflow task — no activity
 * task through the server and no workflow task of its own, which is most of what an order cost Temporal
 * (docs/BENCHMARKS.md, "Cost per certificate"). Retried like `storage` (a database outage delays, never loses).
 */
export const bookkeeping: LocalActivityOptions = asLocal(storage);

/** Database work over batches (a revocation batch, the OCSP refresh query): the same, with a longer attempt (unbounded, as `storage`). */
export const storageBatch: ActivityOptions = { ...storage, startToCloseTimeout: '1 minute' };

/**
 * Operator work over pages that may run external linters (an incident's lint criterion, the self-audit's re-lint):
 * a long attempt, heartbeats so a dead worker is noticed in seconds, retried until it works.
 */
export const operatorPage: ActivityOptions = { startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds', retry: backoff('1 second', '1 minute') };

/**
 * Step 2, a DCV check by the primary perspective: retried with backoff for the configured window after the applicant
 * said "ready" (CA_DCV_CHECK_WINDOW_SECONDS), so a record or file that appears late still validates.
 */
export const dcvCheck = (windowSeconds: number): ActivityOptions => ({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: `${windowSeconds} seconds`,
  retry: backoff('2 seconds', '1 minute'),
});

/** CP 3.2.2.4.4: sending the constructed e-mails is retried for a while (the relay may be down), never endlessly. */
export const email: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: backoff('5 seconds', '5 minutes', { maximumAttempts: 10 }),
};

/**
 * Steps 6 and 10: zlint and pkilint run as external programs. A refusal is final (`lintFailed`); a crashed linter is
 * retried a few times; the heartbeat notices a dead worker in seconds.
 */
export const lint: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: backoff('2 seconds', '200 seconds', { maximumAttempts: 5 }),
};

/** The same as a local activity of the main worker, which runs the resident linters (since the `local-lint` patch). */
export const lintLocal: LocalActivityOptions = asLocal(lint);

/**
 * One signature in the HSM: on the signing task queue, where the only worker holding the PKCS#11 session runs.
 * Unbounded on purpose, like `storage`: a signing worker that is down or an HSM that errors for a while delays the
 * order (shown as stuck after CA_STUCK_AFTER_SECONDS, workflows/stuck.ts); a refusal (lint, correspondence) is a
 * non-retryable kind, and a session the token closed is reopened by the signer (pki/hsm.ts).
 */
export const signing = (taskQueue: string): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout: '1 minute',
  retry: backoff('1 second', '30 seconds'),
});

/**
 * Pre-signing an OCSP response during issuance (steps 7 and 10): a few attempts only — a failure never fails the
 * order, since the ocsp-refresh schedule signs any served serial without a response (BR 4.9.10).
 */
export const ocspPresign = (taskQueue: string): ActivityOptions => ({
  ...signing(taskQueue),
  retry: backoff('1 second', '30 seconds', { maximumAttempts: 5 }),
});

/**
 * Many signatures in one activity (a CRL, a batch of OCSP responses): the HSM may be busy with issuance. Unbounded
 * like `signing`: the CRL and OCSP schedules must eventually publish (CP 4.9.7, BR 4.9.10); the revocation workflows
 * flag themselves overdue at their BR deadline (workflows/revocation-steps.ts).
 */
export const signingBatch = (taskQueue: string): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout: '5 minutes',
  // The batch activities heartbeat (activities/heartbeat.ts): a killed signing worker is noticed in seconds.
  heartbeatTimeout: '30 seconds',
  retry: backoff('1 second', '1 minute'),
});

/** Step 8, the plan: a missing or malformed log list is an operator's fix, retried for a few minutes (unsigned). */
export const ctPlan: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: backoff('1 second', '30 seconds', { maximumAttempts: 8 }),
};

/** Step 8, the plan as a local activity (histories since the `cost-per-certificate` patch): the same retries. */
export const ctPlanLocal: LocalActivityOptions = asLocal(ctPlan);

/** Step 8, one log's add-pre-chain: its own per-attempt timeout, retried with backoff until the CT deadline. */
export const ctSubmission = (plan: { attemptTimeoutSeconds: number; deadlineSeconds: number }): ActivityOptions => ({
  startToCloseTimeout: `${plan.attemptTimeoutSeconds + 5} seconds`,
  scheduleToCloseTimeout: `${plan.deadlineSeconds} seconds`,
  retry: backoff('1 second', '15 seconds'),
});

/** CP 4.9.8: the check that the CRL is served, retried for a while (the API may be restarting, a cache may lag). */
export const crlCheck: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '3 minutes',
  retry: backoff('1 second', '20 seconds'),
};

/** Steps 3 and 9, the primary perspective's checks (main task queue). */
export const perspectivePrimary: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: backoff('1 second', '100 seconds', { maximumAttempts: 3 }),
};

/**
 * Steps 3 and 9, a remote perspective (`perspective-<id>`): a short deadline — a perspective that does not answer
 * within it counts as non-corroborating (BR 3.2.2.9) — and one retry for transient faults.
 */
export const perspectiveRemote = (taskQueue: string): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '45 seconds',
  retry: backoff('1 second', '100 seconds', { maximumAttempts: 2 }),
});

/**
 * One delivery of a notice (CP 4.3.2, 4.9, reminders) to the SMTP relay: a dead worker is noticed by the heartbeat in
 * seconds; a relay that is down or refuses is retried with backoff for about two hours, then the notice is failed for
 * an operator (`npm run admin -- notices failed`).
 */
export const noticeDelivery: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: backoff('5 seconds', '30 minutes', { maximumAttempts: 10 }),
};
