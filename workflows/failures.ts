/**
 * Failures inside the workflows, in the kinds of domain/errors.ts. An activity's CaError arrives as an
 * ActivityFailure whose cause is an ApplicationFailure typed with the kind (worker/failure-interceptor.ts); the
 * workflow's own refusals are ApplicationFailures of a kind too. `failureOf` reads either back, so what the workflow
 * stores (an order's or a challenge's `error`) carries the kind of the failure it caught — never a guess from text.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { failureKindOf, failureKinds, storedFailure, type CaErrorDetails, type FailureKind, type StoredFailure } from '../domain/errors';

/** A refusal decided by the workflow itself (e.g. the e-mail was not confirmed in time), typed with its kind. */
export function workflowFailure(kind: FailureKind, message: string, details: CaErrorDetails = {}): ApplicationFailure {
  return ApplicationFailure.create({ message, type: kind, nonRetryable: !failureKinds[kind].retryable, details: [details] });
}

export interface CaughtFailure {
  readonly kind: FailureKind;
  readonly message: string;
  readonly details: CaErrorDetails;
}

/**
 * The kind, message and details of a caught failure. An activity's failure is unwrapped to the ApplicationFailure it
 * carries. An activity that ran out of time (TimeoutFailure: no attempt answered within its timeouts) is
 * `serviceUnavailable`; anything else without a kind (a cancellation, an error of the workflow code) is `internal`.
 */
export function failureOf(err: unknown): CaughtFailure {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof ApplicationFailure) {
    const details = e.details?.[0];
    return {
      kind: failureKindOf(e.type),
      message,
      details: typeof details === 'object' && details !== null ? (details as CaErrorDetails) : {},
    };
  }
  return { kind: e instanceof TimeoutFailure ? 'serviceUnavailable' : 'internal', message, details: {} };
}

/**
 * What an order or a challenge stores for a caught failure: the kind and its message, with the rule and the name it
 * concerns when the failure named them (Retry-After and Location are for HTTP answers, not for stored errors).
 */
export function storedFailureOf(err: unknown): StoredFailure {
  const { kind, message, details } = failureOf(err);
  const { retryAfterSeconds: _retry, location: _location, ...extra } = details;
  return storedFailure(kind, message, extra);
}

/**
 * The order's error when step 2 left FQDNs unvalidated: the kind their checks failed with when they agree (e.g.
 * `dcvRecordNotFound`, `connectionFailed`), `validationFailed` when they differ or a name was never checked.
 */
export function orderValidationFailure(failed: ReadonlyArray<{ readonly fqdn: string; readonly kind: FailureKind | null }>): StoredFailure {
  const kinds = new Set(failed.map((f) => f.kind));
  const [only] = kinds;
  const kind = kinds.size === 1 && only ? only : 'validationFailed';
  return storedFailure(kind, 'domain validation failed for: ' + failed.map((f) => f.fqdn).join(', '));
}
