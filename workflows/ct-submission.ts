/**
 * Issuance cycle step 8 inside the workflow: submit the precertificate to every planned log in parallel (one
 * activity per log, visible as such in the Temporal UI, each with its own per-attempt timeout and retries with
 * backoff), stop as soon as the collected SCTs meet the CT policy (domain/ct-policy.ts) — the remaining
 * submissions are cancelled, so a slow or failing log does not hold up an order that others already satisfy —
 * and fail with the reason when the policy cannot be met by the deadline.
 */
import { CancellationScope, condition, isCancellation, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createCtActivities } from '../activities/ct/submission';
import { evaluateCtPolicy, type CollectedSct, type CtPlan } from '../domain/ct-policy';
import { ctPlan, ctPlanLocal, ctSubmission } from './activity-options';
import { failureOf, workflowFailure } from './failures';

type CtActivities = ReturnType<typeof createCtActivities>;

const planner = proxyActivities<CtActivities>(ctPlan);
const plannerLocal = proxyLocalActivities<CtActivities>(ctPlanLocal);

/**
 * The CT plan, made BEFORE the precertificate is signed (so a log list that cannot satisfy the policy fails the
 * order while nothing is signed yet): the logs, the SCTs this certificate's lifetime needs, the deadline. `local`: as
 * a local activity (issuance histories since the `cost-per-certificate` patch).
 */
export async function planCt(serial: string, local = false): Promise<CtPlan> {
  const plan = await (local ? plannerLocal : planner).planCtSubmission({ serial });
  if (!plan.enabled || !plan.requirement) return plan;
  const req = plan.requirement;
  // Fail fast when even every configured log together could not satisfy the policy.
  const possible = evaluateCtPolicy(req, plan.logs.map((l) => ({ logId: l.id, operator: l.operator, api: l.api })));
  if (!possible.met) {
    throw workflowFailure(
      'ctPolicyNotMet',
      `CT policy cannot be met by the configured logs (${plan.logs.map((l) => l.id).join(', ') || 'none'}): ${possible.missing}`,
    );
  }
  return plan;
}

/**
 * Returns the ids of the logs whose SCTs are to be embedded ([] when CT submission is off), or throws a
 * `ctPolicyNotMet` failure that says what was missing and what each log did.
 */
export async function collectScts(orderId: string, serial: string, plan: CtPlan): Promise<string[]> {
  if (!plan.enabled || !plan.requirement) return [];
  const req = plan.requirement;

  const submit = proxyActivities<CtActivities>(ctSubmission(plan));

  const collected: CollectedSct[] = [];
  const outcome: Record<string, string> = Object.fromEntries(plan.logs.map((l) => [l.id, 'pending']));
  let met = false;
  let settled = false;
  const scope = new CancellationScope();
  const all = scope.run(() =>
    Promise.all(plan.logs.map(async (log) => {
      try {
        await submit.submitToCtLog({ orderId, serial, logId: log.id });
        outcome[log.id] = 'SCT verified';
        collected.push({ logId: log.id, operator: log.operator, api: log.api });
        if (evaluateCtPolicy(req, collected).met) met = true;
      } catch (err) {
        outcome[log.id] = isCancellation(err) ? 'cancelled (policy already met)' : failureOf(err).message;
      }
    })),
  ).finally(() => {
    settled = true;
  });

  const inTime = await condition(() => met || settled, `${plan.deadlineSeconds} seconds`);
  if (!met) {
    if (!settled) scope.cancel();
    await all;
    const evaluation = evaluateCtPolicy(req, collected);
    const logs = Object.entries(outcome).map(([id, o]) => `${id}: ${o}`).join('; ');
    throw workflowFailure(
      'ctPolicyNotMet',
      `CT policy not met${inTime ? '' : ` by the deadline (${plan.deadlineSeconds} s)`}: ${evaluation.missing} — ${logs}`,
    );
  }
  if (!settled) {
    scope.cancel();
    await all;
  }
  return collected.map((c) => c.logId).sort();
}
