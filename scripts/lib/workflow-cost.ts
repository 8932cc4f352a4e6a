/**
 * What an order costs Temporal, read from the workflow histories after a benchmark phase: workflow tasks, activities
 * (and local activities), history events, including the child workflows the order started (the notice's delivery,
 * the expiry reminders); and the time of the CT step (add-pre-chain to the logs until the policy is met).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface WorkflowCost {
  readonly workflowTasks: number;
  readonly activities: number;
  readonly localActivities: number;
  readonly events: number;
  readonly childWorkflows: number;
  /** Activities by type (scheduled + local). */
  readonly byActivity: Record<string, number>;
  /** From the first add-pre-chain scheduled to the last one completed (ms); null without CT. */
  readonly ctMs: number | null;
  /** Wall time each activity type took from scheduled to closed, summed (ms): where an order's latency goes. */
  readonly msByActivity: Record<string, number>;
}

const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

function costOfHistory(events: readonly HistoryEvent[]): WorkflowCost & { children: string[] } {
  const byActivity: Record<string, number> = {};
  const msByActivity: Record<string, number> = {};
  const scheduled = new Map<string, { type: string; at: number }>();
  const children: string[] = [];
  let workflowTasks = 0;
  let activities = 0;
  let localActivities = 0;
  let ctFirst = Infinity;
  let ctLast = -Infinity;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      activities++;
      const type = s.activityType?.name ?? '?';
      byActivity[type] = (byActivity[type] ?? 0) + 1;
      scheduled.set(String(e.eventId), { type, at: ms(e) });
      if (type === 'submitToCtLog') ctFirst = Math.min(ctFirst, ms(e));
    }
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (closed) {
      const from = scheduled.get(String(closed.scheduledEventId));
      if (from) {
        msByActivity[from.type] = (msByActivity[from.type] ?? 0) + (ms(e) - from.at);
        if (from.type === 'submitToCtLog' && e.activityTaskCompletedEventAttributes) ctLast = Math.max(ctLast, ms(e));
      }
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      localActivities++;
      byActivity['(local)'] = (byActivity['(local)'] ?? 0) + 1;
    }
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) children.push(child.workflowId);
  }
  return {
    workflowTasks,
    activities,
    localActivities,
    events: events.length,
    childWorkflows: children.length,
    byActivity,
    ctMs: Number.isFinite(ctFirst) && Number.isFinite(ctLast) ? ctLast - ctFirst : null,
    msByActivity,
    children,
  };
}

function add(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The cost of one order's workflow and of the child workflows it started (their histories so far). */
export async function orderWorkflowCost(client: Client, workflowId: string): Promise<WorkflowCost> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const own = costOfHistory(history.events ?? []);
  let total: WorkflowCost = own;
  for (const child of own.children) {
    const h = await client.workflow.getHandle(child).fetchHistory().catch(() => null);
    if (!h) continue;
    const c = costOfHistory(h.events ?? []);
    total = {
      ...total,
      workflowTasks: total.workflowTasks + c.workflowTasks,
      activities: total.activities + c.activities,
      localActivities: total.localActivities + c.localActivities,
      events: total.events + c.events,
      byActivity: add(total.byActivity, c.byActivity),
    };
  }
  return total;
}

/** Means over orders (per order), the activity counts and latencies too. */
export function meanCost(costs: readonly WorkflowCost[]) {
  const n = Math.max(1, costs.length);
  const mean = (f: (c: WorkflowCost) => number) => Math.round((costs.reduce((s, c) => s + f(c), 0) / n) * 10) / 10;
  const sumRecords = (f: (c: WorkflowCost) => Record<string, number>) => costs.reduce((acc, c) => add(acc, f(c)), {} as Record<string, number>);
  const per = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round((v / n) * 10) / 10]));
  return {
    workflowTasks: mean((c) => c.workflowTasks),
    activities: mean((c) => c.activities),
    localActivities: mean((c) => c.localActivities),
    events: mean((c) => c.events),
    childWorkflows: mean((c) => c.childWorkflows),
    byActivity: per(sumRecords((c) => c.byActivity)),
    msByActivity: per(sumRecords((c) => c.msByActivity)),
  };
}
