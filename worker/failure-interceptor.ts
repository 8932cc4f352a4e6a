/**
 * Activities fail with `CaError(kind, message, details)` (domain/errors.ts), like the repositories and the pure rules
 * they call. This interceptor, registered on every worker that runs activities (main, signing, perspectives), turns
 * such an error into the ApplicationFailure Temporal understands: its `type` is the kind, it is non-retryable exactly
 * when the table says the kind is not retryable, and the details travel with it. So a decision (lint refused, CT
 * policy not met, a row that must exist is missing) fails at once, a transient fault (record not there yet, a
 * resolver timeout) is retried by the workflow's policy, and the workflow reads the kind back (workflows/failures.ts)
 * instead of guessing from a message. A database error that can never succeed by being retried (a NOT NULL, CHECK or
 * foreign-key violation: db/errors.ts, by SQLSTATE) becomes `invariantViolated`, so the write is not retried forever.
 * Anything else an activity throws is left as it is (retried as a generic error).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, WorkerInterceptors } from '@temporalio/worker';
import { permanentDatabaseFailure } from '../db/errors';
import { failureKinds, isCaError } from '../domain/errors';
import { observeActivities } from './activity-observability';

/** The ApplicationFailure of a CaError (or of a permanent database error); any other value is returned unchanged. */
export function toActivityFailure(err: unknown): unknown {
  const ca = isCaError(err) ? err : permanentDatabaseFailure(err);
  if (!ca) return err;
  return ApplicationFailure.create({
    message: ca.message,
    type: ca.kind,
    nonRetryable: !failureKinds[ca.kind].retryable,
    details: [ca.details],
    cause: err instanceof Error ? err : undefined,
  });
}

const inbound: ActivityInboundCallsInterceptor = {
  async execute(input, next) {
    try {
      return await next(input);
    } catch (err) {
      throw toActivityFailure(err);
    }
  },
};

const failureInterceptor: ActivityInterceptorsFactory = () => ({ inbound });

/**
 * `interceptors` of Worker.create for every worker of the CA that runs activities; the logs and metrics of each
 * attempt (worker/activity-observability.ts) come first, so they see the attempt as Temporal will.
 */
export const caWorkerInterceptors: WorkerInterceptors = { activity: [observeActivities, failureInterceptor] };
