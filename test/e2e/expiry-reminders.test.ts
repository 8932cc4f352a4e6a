/**
 * Expiry reminders fire from durable timers — 30 and 7 days before notAfter — and stop once the certificate is
 * renewed (CP 4.6–4.8). Weeks pass in seconds on Temporal's time-skipping test server (test/support/time-skipping.ts);
 * the workflows are the real ones, with the real notice activities on PostgreSQL and an in-process SMTP relay.
 */
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNoticeActivities } from '../../activities/notices';
import { createAccount } from '../../db/repositories/accounts';
import { supersedePredecessor } from '../../db/repositories/lifecycle';
import { expiryReminderDays } from '../../domain/notices';
import { expiryRemindersWorkflowId } from '../../domain/workflow-ids';
import { InMemorySigner } from '../../pki/memory-signer';
import { workflowsPath } from '../../worker/main';
import type { ExpiryRemindersResult } from '../../workflows/lifecycle-contracts';
import { eventually } from '../support/ca-harness';
import { freshDatabase } from '../support/database';
import { seedCertificate, seedIssuingCa } from '../support/revocation-fixtures';
import { headerOf, startSmtpSink, textOf, type SmtpSink } from '../support/smtp-sink';
import { startTimeSkippingServer, type TimeSkippingServer } from '../support/time-skipping';

const DAY = 86_400;
const taskQueue = 'expiry-reminders-test';
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let smtp: SmtpSink;
let server: TimeSkippingServer;
let worker: Worker;
let running: Promise<void>;
let accountId: string;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'reminders' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  accountId = (await createAccount(fresh.handle.db, { name: 'Reminded', email: 'reminded@example.jp', language: 'en' })).account.id;
  smtp = await startSmtpSink();
  server = await startTimeSkippingServer();
  worker = await Worker.create({
    connection: server.workerConnection,
    taskQueue,
    workflowsPath,
    activities: createNoticeActivities({ db: fresh.handle.db, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'notices@ca.example.jp', publicBaseUrl: 'https://ca.example.jp', clock: () => new Date() }),
  });
  running = worker.run();
}, 180_000);
afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await server?.stop();
  await smtp?.stop();
  await fresh?.drop();
});

/** A certificate whose notAfter is `days` from the test server's now, and its reminders workflow. */
async function remindersFor(days: number) {
  const notAfter = new Date((await server.now()).getTime() + days * DAY * 1000);
  const { serial } = await seedCertificate(fresh.handle.db, { accountId, notAfter });
  const handle = await server.client.workflow.start('expiryReminders', {
    taskQueue,
    workflowId: expiryRemindersWorkflowId(serial),
    args: [{ serial, notAfter: notAfter.toISOString(), daysBefore: expiryReminderDays }],
  });
  return { serial, handle };
}

const remindersSent = (serial: string) =>
  smtp.messages.filter((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'expiry-reminder' && textOf(m.raw).includes(serial)).map((m) => headerOf(m.raw, 'Subject'));

describe('expiry reminders on durable timers (time skipping)', () => {
  it('sends the 30-day and the 7-day reminder of a certificate nobody renewed', async () => {
    const { serial, handle } = await remindersFor(40);
    const result = await server.result<ExpiryRemindersResult>(handle);
    expect(result).toEqual({ serial, reminded: [30, 7], stoppedBecause: null });
    const subjects = await eventually(async () => {
      const s = remindersSent(serial);
      return s.length === 2 ? s : null;
    });
    expect(subjects.some((s) => s!.includes('expires in 30 days'))).toBe(true);
    expect(subjects.some((s) => s!.includes('expires in 7 days'))).toBe(true);
  });

  it('stops once the certificate is renewed: after the 30-day reminder, no 7-day one', async () => {
    const { serial, handle } = await remindersFor(40);
    await server.skip(11 * DAY * 1000); // past notAfter − 30 days
    await eventually(async () => remindersSent(serial).length === 1);
    // Renewed: a successor issued and the certificate superseded (what issuance step 11 records).
    const successor = await seedCertificate(fresh.handle.db, { accountId });
    await fresh.handle.sql`update orders set predecessor_serial = ${serial}, renewal_kind = 'renewal' where id = ${successor.orderId}`;
    await supersedePredecessor(fresh.handle.db, { orderId: successor.orderId, successorSerial: successor.serial, at: new Date() });
    const result = await server.result<ExpiryRemindersResult>(handle);
    expect(result).toEqual({ serial, reminded: [30], stoppedBecause: `renewed by ${successor.serial}` });
    expect(remindersSent(serial)).toHaveLength(1);
    const [n] = await fresh.handle.sql`select count(*)::int as n from notices where serial = ${serial}`;
    expect(n!.n).toBe(1);
  });

  it('skips a reminder whose instant had passed when the certificate was issued (only the 7-day one for 20 days left)', async () => {
    const { serial, handle } = await remindersFor(20);
    expect(await server.result<ExpiryRemindersResult>(handle)).toEqual({ serial, reminded: [7], stoppedBecause: null });
  });
});
