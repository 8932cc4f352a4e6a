/**
 * The e-mails of an organization vetting (nodemailer, the configured relay — an in-process SMTP sink in the tests):
 * the representative learns what is needed, the decision, and that the vetted record is about to end; the vetting
 * queue is reminded of a vetting that waits over 24 h. Addresses are read from PostgreSQL here (the workflow carries
 * ids only), and each sent notice is audited with its Message-ID. Without a relay nothing is sent and that is audited.
 */
import nodemailer from 'nodemailer';
import type { Db } from '../db/client';
import { appendAudit } from '../db/repositories/audit';
import type { Organization, Vetting } from '../db/repositories/organizations';
import { vettedRecordOfVetting } from '../db/repositories/vetted-organizations';

export interface VettingMailConfig {
  /** nodemailer URL of the relay; null: notices are only audited. */
  readonly smtpUrl: string | null;
  readonly from: string;
  /** Where queue reminders go (the vetting agents' shared mailbox). */
  readonly queueAddress: string;
  /** The API's base URL, for the documents upload link. */
  readonly publicBaseUrl: string;
}

export const vettingNotices = ['documents-needed', 'approved', 'rejected', 'application-expired', 'record-expiring', 'record-expired'] as const;
export type VettingNotice = (typeof vettingNotices)[number];

type Loaded = { vetting: Vetting; organization: Organization };

function noticeText(notice: VettingNotice, { vetting, organization: org }: Loaded, extra: { validUntil: Date | null; baseUrl: string }): { subject: string; text: string } {
  const who = `${org.legalName}${org.corporateNumber ? ` (corporate number ${org.corporateNumber})` : ''}`;
  const until = extra.validUntil?.toISOString() ?? '';
  switch (notice) {
    case 'documents-needed':
      return {
        subject: `Organization vetting ${vetting.id}: documents needed`,
        text: `The National Tax Agency registry could not confirm ${who} (CP 3.2.2.1).\nPlease upload an official document (e.g. 登記事項証明書) as PDF, PNG or JPEG (at most 5 MB):\n  POST ${extra.baseUrl}/v1/organizations/${org.id}/documents\nThe application expires on ${vetting.expiresAt.toISOString()}.`,
      };
    case 'approved':
      return { subject: `Organization vetting ${vetting.id}: approved`, text: `${who} is vetted for OV certificates until ${until} (BR 4.2.1).` };
    case 'rejected':
      return { subject: `Organization vetting ${vetting.id}: rejected`, text: `The vetting of ${who} was rejected. Please contact us or register the organization again with corrected data.` };
    case 'application-expired':
      return { subject: `Organization vetting ${vetting.id}: expired`, text: `The vetting of ${who} was not completed within 30 days and has expired. Register the organization again to restart it.` };
    case 'record-expiring':
      return { subject: `Organization vetting ${vetting.id}: ends on ${until}`, text: `The vetted record of ${who} ends on ${until}; OV certificates need a new vetting after that date. Register the organization again to start it in time.` };
    case 'record-expired':
      return { subject: `Organization vetting ${vetting.id}: ended`, text: `The vetted record of ${who} ended on ${until}.` };
  }
}

export function createVettingNotices(deps: { db: Db; clock: () => Date; mail: VettingMailConfig; vettingOf: (id: string) => Promise<Loaded> }) {
  const { db, mail } = deps;
  const transport = mail.smtpUrl ? nodemailer.createTransport(mail.smtpUrl) : null;

  async function send(event: string, vettingId: string, to: string, message: { subject: string; text: string }): Promise<{ sent: boolean }> {
    if (!transport) {
      await appendAudit(db, { actor: 'workflow', event, data: { vettingId, sent: false, reason: 'no SMTP relay configured (CA_SMTP_URL)', subject: message.subject } });
      return { sent: false };
    }
    const info = await transport.sendMail({ from: mail.from, to, subject: message.subject, text: message.text });
    await appendAudit(db, { actor: 'workflow', event, data: { vettingId, sent: true, messageId: info.messageId, subject: message.subject } });
    return { sent: true };
  }

  return {
    /** A notice to the applicant representative (the address stays in PostgreSQL). */
    async notifyRepresentative({ vettingId, notice }: { vettingId: string; notice: VettingNotice }): Promise<{ sent: boolean }> {
      const loaded = await deps.vettingOf(vettingId);
      const record = notice === 'record-expiring' || notice === 'record-expired' || notice === 'approved' ? await vettedRecordOfVetting(db, vettingId) : null;
      const message = noticeText(notice, loaded, { validUntil: record?.validUntil ?? null, baseUrl: mail.publicBaseUrl });
      return send(`vetting.notice.${notice}`, vettingId, loaded.organization.representativeEmail, message);
    },

    /** The vetting waited over 24 h without progress: a reminder to the queue. */
    async remindQueue({ vettingId }: { vettingId: string }): Promise<{ sent: boolean }> {
      const { vetting, organization } = await deps.vettingOf(vettingId);
      return send('vetting.reminder', vettingId, mail.queueAddress, {
        subject: `Vetting ${vettingId} waits (${vetting.status})`,
        text: `The vetting of ${organization.legalName} has waited over 24 hours in "${vetting.status}" (since ${vetting.updatedAt.toISOString()}). It expires on ${vetting.expiresAt.toISOString()}.\n  npm run admin -- vetting show ${vettingId}`,
      });
    },
  };
}
