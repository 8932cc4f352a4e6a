/**
 * Renewal (CP 4.6, same key), re-key (CP 4.7) and modification (CP 4.8) end to end through
 * POST /v1/certificates/{serial}/renewals: each produces a certificate linked to its predecessor, reusing the
 * validations policy(now) allows (BR 4.2.1: no DNS answered again for the names validated before), marks the
 * predecessor superseded once issued (revoked with reason superseded only when asked), stops its expiry reminders,
 * and sends the issuance notice naming the kind. Real Temporal, workers, PostgreSQL, SoftHSM2, CT logs; SMTP sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryRemindersWorkflowId } from '../../domain/workflow-ids';
import { currentAcceptance } from '../support/acceptance';
import { eventually, startHarness, startedWorkflow, uniqueLabel, type Harness } from '../support/ca-harness';
import { makeCsr, type TestCsr } from '../support/csr';
import { applyAndWait, dns01, sayReady, waitForOrder, type OrderJson } from '../support/orders';
import { headerOf, startSmtpSink, textOf, type SmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let apiKey: string;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ env: { CA_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, CA_NOTICE_FROM: 'notices@ca.example.jp' } });
  ({ apiKey } = await h.newAccount('Renewing Subscriber', { email: 'renew@example.jp', language: 'en' }));
});
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

type Renewal = OrderJson & { renewal: { kind: string; predecessor: string; revokePredecessor: boolean } };

async function renew(serial: string, body: { csr?: TestCsr; revokePredecessor?: boolean } = {}): Promise<Renewal> {
  const res = await h.api(`/v1/certificates/${serial}/renewals`, {
    method: 'POST',
    apiKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ acceptance: currentAcceptance(), ...(body.csr ? { csr: body.csr.pem } : {}), ...(body.revokePredecessor ? { revokePredecessor: true } : {}) }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Renewal;
}

const status = async (serial: string) =>
  (await (await h.api(`/v1/certificates/${serial}`, { apiKey })).json()) as { status: string; supersededBy: string | null; reason: string | null };

/** The issuance notice of `serial`, once delivered. */
const issuanceMail = (serial: string) =>
  eventually(async () => smtp.messages.find((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'certificate-issued' && textOf(m.raw).includes(`Serial:     ${serial}`)));

describe('CP 4.6–4.8: renewal, re-key and modification', () => {
  let base: string;
  let names: string[];
  let first: OrderJson;
  let key: TestCsr;

  it('the first certificate', async () => {
    base = `${uniqueLabel()}.${h.config.dns.devZone}`;
    names = [`www.${base}`, base];
    key = makeCsr({ names });
    first = await applyAndWait(h, apiKey, key);
    expect(first.status, JSON.stringify(first.error)).toBe('valid');
    // Its life cycle has begun: the expiry reminders that its renewal will stop.
    await startedWorkflow(h, expiryRemindersWorkflowId(first.certificate!.serial));
  });

  let renewed: OrderJson;
  it('CP 4.6 renewal with the same key: no CSR, no new validation; the predecessor is superseded, its reminders end', async () => {
    const order = await renew(first.certificate!.serial);
    expect(order.renewal).toEqual({ kind: 'renewal', predecessor: first.certificate!.serial, revokePredecessor: false });
    renewed = await waitForOrder(h, apiKey, order.id);
    expect(renewed.status, JSON.stringify(renewed.error)).toBe('valid');
    // BR 4.2.1: every name reused its validation; no challenge of this order was answered.
    expect(renewed.authorizations.flatMap((a) => a.challenges).every((c) => c.status === 'pending')).toBe(true);
    const [k1, k2] = await h.db.sql`select spki_sha256 from certificates where serial in ${h.db.sql([first.certificate!.serial, renewed.certificate!.serial])}`;
    expect(Buffer.from(k1!.spki_sha256 as Uint8Array).equals(Buffer.from(k2!.spki_sha256 as Uint8Array))).toBe(true);
    const before = await eventually(async () => {
      const s = await status(first.certificate!.serial);
      return s.status === 'superseded' ? s : null;
    });
    expect(before).toMatchObject({ supersededBy: renewed.certificate!.serial, reason: null });
    const reminders = h.temporal.workflow.getHandle(expiryRemindersWorkflowId(first.certificate!.serial));
    expect(await reminders.result()).toMatchObject({ reminded: [], stoppedBecause: `renewed by ${renewed.certificate!.serial}` });
    expect(textOf((await issuanceMail(renewed.certificate!.serial)).raw)).toContain(`renews (same key, CP 4.6) certificate ${first.certificate!.serial}, which is now superseded`);
  });

  let rekeyed: OrderJson;
  it('CP 4.7 re-key with a new key, revoking the predecessor (reason superseded) as asked', async () => {
    key = makeCsr({ names });
    const order = await renew(renewed.certificate!.serial, { csr: key, revokePredecessor: true });
    expect(order.renewal.kind).toBe('rekey');
    rekeyed = await waitForOrder(h, apiKey, order.id);
    expect(rekeyed.status, JSON.stringify(rekeyed.error)).toBe('valid');
    const revoked = await eventually(async () => {
      const s = await status(renewed.certificate!.serial);
      return s.status === 'revoked' ? s : null;
    });
    expect(revoked).toMatchObject({ reason: 'superseded', supersededBy: rekeyed.certificate!.serial });
    expect(textOf((await issuanceMail(rekeyed.certificate!.serial)).raw)).toContain('re-keys (new key, CP 4.7)');
    await eventually(async () => smtp.messages.find((m) => headerOf(m.raw, 'X-CA-Notice-Kind') === 'certificate-revoked' && textOf(m.raw).includes(renewed.certificate!.serial)));
    // The first certificate was never asked to be revoked: superseded, still valid.
    expect((await status(first.certificate!.serial)).status).toBe('superseded');
  });

  it('CP 4.8 modification: a name added with the same CN; only the new name is validated', async () => {
    const added = `shop.${base}`;
    const order = await renew(rekeyed.certificate!.serial, { csr: makeCsr({ names: [...names, added], keyPem: key.keyPem }) });
    expect(order.renewal.kind).toBe('modification');
    const authz = order.authorizations.find((a) => a.fqdn === added)!;
    const ch = dns01(authz);
    h.dns.add({ name: ch.recordName, type: 'TXT', value: ch.recordValue });
    await sayReady(h, apiKey, order.id, ch.id);
    const done = await waitForOrder(h, apiKey, order.id);
    expect(done.status, JSON.stringify(done.error)).toBe('valid');
    expect(done.dnsNames).toEqual([...names, added]);
    const answered = done.authorizations.filter((a) => a.challenges.some((c) => c.status === 'valid')).map((a) => a.fqdn);
    expect(answered).toEqual([added]);
    expect((await status(rekeyed.certificate!.serial)).supersededBy).toBe(done.certificate!.serial);
    expect(textOf((await issuanceMail(done.certificate!.serial)).raw)).toContain('modifies (CP 4.8)');
  });
});
