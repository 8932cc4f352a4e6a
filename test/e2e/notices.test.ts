/**
 * The notices end to end (CP 4.3.2, 4.9): a REST order sends exactly one issuance notice and an ACME order (lego)
 * none; a revocation sends one revocation notice; issuance starts the certificate's expiry reminders on durable timers.
 * Real Temporal, workers, PostgreSQL, SoftHSM2, the ACME listener, and an in-process SMTP server as the relay.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryRemindersWorkflowId, noticeWorkflowId } from '../../domain/workflow-ids';
import { lego, startAcmeHarness, type AcmeHarness } from '../support/acme-harness';
import { eventually, startedWorkflow, uniqueLabel } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { applyAndWait } from '../support/orders';
import { headerOf, startSmtpSink, textOf, type SmtpSink } from '../support/smtp-sink';

let h: AcmeHarness;
let smtp: SmtpSink;
let subscriber: { id: string; apiKey: string };

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startAcmeHarness({ env: { CA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, CA_NOTICE_FROM: 'notices@ca.example.jp' } });
  subscriber = await h.newAccount('Notice Subscriber', { email: 'subscriber@example.jp', language: 'en' });
});
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

/** The messages the relay received for `serial` of notice kind `kind`. */
const mailsFor = (serial: string, kind: string) => smtp.messages.filter((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === kind && textOf(m.raw).includes(serial));

const started = (workflowId: string) => startedWorkflow(h, workflowId);

/** Waits until the notice's delivery workflow ended, then returns how it ended. */
async function delivered(noticeId: string): Promise<string> {
  return ((await (await started(noticeWorkflowId(noticeId))).result()) as { status: string }).status;
}

async function noticesOf(serial: string) {
  return h.db.sql`select id, kind, status, recipient, attempts from notices where serial = ${serial} order by created_at`;
}

describe('CP 4.3.2: issuance notices', () => {
  let serial: string;

  it('a REST order sends exactly one issuance notice, to the subscriber, in its language', async () => {
    const order = await applyAndWait(h, subscriber.apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
    expect(order.status, JSON.stringify(order.error)).toBe('valid');
    serial = order.certificate!.serial;
    const [notice] = await eventually(async () => {
      const rows = await noticesOf(serial);
      return rows.length > 0 ? rows : null;
    });
    expect(await delivered(notice!.id as string)).toBe('sent');
    expect(await noticesOf(serial)).toEqual([expect.objectContaining({ kind: 'certificate-issued', status: 'sent', recipient: 'subscriber@example.jp', attempts: 1 })]);
    const mails = mailsFor(serial, 'certificate-issued');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['subscriber@example.jp']);
    expect(headerOf(mails[0]!.raw, 'Subject')).toBe(`[JPRS CA] Certificate issued: ${order.dnsNames[0]}`);
    expect(textOf(mails[0]!.raw)).toContain(`/v1/orders/${order.id}/certificate`);
  });

  it('the issuance started the certificate’s expiry reminders, waiting on durable timers', async () => {
    const reminders = await (await started(expiryRemindersWorkflowId(serial))).describe();
    expect(reminders.status.name).toBe('RUNNING');
  });

  it('CP 4.9: revoking it sends one revocation notice', async () => {
    const res = await h.api(`/v1/certificates/${serial}/revoke`, { method: 'POST', apiKey: subscriber.apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'cessationOfOperation' }) });
    expect(res.status).toBe(202);
    const revocationNotice = await eventually(async () => (await noticesOf(serial)).find((n) => n.kind === 'certificate-revoked'));
    expect(await delivered(revocationNotice.id as string)).toBe('sent');
    const mails = mailsFor(serial, 'certificate-revoked');
    expect(mails).toHaveLength(1);
    expect(textOf(mails[0]!.raw)).toContain('cessationOfOperation');
    expect(mailsFor(serial, 'certificate-issued')).toHaveLength(1);
  });

  it('an ACME order (lego) sends none; its download is recorded as the acceptance (CP 4.4.1)', async () => {
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const dir = path.join(h.workDir, 'lego-notice');
    const run = await lego(h, dir, ['--domains', name, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s', 'run']);
    expect(run.code, run.out).toBe(0);
    const [cert] = await h.db.sql`select c.serial, c.accepted_via from certificates c join acme_orders a on a.order_id = c.order_id where c.dns_names ->> 0 = ${name}`;
    const acmeSerial = cert!.serial as string;
    // After-issuance ran to its end: the reminders workflow is its last step.
    expect((await (await started(expiryRemindersWorkflowId(acmeSerial))).describe()).status.name).toBe('RUNNING');
    expect((await noticesOf(acmeSerial)).filter((n) => n.kind === 'certificate-issued')).toEqual([]);
    expect(mailsFor(acmeSerial, 'certificate-issued')).toEqual([]);
    expect(cert!.accepted_via).toBe('acme');
  });
});
