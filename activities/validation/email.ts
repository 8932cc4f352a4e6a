/**
 * CP 3.2.2.4.4 / BR 3.2.2.4.4 constructed e-mail (allowed until 2028-03-15, discouraged since 2026-03-15):
 * sends one e-mail per address the applicant chose, each carrying its own random value and the API link to confirm
 * (SMTP through nodemailer to the configured relay — the operator's MTA in production, an in-process smtp-server in
 * the tests), then, once the workflow got the confirmation signal, records the challenge as valid with the evidence
 * (address, Message-ID, the server's response, sent and confirmed times).
 *
 * Not corroborated by the remote perspectives: BR 3.2.2.9 corroborates what a network perspective can observe
 * (DNS, HTTP); for this method the workflow corroborates CAA only.
 */
import nodemailer from 'nodemailer';
import type { Db } from '../../db/client';
import { recordChallengeResult } from '../../db/repositories/challenges';
import { emailValidationsOf, markEmailSent } from '../../db/repositories/email-validations';
import { getChallengeForCheck } from '../../db/repositories/validation';
import { dcvEvidenceLabel } from '../../domain/dcv';
import { CaError } from '../../domain/errors';

export interface EmailValidationDeps {
  readonly db: Db;
  /** smtp://host:port (nodemailer URL); null = the method is not available in this deployment. */
  readonly smtpUrl: string | null;
  readonly from: string;
  /** Base of the confirmation link (the API's public URL). */
  readonly publicBaseUrl: string;
  readonly clock: () => Date;
}

export const emailConfirmationPath = (token: string): string => `/email-validations/${token}`;

export function createEmailValidationActivities({ db, smtpUrl, from, publicBaseUrl, clock }: EmailValidationDeps) {
  const transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
  return {
    /** Sends every requested e-mail of the challenge not sent yet (idempotent: a sent row is never sent again). */
    async sendConstructedEmails({ challengeId }: { challengeId: string }): Promise<{ sent: number }> {
      // Without a relay this deployment cannot perform the method: the validation fails rather than waits.
      if (!transport) throw new CaError('validationFailed', 'no SMTP relay is configured (CA_SMTP_URL)', { rule: 'CP 3.2.2.4.4' });
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw new CaError('invariantViolated', `challenge ${challengeId} not found`);
      let sent = 0;
      for (const ev of await emailValidationsOf(db, challengeId)) {
        if (ev.status !== 'requested') continue;
        const link = `${publicBaseUrl}${emailConfirmationPath(ev.token)}`;
        const info = await transport.sendMail({
          from,
          to: ev.address,
          subject: `Certificate request for ${ch.fqdn}: please confirm domain control`,
          text: [
            `A server certificate was requested for ${ch.fqdn}.`,
            '',
            `If you, as ${ev.address}, approve this request, confirm it with an HTTP POST to:`,
            `  ${link}`,
            `(for example: curl -X POST '${link}')`,
            '',
            `Random value: ${ev.token}`,
            `It expires at ${ev.expiresAt.toISOString()} (CP 3.2.2.4.4). If you did not expect this, ignore this message.`,
          ].join('\n'),
        });
        await markEmailSent(db, { id: ev.id, orderId: ch.orderId, messageId: info.messageId, smtpResponse: String(info.response), sentAt: clock() });
        sent++;
      }
      return { sent };
    },

    /** The confirmation arrived (workflow signal): the challenge is valid, with the e-mail as evidence. */
    async completeEmailValidation({ challengeId }: { challengeId: string }): Promise<{ spec: null; address: string }> {
      const ch = await getChallengeForCheck(db, challengeId);
      if (!ch) throw new CaError('invariantViolated', `challenge ${challengeId} not found`);
      const confirmed = (await emailValidationsOf(db, challengeId)).find((e) => e.status === 'confirmed');
      // The workflow asks only after the confirmation signal, which the API sends once the row is confirmed.
      if (!confirmed) throw new CaError('invariantViolated', 'no confirmed e-mail for this challenge');
      const domain = confirmed.address.slice(confirmed.address.indexOf('@') + 1);
      await recordChallengeResult(db, {
        challengeId,
        status: 'valid',
        evidence: [
          {
            fqdn: ch.fqdn,
            authorizationDomainName: domain,
            method: dcvEvidenceLabel('3.2.2.4.4'),
            perspective: 'primary',
            resolver: null,
            query: `mail to ${confirmed.address}`,
            rawAnswers: { messageId: confirmed.messageId, smtpResponse: confirmed.smtpResponse, sentAt: confirmed.sentAt, confirmedAt: confirmed.confirmedAt },
            result: 'success',
            detail: `confirmed by ${confirmed.address}`,
          },
        ],
        actor: `email:${confirmed.address}`,
        now: clock(),
      });
      return { spec: null, address: confirmed.address };
    },
  };
}
