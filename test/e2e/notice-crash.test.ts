/**
 * A notice is never lost and never recorded twice, even when the worker dies between sending and recording it. The
 * SMTP relay (an in-process smtp-server) receives the issuance notice and holds back its final "250"; the main worker
 * process is killed with SIGKILL right then — the message went out, the worker never learnt it. A new worker process
 * takes over the delivery (the heartbeat timeout notices the dead attempt) and sends it again, with the same
 * Message-ID: the relay holds two copies of one message, which a receiver deduplicating on the Message-ID shows once
 * (RFC 5322 §3.6.4), and the outbox records the notice as sent once, after 2 attempts.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noticeWorkflowId } from '../../domain/workflow-ids';
import { createSigningWorker } from '../../worker/signing';
import { eventually, runWorker, startHarness, uniqueLabel, type Harness, type RunningWorker } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { answerDns01, createOrder } from '../support/orders';
import { headerOf, startSmtpSink, uniqueByMessageId, type SmtpSink } from '../support/smtp-sink';
import { killHard, spawnMainWorker } from '../support/worker-process';

let h: Harness;
let smtp: SmtpSink;
let apiKey: string;
let signing: RunningWorker | undefined;
const children: ChildProcess[] = [];
let workerEnv: Record<string, string>;

beforeAll(async () => {
  // The relay holds the reply to the issuance notice's DATA until release().
  smtp = await startSmtpSink({ hold: (m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'certificate-issued' });
  workerEnv = { CA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, CA_NOTICE_FROM: 'notices@ca.example.jp' };
  h = await startHarness({ workers: false, env: workerEnv });
  ({ apiKey } = await h.newAccount('Crash Notice Subscriber', { email: 'crash@example.jp' }));
  signing = await runWorker(await createSigningWorker(h.config));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await signing?.stop();
  await h?.stop();
  await smtp?.stop();
});

describe('a worker killed between sending a notice and recording it', () => {
  it('the notice is delivered again with the same Message-ID, and recorded as sent once', async () => {
    const first = spawnMainWorker(workerEnv);
    children.push(first);
    const order = await createOrder(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
    await answerDns01(h, apiKey, order);

    // The relay has the whole message; the worker waits for the 250 that does not come.
    const sent = await eventually(async () => smtp.messages.find((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'certificate-issued'), 120_000);
    const noticeId = headerOf(sent.raw, 'X-CA-Notice-Id')!;
    await killHard(first);
    expect(first.signalCode).toBe('SIGKILL');
    smtp.release();
    const [pending] = await h.db.sql`select status, attempts from notices where id = ${noticeId}`;
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });

    children.push(spawnMainWorker(workerEnv));
    const result = (await h.temporal.workflow.getHandle(noticeWorkflowId(noticeId)).result()) as { status: string };
    expect(result.status).toBe('sent');

    const copies = smtp.messages.filter((m) => headerOf(m.raw, 'X-CA-Notice-Id') === noticeId);
    expect(copies).toHaveLength(2);
    expect(new Set(copies.map((m) => headerOf(m.raw, 'Message-ID')))).toEqual(new Set([`<notice.${noticeId}@ca.example.jp>`]));
    expect(uniqueByMessageId(copies)).toHaveLength(1);
    const [row] = await h.db.sql`select status, attempts, message_id from notices where id = ${noticeId}`;
    expect(row).toMatchObject({ status: 'sent', attempts: 2, message_id: `<notice.${noticeId}@ca.example.jp>` });
    const audits = await h.db.sql`select count(*)::int as n from audit_log where event = 'notice.sent' and data->>'noticeId' = ${noticeId}`;
    expect(audits[0]!.n).toBe(1);
    const [o] = await h.db.sql`select count(*)::int as n from notices where order_id = ${order.id}`;
    expect(o!.n).toBe(1);
  });
});
