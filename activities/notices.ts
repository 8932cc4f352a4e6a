/**
 * Notice activities (main task queue): enqueue a certificate's notices in the outbox (db/repositories/notices.ts) and
 * deliver one notice over SMTP (nodemailer to the configured relay — the operator's MTA in production, an in-process
 * smtp-server in the tests).
 *
 * Delivery and "exactly once": SMTP has no idempotent submission, so a worker that dies after the relay accepted the
 * message (the final "250" of DATA) and before `markNoticeSent` committed cannot know that the message went out; the
 * activity is retried and sends again. What the CA guarantees is: one notice per idempotency key in the outbox; it is
 * delivered at least once while its retries last (else it is `failed`, for an operator); every delivery of it carries
 * the same Message-ID (`<notice.<id>@<domain>>`, RFC 5322 §3.6.4) and the `X-CA-Notice-Id` header, so a relay or mail
 * client that deduplicates on the Message-ID shows it once; and the outbox records it as sent once (one `notice.sent`
 * audit entry), with the number of attempts. A notice already recorded as sent is never sent again.
 */
import nodemailer from 'nodemailer';
import type { Db } from '../db/client';
import { certificateNoticeContext } from '../db/repositories/lifecycle';
import { enqueueNotice, getNotice, markNoticeFailed, markNoticeSent, recordNoticeAttempt, type NewNotice } from '../db/repositories/notices';
import { CaError, isCaError } from '../domain/errors';
import { certificateNoticeKey, noticeMessageId, renderNotice, type CertificateNoticeData } from '../domain/notices';
import { reasonName } from '../domain/revocation';
import type { NoticeStatus } from '../domain/statuses';
import { withHeartbeat } from './heartbeat';

export interface NoticeDeps {
  readonly db: Db;
  /** smtp://host:port (nodemailer URL); null: no relay is configured, and every notice fails at once (visibly). */
  readonly smtpUrl: string | null;
  /** The notices' sender; its domain names the Message-IDs. */
  readonly from: string;
  /** Base of the links in the notices (the API's public URL). */
  readonly publicBaseUrl: string;
  readonly clock: () => Date;
}

export type EnqueueResult = { readonly noticeId: string | null; readonly reason?: string };

export function createNoticeActivities({ db, smtpUrl, from, publicBaseUrl, clock }: NoticeDeps) {
  const transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;

  /** The template data of a certificate's notices: serial, names, validity and links (domain/notices.ts). */
  function certificateData(ctx: NonNullable<Awaited<ReturnType<typeof certificateNoticeContext>>>): CertificateNoticeData {
    const c = ctx.certificate;
    const status = `${publicBaseUrl}/v1/certificates/${c.serial}`;
    return {
      serial: c.serial,
      dnsNames: c.dnsNames,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      links: {
        // An ACME client fetched its certificate itself; the REST door serves it per order.
        certificate: ctx.viaAcme ? null : `${publicBaseUrl}/v1/orders/${ctx.orderId}/certificate`,
        status,
        renewal: `${status}/renewals`,
        repository: `${publicBaseUrl}/repository`,
      },
      renewal: ctx.renewal,
      revocation: c.revokedAt ? { reason: reasonName(c.revocationReason ?? 0) ?? String(c.revocationReason), revokedAt: c.revokedAt.toISOString() } : null,
    };
  }

  async function context(serial: string) {
    const ctx = await certificateNoticeContext(db, serial);
    if (!ctx) throw new CaError('invariantViolated', `certificate ${serial} not found`);
    return ctx;
  }

  async function enqueueFor(ctx: Awaited<ReturnType<typeof context>>, kind: 'certificate-issued' | 'certificate-revoked' | 'expiry-reminder', daysBefore?: number): Promise<string> {
    const data = { ...certificateData(ctx), ...(daysBefore !== undefined ? { daysBefore } : {}) };
    const notice = await enqueueNotice(db, {
      kind,
      recipient: ctx.recipient.email,
      language: ctx.recipient.language,
      idempotencyKey: certificateNoticeKey(kind, ctx.certificate.serial, daysBefore),
      data: data as unknown as Record<string, unknown>,
      accountId: ctx.recipient.accountId,
      orderId: ctx.orderId,
      serial: ctx.certificate.serial,
      actor: 'workflow',
    });
    return notice.id;
  }

  return {
    /**
     * Any notice, e.g. an `announcement` to the subscribers of an incident (CP 5.7) or of the CA's termination (CP 5.8):
     * the outbox's generic way in for other workflows, which then hand the id to `startNoticeDelivery`.
     */
    async enqueueNotice(input: NewNotice): Promise<{ noticeId: string }> {
      return { noticeId: (await enqueueNotice(db, input)).id };
    },

    /**
     * CP 4.3.2 (issuance notice, never for an ACME certificate) and CP 4.9 (revocation notice): the notice of the
     * certificate, once per certificate and kind.
     */
    async enqueueCertificateNotice({ kind, serial }: { kind: 'certificate-issued' | 'certificate-revoked'; serial: string }): Promise<EnqueueResult> {
      const ctx = await context(serial);
      if (kind === 'certificate-issued' && ctx.viaAcme) return { noticeId: null, reason: 'ACME issuance has no issuance notice (CP 4.3.2)' };
      if (kind === 'certificate-issued' && ctx.certificate.status !== 'issued') return { noticeId: null, reason: `the certificate is ${ctx.certificate.status}` };
      if (kind === 'certificate-revoked' && ctx.certificate.status !== 'revoked') return { noticeId: null, reason: `the certificate is ${ctx.certificate.status}` };
      return { noticeId: await enqueueFor(ctx, kind) };
    },

    /** CP 4.9.12: the revocation notices of a key-compromise batch. */
    async enqueueRevocationNotices({ serials }: { serials: string[] }): Promise<{ noticeIds: string[] }> {
      const noticeIds: string[] = [];
      for (const serial of serials) {
        const ctx = await context(serial);
        if (ctx.certificate.status === 'revoked') noticeIds.push(await enqueueFor(ctx, 'certificate-revoked'));
      }
      return { noticeIds };
    },

    /**
     * The expiry reminder `daysBefore` days before notAfter — unless the certificate was renewed (superseded by its
     * successor), revoked or has expired: then `stop`, and the reminders workflow ends.
     */
    async enqueueExpiryReminder({ serial, daysBefore }: { serial: string; daysBefore: number }): Promise<EnqueueResult & { stop: boolean }> {
      const ctx = await context(serial);
      const c = ctx.certificate;
      if (c.supersededBy) return { noticeId: null, stop: true, reason: `renewed by ${c.supersededBy}` };
      if (c.status !== 'issued') return { noticeId: null, stop: true, reason: `the certificate is ${c.status}` };
      if (c.notAfter.getTime() < clock().getTime()) return { noticeId: null, stop: true, reason: 'the certificate has expired' };
      return { noticeId: await enqueueFor(ctx, 'expiry-reminder', daysBefore), stop: false };
    },

    /** One delivery attempt of a pending notice (see the module comment on what "once" means with SMTP). */
    async sendNotice({ noticeId }: { noticeId: string }): Promise<{ status: NoticeStatus; messageId: string | null }> {
      const notice = await getNotice(db, noticeId);
      if (!notice) throw new CaError('invariantViolated', `notice ${noticeId} not found`);
      // Recorded as sent (or given up) before a crash or by an earlier run: never sent again.
      if (notice.status !== 'pending') return { status: notice.status, messageId: notice.messageId };
      // Nobody to write to, or no relay in this deployment: no retry can help, so the notice fails at once, for an
      // operator to see (`notices failed`) and follow up another way.
      const to = notice.recipient;
      if (!to || !transport) {
        const error = !to ? 'invalidContact: the account has no e-mail address' : 'no SMTP relay is configured (CA_SMTP_URL)';
        const failed = await markNoticeFailed(db, notice.id, { at: clock(), error });
        return { status: failed.status, messageId: null };
      }
      const messageId = noticeMessageId(notice.id, from);
      const { subject, text } = renderNotice(notice);
      await recordNoticeAttempt(db, notice.id, { at: clock(), messageId });
      let response: string;
      try {
        const info = await withHeartbeat(() =>
          transport.sendMail({
            from,
            to,
            subject,
            text,
            messageId,
            headers: { 'X-CA-Notice-Id': notice.id, 'X-CA-Notice-Kind': notice.kind },
          }),
        );
        response = String(info.response);
      } catch (err) {
        // A refused or failed SMTP transaction is retried by the delivery's policy, then the notice is failed.
        throw isCaError(err) ? err : new CaError('serviceUnavailable', `SMTP delivery failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const sent = await markNoticeSent(db, notice.id, { at: clock(), messageId, smtpResponse: response });
      return { status: sent.status, messageId };
    },

    /** The delivery's retries are exhausted (or it was refused for good): the notice is failed, with the reason. */
    async failNotice({ noticeId, error }: { noticeId: string; error: string }): Promise<void> {
      await markNoticeFailed(db, noticeId, { at: clock(), error });
    },
  };
}
