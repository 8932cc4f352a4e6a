/**
 * Logs and metrics of every activity, registered on every worker that runs activities (worker/failure-interceptor.ts
 * `caWorkerInterceptors`):
 * - each attempt runs inside a log context with its `workflowId`, activity type and — read from its input, or from
 *   an issuance workflow's id — `orderId` and `serial`, so the activity's own events and the SDK's ("Activity
 *   failed") carry them; the SDK's task token is dropped from those events;
 * - an attempt of the issuance workflow is observed in `ca_issuance_step_duration_seconds` under its step of
 *   docs/ISSUANCE-CYCLE.md. Activities shared by two steps are labelled with both (corroboration is step 3 and the CAA
 *   re-check of step 9; the precertificate and the final certificate are both linted).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { createCorroborationActivities } from '../activities/corroboration';
import type { createCtActivities } from '../activities/ct/submission';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createLintActivities } from '../activities/lint';
import type { createOcspActivities } from '../activities/ocsp';
import type { createPerspectiveActivities } from '../activities/perspective';
import type { createReuseActivities } from '../activities/reuse';
import type { createSigningActivities } from '../activities/signing';
import type { createStorageActivities } from '../activities/storage';
import type { createDnsValidationActivities } from '../activities/validation/dns-change';
import type { createEmailValidationActivities } from '../activities/validation/email';
import type { createRdapActivities } from '../activities/validation/rdap';
import type { createWebValidationActivities } from '../activities/validation/web-check';
import { orderWorkflowId } from '../domain/workflow-ids';
import { withLogContext, type LogContext } from '../observability/log';
import { issuanceStepSeconds, observeDuration } from '../observability/metrics';

type IssuanceActivity = keyof (ReturnType<typeof createStorageActivities> &
  ReturnType<typeof createDnsValidationActivities> &
  ReturnType<typeof createWebValidationActivities> &
  ReturnType<typeof createRdapActivities> &
  ReturnType<typeof createEmailValidationActivities> &
  ReturnType<typeof createReuseActivities> &
  ReturnType<typeof createPerspectiveActivities> &
  ReturnType<typeof createCorroborationActivities> &
  ReturnType<typeof createLintActivities> &
  ReturnType<typeof createSigningActivities> &
  ReturnType<typeof createOcspActivities> &
  ReturnType<typeof createCtActivities> &
  ReturnType<typeof createCrlPublicationActivities>);

/** The step of docs/ISSUANCE-CYCLE.md each activity of `issueCertificate` serves (type-checked against the factories). */
export const issuanceSteps = {
  startChallengeCheck: '2-authorize',
  checkDnsChange: '2-authorize',
  checkWebValidation: '2-authorize',
  checkRegistrant: '2-authorize',
  sendConstructedEmails: '2-authorize',
  completeEmailValidation: '2-authorize',
  reuseValidation: '2-authorize',
  failChallenge: '2-authorize',
  mpicConfiguration: '3/9-corroborate',
  perspectiveCheckDcv: '3/9-corroborate',
  perspectiveCheckCaa: '3/9-corroborate',
  perspectiveCheck: '3/9-corroborate',
  recordCorroboration: '3/9-corroborate',
  recordCorroborations: '3/9-corroborate',
  reserveCertificate: '5-reserve',
  lintToBeSigned: '6/10-lint',
  signPrecertificate: '7-precertificate',
  ensureOcspResponder: '7/10/11-ocsp',
  signOcspResponses: '7/10/11-ocsp',
  planCtSubmission: '8-ct',
  submitToCtLog: '8-ct',
  signFinalCertificate: '10-certificate',
  setOrderStatus: '11-complete',
  completeOrder: '11-complete',
  expireOrder: '11-complete',
  revokePresumedCertificate: '11-compensate',
  requestCrlPublication: '11-compensate',
} as const satisfies Partial<Record<IssuanceActivity, string>>;

/** The issuance step of an activity, or null when it does not run for an issuance workflow. */
export function issuanceStepOf(workflowType: string | undefined, activityType: string): string | null {
  if (workflowType !== 'issueCertificate') return null;
  return (issuanceSteps as Record<string, string | undefined>)[activityType] ?? 'other';
}

const orderIdOfWorkflow = (workflowId: string | undefined): string | undefined => {
  const prefix = orderWorkflowId('');
  return workflowId?.startsWith(prefix) ? workflowId.slice(prefix.length) : undefined;
};

/** `orderId` and `serial` of an activity's input (activities take one object), when they are strings. */
function inputFields(args: readonly unknown[]): LogContext {
  const first = args[0];
  if (!first || typeof first !== 'object') return {};
  const { orderId, serial } = first as { orderId?: unknown; serial?: unknown };
  return { ...(typeof orderId === 'string' ? { orderId } : {}), ...(typeof serial === 'string' ? { serial } : {}) };
}

export const observeActivities: ActivityInterceptorsFactory = (ctx) => {
  const { info } = ctx;
  const workflowId = info.workflowExecution?.workflowId;
  let fields: LogContext = { workflowId, orderId: orderIdOfWorkflow(workflowId), activity: info.activityType };
  return {
    inbound: {
      async execute(input, next) {
        fields = { ...fields, ...inputFields(input.args) };
        const step = issuanceStepOf(info.workflowType, info.activityType);
        return withLogContext(fields, () =>
          step ? observeDuration(issuanceStepSeconds, { step, activity: info.activityType }, () => next(input)) : next(input),
        );
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        const { taskToken: _taskToken, ...rest } = next(attributes);
        return { ...rest, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
      },
    },
  };
};
