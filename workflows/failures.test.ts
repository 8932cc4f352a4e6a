/**
 * One name per failure from the activity that detects it to the stored error a client reads (domain/errors.ts): an
 * activity's CaError crosses the worker's interceptor and Temporal's ActivityFailure, and the workflow stores the
 * same kind — e.g. `ctPolicyNotMet`, no longer `CtPolicyNotMet` — with the message and the rule it named.
 */
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { allFailureKinds, CaError, failureKinds, nonRetryableFailureTypes, type FailureKind } from '../domain/errors';
import { toActivityFailure } from '../worker/failure-interceptor';
import { failureOf, orderValidationFailure, storedFailureOf, workflowFailure } from './failures';
import * as presets from './activity-options';

/** What the workflow catches when an activity threw `err`: the interceptor's failure inside an ActivityFailure. */
const caught = (err: unknown): ActivityFailure =>
  new ActivityFailure('activity failed', 'someActivity', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', toActivityFailure(err) as Error);

describe('a CaError thrown by an activity, as the worker sends it', () => {
  it.each(allFailureKinds.map((k) => [k]))('%s: the failure type is the kind, non-retryable exactly as the table says', (kind) => {
    const f = toActivityFailure(new CaError(kind, 'why', { rule: 'BR 3.2.2.8' }));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect((f as ApplicationFailure).type).toBe(kind);
    expect((f as ApplicationFailure).nonRetryable).toBe(!failureKinds[kind].retryable);
    expect((f as ApplicationFailure).details).toEqual([{ rule: 'BR 3.2.2.8' }]);
  });

  it('anything else is left alone (retried as a generic error)', () => {
    const plain = new Error('socket hang up');
    expect(toActivityFailure(plain)).toBe(plain);
  });
});

describe('the workflow reads the kind back and stores it', () => {
  it.each([
    ['a CT policy failure', 'ctPolicyNotMet'],
    ['a lint refusal', 'lintFailed'],
    ['a correspondence mismatch', 'correspondenceMismatch'],
    ['a TXT record not found', 'dcvRecordNotFound'],
    ['a web server that cannot be reached', 'connectionFailed'],
    ['a missing row', 'invariantViolated'],
  ] as const)('%s keeps its kind (%s) through the ActivityFailure', (_what, kind: FailureKind) => {
    const err = caught(new CaError(kind, `failed: ${kind}`, { rule: 'RFC 6962 §3.1', identifier: 'www.example.jp', retryAfterSeconds: 5 }));
    expect(failureOf(err)).toEqual({ kind, message: `failed: ${kind}`, details: { rule: 'RFC 6962 §3.1', identifier: 'www.example.jp', retryAfterSeconds: 5 } });
    // Retry-After is an HTTP header of an answer, not part of a stored error.
    expect(storedFailureOf(err)).toEqual({
      type: kind,
      title: failureKinds[kind].problem.title,
      detail: `failed: ${kind}`,
      rule: 'RFC 6962 §3.1',
      identifier: 'www.example.jp',
    });
  });

  it('the workflow’s own refusals carry their kind the same way', () => {
    const f = workflowFailure('ctPolicyNotMet', 'CT policy not met by the deadline', { rule: 'Chrome CT policy' });
    expect(storedFailureOf(f)).toMatchObject({ type: 'ctPolicyNotMet', detail: 'CT policy not met by the deadline', rule: 'Chrome CT policy' });
  });

  it('a failure without a kind is internal; an activity out of time is serviceUnavailable', () => {
    expect(failureOf(caught(new Error('boom')))).toMatchObject({ kind: 'internal', message: 'boom' });
    expect(failureOf(new Error('a bug'))).toMatchObject({ kind: 'internal', message: 'a bug' });
    const timedOut = new ActivityFailure('activity timed out', 'checkDnsChange', '1', RetryState.TIMEOUT, 'worker', new TimeoutFailure('activity ScheduleToClose timeout', undefined, 'SCHEDULE_TO_CLOSE'));
    expect(failureOf(timedOut)).toMatchObject({ kind: 'serviceUnavailable', message: 'activity ScheduleToClose timeout' });
  });

  it('an unknown failure type (a history from before the table) reads as internal', () => {
    expect(failureOf(caught(ApplicationFailure.nonRetryable('old', 'CtPolicyNotMet'))).kind).toBe('internal');
  });
});

describe('the order error of a failed step 2', () => {
  it('names the kind the checks failed with when they agree', () => {
    expect(orderValidationFailure([{ fqdn: 'a.example.jp', kind: 'dcvRecordNotFound' }, { fqdn: 'b.example.jp', kind: 'dcvRecordNotFound' }])).toEqual({
      type: 'dcvRecordNotFound',
      title: failureKinds.dcvRecordNotFound.problem.title,
      detail: 'domain validation failed for: a.example.jp, b.example.jp',
    });
  });

  it('is validationFailed when the kinds differ or a name was never checked', () => {
    expect(orderValidationFailure([{ fqdn: 'a.example.jp', kind: 'dcvRecordNotFound' }, { fqdn: 'b.example.jp', kind: 'connectionFailed' }]).type).toBe('validationFailed');
    expect(orderValidationFailure([{ fqdn: 'a.example.jp', kind: null }]).type).toBe('validationFailed');
  });
});

describe('activity presets', () => {
  it('never retry a kind the table marks as a decision', () => {
    const options = [
      presets.storage, presets.storageBatch, presets.dcvCheck(60), presets.email, presets.lint, presets.signing('q'), presets.ocspPresign('q'),
      presets.signingBatch('q'), presets.ctPlan, presets.ctSubmission({ attemptTimeoutSeconds: 10, deadlineSeconds: 60 }), presets.crlCheck,
      presets.perspectivePrimary, presets.perspectiveRemote('perspective-x'), presets.noticeDelivery, presets.operatorPage,
      // The local-activity presets (issuance since the `cost-per-certificate` patch) retry like their activity presets.
      presets.bookkeeping, presets.ctPlanLocal, presets.lintLocal,
    ];
    expect(options).toHaveLength(Object.keys(presets).length);
    for (const o of options) expect(o.retry?.nonRetryableErrorTypes).toEqual([...nonRetryableFailureTypes]);
    expect(nonRetryableFailureTypes).not.toContain('dcvRecordNotFound');
    expect(nonRetryableFailureTypes).toContain('lintFailed');
  });
});
