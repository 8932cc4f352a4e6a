/**
 * The clocks of the vetOrganization workflow (OV-VETTING.md; domain/vetting.ts), on Temporal's time-skipping test
 * server: the queue is reminded after each 24 h without progress, the application expires after 30 days, and an
 * approved record is followed by a reminder 30 days before its end and its end at policy(approval)'s reuse limit
 * (398 days, BR 4.2.1) — each checked at the minute it is due. The Updates' validators (state, four-eyes) are checked
 * too. The activities are recording fakes here (their PostgreSQL side is test/e2e/ov-vetting.test.ts's).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createVettingActivities } from '../../activities/vetting';
import { vettedRecordValidity } from '../../domain/vetting';
import { caWorkerInterceptors } from '../../worker/failure-interceptor';
import { workflowsPath } from '../../worker/main';
import { installTemporalRuntime } from '../../worker/runtime';
import { approveUpdate, recordCallbackUpdate, vettingProgressQuery } from '../../workflows/vetting-contracts';
import { startTimeSkippingServer, type TimeSkippingServer } from '../support/time-skipping';

type Activities = Omit<ReturnType<typeof createVettingActivities>, 'pinVettedOrganization'>;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const taskQueue = 'vetting-timers';

let server: TimeSkippingServer;
let worker: Worker;
let running: Promise<void>;
/** What the fakes were asked, per vetting, in order. */
const calls: Array<{ vettingId: string; call: string; at: number }> = [];
const matched = new Map<string, boolean>();

const serverTime = () => Context.current().info.currentAttemptScheduledTimestampMs;
const fakes: Activities = {
  async matchRegistry({ vettingId }) {
    calls.push({ vettingId, call: 'matchRegistry', at: serverTime() });
    return { matched: matched.get(vettingId) ?? false };
  },
  async setVettingStatus({ vettingId, status }) {
    calls.push({ vettingId, call: `status:${status}`, at: serverTime() });
  },
  async acceptEvidence({ vettingId, kind }) {
    calls.push({ vettingId, call: `accept:${kind}`, at: serverTime() });
    return { passed: true };
  },
  async approveVetting({ vettingId }) {
    // The real activity computes the window from its clock; here the server's (skipped) time stands for it.
    const v = vettedRecordValidity(new Date(serverTime()));
    calls.push({ vettingId, call: 'approveVetting', at: serverTime() });
    return { vettedOrganizationId: 'vetted-1', validUntil: v.validUntil.toISOString(), reminderAt: v.reminderAt.toISOString() };
  },
  async recordExpired({ vettingId }) {
    calls.push({ vettingId, call: 'recordExpired', at: serverTime() });
  },
  async ordersAwaitingVetting({ vettingId }) {
    calls.push({ vettingId, call: 'ordersAwaitingVetting', at: serverTime() });
    return { orderIds: [] };
  },
  async notifyRepresentative({ vettingId, notice }) {
    calls.push({ vettingId, call: `notify:${notice}`, at: serverTime() });
    return { sent: true };
  },
  async remindQueue({ vettingId }) {
    calls.push({ vettingId, call: 'remindQueue', at: serverTime() });
    return { sent: true };
  },
};
const callsOf = (vettingId: string, call?: string) => calls.filter((c) => c.vettingId === vettingId && (!call || c.call === call));

beforeAll(async () => {
  installTemporalRuntime({ level: 'WARN' });
  server = await startTimeSkippingServer();
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue,
    workflowsPath,
    activities: fakes,
    interceptors: caWorkerInterceptors,
  });
  running = worker.run();
}, 180_000);
afterAll(async () => {
  try {
    worker?.shutdown();
    await running;
  } finally {
    await server?.stop();
  }
});

const start = (vettingId: string) =>
  server.client.workflow.start('vetOrganization', { taskQueue, workflowId: `vetting-${vettingId}`, args: [{ vettingId, organizationId: `org-${vettingId}` }] });
/** Lets the worker run what is due now (the server's clock does not move). */
const settle = () => new Promise((r) => setTimeout(r, 1_500));

describe('vetOrganization clocks (time skipping)', () => {
  it('reminds the queue every 24 h without progress and expires the application after 30 days', async () => {
    const id = 'expiring';
    const handle = await start(id);
    await settle();
    const t0 = (await handle.describe()).startTime.getTime();
    expect(callsOf(id).map((c) => c.call)).toEqual(['matchRegistry', 'status:awaiting-documents', 'notify:documents-needed']);

    await server.skip(DAY - 5 * 60_000);
    await settle();
    expect(callsOf(id, 'remindQueue')).toHaveLength(0);
    await server.skip(10 * 60_000);
    await settle();
    expect(callsOf(id, 'remindQueue')).toHaveLength(1);

    await server.skip(29 * DAY);
    expect((await handle.result()).status).toBe('expired');
    // One reminder per full day of waiting (days 1..29), then the expiry at day 30.
    expect(callsOf(id, 'remindQueue')).toHaveLength(29);
    const expired = callsOf(id, 'status:expired')[0]!;
    expect(expired.at - t0).toBeGreaterThanOrEqual(30 * DAY);
    expect(expired.at - t0).toBeLessThan(30 * DAY + HOUR);
    expect(callsOf(id).slice(-3).map((c) => c.call)).toEqual(['status:expired', 'notify:application-expired', 'ordersAwaitingVetting']);
  });

  it('refuses a wrong call at the caller (validators), then follows the vetted record for 398 days', async () => {
    const id = 'approved';
    matched.set(id, true);
    const handle = await start(id);
    await settle();
    expect((await handle.query(vettingProgressQuery)).status).toBe('awaiting-callback');

    // Approval before the call-back: refused by the validator, nothing recorded.
    const early = await handle.executeUpdate(approveUpdate, { args: [{ operatorId: 'bob' }] }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((early as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'conflict' });

    await handle.executeUpdate(recordCallbackUpdate, { args: [{ operatorId: 'alice', evidenceId: 1 }] });
    expect((await handle.query(vettingProgressQuery)).status).toBe('awaiting-approval');
    // Four-eyes: the operator who made the call-back cannot approve.
    const same = await handle.executeUpdate(approveUpdate, { args: [{ operatorId: 'alice' }] }).catch((e: unknown) => e);
    expect((same as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'separationOfDuties' });
    const approved = await handle.executeUpdate(approveUpdate, { args: [{ operatorId: 'bob' }] });
    expect(approved.status).toBe('approved');
    const approvedAt = callsOf(id, 'approveVetting')[0]!.at;
    expect(Date.parse(approved.validUntil) - approvedAt).toBe(vettedRecordValidity(new Date(approvedAt)).days * DAY);
    await settle();
    expect(callsOf(id, 'notify:approved')).toHaveLength(1);

    // The reminder 30 days before the end (day 368 of 398), not a minute earlier.
    const reminderAt = Date.parse(approved.validUntil) - 30 * DAY;
    await server.skip(reminderAt - (await server.now()).getTime() - 60_000);
    await settle();
    expect(callsOf(id, 'notify:record-expiring')).toHaveLength(0);
    await server.skip(2 * 60_000);
    await settle();
    expect(callsOf(id, 'notify:record-expiring')).toHaveLength(1);

    await server.skip(30 * DAY);
    expect(await handle.result()).toEqual({ vettingId: id, status: 'approved', vettedOrganizationId: 'vetted-1' });
    expect(callsOf(id, 'recordExpired')[0]!.at).toBeGreaterThanOrEqual(Date.parse(approved.validUntil));
    expect(callsOf(id, 'notify:record-expired')).toHaveLength(1);
    // Progress was made within 24 h: no queue reminder.
    expect(callsOf(id, 'remindQueue')).toHaveLength(0);
  });
});
