/**
 * The notices outbox (CP 4.3.2 issuance notice — never for ACME —, CP 4.9 revocation notice, expiry reminders): one
 * notice per idempotency key, to the designated provider or the subscriber in the account's language, delivered over
 * real SMTP (an in-process smtp-server) with a Message-ID derived from the notice, recorded as sent once; a notice
 * that cannot go out is failed and listed by `npm run admin -- notices failed`. Activities called directly on a
 * fresh PostgreSQL; the delivery workflow and a worker killed mid-delivery: test/e2e/notice-crash.test.ts.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNoticeActivities } from '../../activities/notices';
import { createApp } from '../../api/app';
import { loadConfig, repoRoot } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { createAcmeAccount } from '../../db/repositories/acme';
import { supersedePredecessor } from '../../db/repositories/lifecycle';
import { getNotice } from '../../db/repositories/notices';
import { acmeOrders, certificates } from '../../db/schema';
import { isCaError } from '../../domain/errors';
import { InMemorySigner } from '../../pki/memory-signer';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { markIssued, postOrder } from '../support/lifecycle-fixtures';
import { seedIssuingCa } from '../support/revocation-fixtures';
import { headerOf, startSmtpSink, textOf, type SmtpSink } from '../support/smtp-sink';

const config = loadConfig();
const zone = config.dns.devZone;
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let smtp: SmtpSink;
let notices: ReturnType<typeof createNoticeActivities>;
const who = {} as Record<'subscriber' | 'english' | 'provider' | 'shop' | 'silent', { id: string; apiKey: string }>;
let label = 0;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'notices' });
  await seedIssuingCa(fresh.handle.db, new InMemorySigner());
  smtp = await startSmtpSink();
  app = createApp({ db: fresh.handle.db, workflows: fakeWorkflows(), config, clock: () => new Date() });
  notices = createNoticeActivities({ db: fresh.handle.db, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'notices@ca.example.jp', publicBaseUrl: 'https://ca.example.jp', clock: () => new Date() });
  const make = async (name: keyof typeof who, opts: Parameters<typeof createAccount>[1]) => {
    const { account, apiKey } = await createAccount(fresh.handle.db, opts);
    who[name] = { id: account.id, apiKey };
  };
  await make('subscriber', { name: 'Subscriber', email: 'sub@example.jp' });
  await make('english', { name: 'English', email: 'en@example.jp', language: 'en' });
  await make('provider', { name: 'Provider', kind: 'provider', email: 'relay@provider.example.jp', language: 'en' });
  await make('shop', { name: 'Shop', email: 'shop@example.jp', providerAccountId: who.provider.id });
  await make('silent', { name: 'No address' });
});
afterAll(async () => {
  await smtp?.stop();
  await fresh?.drop();
});

/** A certificate issued through the REST door to `account` (relayed by its provider when `relayed`). */
async function issuedTo(account: keyof typeof who, opts: { relayed?: boolean } = {}) {
  const csr = makeCsr({ names: [`n${++label}.${zone}`] });
  const order = opts.relayed ? await postOrder(app, who.provider.apiKey, csr, { onBehalfOf: who[account].id }) : await postOrder(app, who[account].apiKey, csr);
  return { orderId: order.id, serial: await markIssued(fresh.handle.db, order.id) };
}

describe('enqueue: one notice per certificate and kind, to the right recipient, in its language', () => {
  it('CP 4.3.2: the issuance notice goes to the subscriber, once however often it is enqueued', async () => {
    const { serial, orderId } = await issuedTo('subscriber');
    const first = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    const again = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    expect(again.noticeId).toBe(first.noticeId);
    const n = await getNotice(fresh.handle.db, first.noticeId!);
    expect(n).toMatchObject({ kind: 'certificate-issued', recipient: 'sub@example.jp', language: 'ja', status: 'pending', orderId, serial, idempotencyKey: `certificate-issued:${serial}` });
    expect(n!.data).toMatchObject({ serial, links: { certificate: `https://ca.example.jp/v1/orders/${orderId}/certificate`, status: `https://ca.example.jp/v1/certificates/${serial}` } });
    const enqueued = await fresh.handle.sql`select count(*)::int as n from audit_log where event = 'notice.enqueued' and serial = ${serial}`;
    expect(enqueued[0]!.n).toBe(1);
  });

  it('CP 4.3.2: for a relayed application it goes to the designated provider, in the provider’s language', async () => {
    const { serial } = await issuedTo('shop', { relayed: true });
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    expect(await getNotice(fresh.handle.db, noticeId!)).toMatchObject({ recipient: 'relay@provider.example.jp', language: 'en', accountId: who.provider.id });
  });

  it('CP 4.3.2: never for ACME issuance; the revocation notice of an ACME certificate goes to its ACME contact', async () => {
    const { serial, orderId } = await issuedTo('subscriber');
    const { account } = await createAcmeAccount(fresh.handle.db, { jwk: { kty: 'EC' }, thumbprint: `t${label}`, contact: ['mailto:acme-ops@example.jp'], termsAgreedAt: new Date(), eabKeyId: null, now: new Date() });
    await fresh.handle.db.insert(acmeOrders).values({ orderId, acmeAccountId: account.id });
    expect(await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial })).toEqual({ noticeId: null, reason: 'ACME issuance has no issuance notice (CP 4.3.2)' });
    expect(await notices.enqueueCertificateNotice({ kind: 'certificate-revoked', serial })).toMatchObject({ noticeId: null });
    await fresh.handle.db.update(certificates).set({ status: 'revoked', revokedAt: new Date(), revocationReason: 1 }).where(eq(certificates.serial, serial));
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-revoked', serial });
    expect(await getNotice(fresh.handle.db, noticeId!)).toMatchObject({ recipient: 'acme-ops@example.jp', data: { revocation: { reason: 'keyCompromise' }, links: { certificate: null } } });
  });

  it('expiry reminders stop once the certificate is renewed, revoked or expired', async () => {
    const live = await issuedTo('english');
    const r30 = await notices.enqueueExpiryReminder({ serial: live.serial, daysBefore: 30 });
    expect(r30.stop).toBe(false);
    expect(await getNotice(fresh.handle.db, r30.noticeId!)).toMatchObject({ kind: 'expiry-reminder', idempotencyKey: `expiry-reminder:30:${live.serial}`, data: { daysBefore: 30 } });
    const successor = await issuedTo('english');
    await fresh.handle.sql`update orders set predecessor_serial = ${live.serial}, renewal_kind = 'renewal' where id = ${successor.orderId}`;
    await supersedePredecessor(fresh.handle.db, { orderId: successor.orderId, successorSerial: successor.serial, at: new Date() });
    expect(await notices.enqueueExpiryReminder({ serial: live.serial, daysBefore: 7 })).toEqual({ noticeId: null, stop: true, reason: `renewed by ${successor.serial}` });
    await fresh.handle.db.update(certificates).set({ notAfter: new Date(Date.now() - 1000) }).where(eq(certificates.serial, successor.serial));
    expect(await notices.enqueueExpiryReminder({ serial: successor.serial, daysBefore: 7 })).toMatchObject({ noticeId: null, stop: true, reason: 'the certificate has expired' });
  });
});

describe('delivery over SMTP', () => {
  it('sends the notice with its own Message-ID and notice id, and records it as sent once', async () => {
    const { serial } = await issuedTo('english');
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    const before = smtp.messages.length;
    expect(await notices.sendNotice({ noticeId: noticeId! })).toEqual({ status: 'sent', messageId: `<notice.${noticeId}@ca.example.jp>` });
    const [m] = smtp.messages.slice(before);
    expect(m!.to).toEqual(['en@example.jp']);
    expect(headerOf(m!.raw, 'Message-ID')).toBe(`<notice.${noticeId}@ca.example.jp>`);
    expect(headerOf(m!.raw, 'X-CA-Notice-Id')).toBe(noticeId);
    expect(headerOf(m!.raw, 'Subject')).toContain('Certificate issued');
    expect(m!.raw).toContain(serial);
    // Recorded as sent: a repeated call sends nothing more.
    expect((await notices.sendNotice({ noticeId: noticeId! })).status).toBe('sent');
    expect(smtp.messages.length).toBe(before + 1);
    expect(await getNotice(fresh.handle.db, noticeId!)).toMatchObject({ status: 'sent', attempts: 1, messageId: `<notice.${noticeId}@ca.example.jp>` });
    const sent = await fresh.handle.sql`select count(*)::int as n from audit_log where event = 'notice.sent' and data->>'noticeId' = ${noticeId!}`;
    expect(sent[0]!.n).toBe(1);
  });

  it('Japanese for a Japanese account', async () => {
    const { serial } = await issuedTo('subscriber');
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    const before = smtp.messages.length;
    await notices.sendNotice({ noticeId: noticeId! });
    const raw = smtp.messages[before]!.raw;
    expect(headerOf(raw, 'Subject')).toMatch(/=\?UTF-8\?/i); // RFC 2047 encoded-word: 証明書発行のお知らせ
    expect(headerOf(raw, 'Content-Type')).toMatch(/charset=utf-8/i);
  });

  it('a relay that refuses is a transient fault (retried by the delivery workflow); the notice stays pending', async () => {
    const refusing = createNoticeActivities({ db: fresh.handle.db, smtpUrl: 'smtp://127.0.0.1:1', from: 'notices@ca.example.jp', publicBaseUrl: 'https://ca.example.jp', clock: () => new Date() });
    const { serial } = await issuedTo('english');
    const { noticeId } = await refusing.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    const err = await refusing.sendNotice({ noticeId: noticeId! }).catch((e: unknown) => e);
    expect(isCaError(err) && err.kind).toBe('serviceUnavailable');
    expect(await getNotice(fresh.handle.db, noticeId!)).toMatchObject({ status: 'pending', attempts: 1 });
  });
});

describe('the generic way in: any workflow enqueues a notice (incidents, CP 5.7)', () => {
  it('an announcement is written once per key and delivered in the recipient’s language', async () => {
    const input = {
      kind: 'announcement' as const,
      recipient: 'sub@example.jp',
      language: 'ja' as const,
      idempotencyKey: `incident-42:${who.subscriber.id}`,
      data: { subject: { ja: '障害のお知らせ', en: 'Incident notice' }, body: { ja: '対象の証明書を再発行してください。', en: 'Please replace the affected certificates.' } },
      accountId: who.subscriber.id,
    };
    const { noticeId } = await notices.enqueueNotice(input);
    expect((await notices.enqueueNotice(input)).noticeId).toBe(noticeId);
    const before = smtp.messages.length;
    expect((await notices.sendNotice({ noticeId })).status).toBe('sent');
    expect(textOf(smtp.messages[before]!.raw).trim()).toBe('対象の証明書を再発行してください。');
  });
});

describe('failed notices are an operator’s query', () => {
  it('an account without an address cannot be notified: failed at once, listed by `npm run admin -- notices failed`', async () => {
    const { serial } = await issuedTo('silent');
    const { noticeId } = await notices.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    const before = smtp.messages.length;
    expect(await notices.sendNotice({ noticeId: noticeId! })).toEqual({ status: 'failed', messageId: null });
    expect(smtp.messages.length).toBe(before);
    // Failing it again (the delivery workflow's last resort after retries) changes nothing.
    await notices.failNotice({ noticeId: noticeId!, error: 'a second call changes nothing' });
    const out = execFileSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/admin.ts', 'notices', 'failed'], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: fresh.url }, encoding: 'utf8' });
    const listed = JSON.parse(out) as Array<{ id: string; serial: string; lastError: string; status: string; recipient: null }>;
    expect(listed.find((n) => n.id === noticeId)).toMatchObject({ serial, status: 'failed', recipient: null, lastError: 'invalidContact: the account has no e-mail address' });
  });

  it('a deployment without a relay (CA_SMTP_URL unset) fails its notices at once, saying why', async () => {
    const noRelay = createNoticeActivities({ db: fresh.handle.db, smtpUrl: null, from: 'notices@ca.example.jp', publicBaseUrl: 'https://ca.example.jp', clock: () => new Date() });
    const { serial } = await issuedTo('english');
    const { noticeId } = await noRelay.enqueueCertificateNotice({ kind: 'certificate-issued', serial });
    expect((await noRelay.sendNotice({ noticeId: noticeId! })).status).toBe('failed');
    expect(await getNotice(fresh.handle.db, noticeId!)).toMatchObject({ status: 'failed', attempts: 0, lastError: 'no SMTP relay is configured (CA_SMTP_URL)' });
  });
});
