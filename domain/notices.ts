/**
 * The e-mail notices of a subscriber's life cycle, as plain text in Japanese and English (the account's language):
 *   - `certificate-issued`: CP 4.3.2, to the designated provider or the subscriber — never for ACME issuance;
 *   - `certificate-revoked`: CP 4.9 (the revocation is published in the CRL and OCSP; the subscriber is told);
 *   - `expiry-reminder`: 30 and 7 days before notAfter unless renewed (CP 4.6–4.8: renewal happens "at expiry");
 *   - `announcement`: a free text the CA sends to subscribers (incidents, CP 5.7; termination, CP 5.8), written by
 *     the caller in both languages;
 *   - the operator workflows' notices — an incident's notice to each affected subscriber, key-changeover reminders and
 *     the self-audit report to the operators — whose templates are in domain/operator-notices.ts.
 * A notice is enqueued once per idempotency key (db/repositories/notices.ts) and delivered by the `deliverNotice`
 * workflow; its Message-ID is derived from its id, so a delivery repeated after a crash carries the same Message-ID
 * and the receiving side can recognize the duplicate (RFC 5322 §3.6.4). Pure: rendering takes the stored data.
 */
import { CaError } from './errors';
import { footer, jst, reasonWords, utc } from './notice-format';
import { isOperatorNoticeKind, operatorNoticeKinds, renderOperatorNotice } from './operator-notices';
import type { Language, RenewalKind } from './statuses';

const certificateNoticeKinds = ['certificate-issued', 'certificate-revoked', 'expiry-reminder'] as const;
/** The notices of one certificate, each once per certificate (and per day count for the reminders). */
export type CertificateNoticeKind = (typeof certificateNoticeKinds)[number];

export const noticeKinds = [...certificateNoticeKinds, 'announcement', ...operatorNoticeKinds] as const;
export type NoticeKind = (typeof noticeKinds)[number];

/** The days before notAfter an expiry reminder is sent (unless the certificate was renewed or revoked by then). */
export const expiryReminderDays: readonly number[] = [30, 7];

export interface CertificateNoticeData {
  readonly serial: string;
  readonly dnsNames: readonly string[];
  /** ISO-8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  readonly links: {
    /** Where the subscriber downloads it (REST door); null for an ACME certificate (the client fetched it). */
    readonly certificate: string | null;
    /** GET /v1/certificates/{serial}: status and renewal window. */
    readonly status: string;
    /** POST /v1/certificates/{serial}/renewals. */
    readonly renewal: string;
    /** The repository: terms, CP, CPS. */
    readonly repository: string;
  };
  /** The certificate this one renews, re-keys or modifies (CP 4.6–4.8). */
  readonly renewal?: { readonly kind: RenewalKind; readonly predecessorSerial: string } | null;
  readonly revocation?: { readonly reason: string; readonly revokedAt: string } | null;
  /** expiry-reminder: how many days before notAfter. */
  readonly daysBefore?: number;
}

export interface AnnouncementData {
  readonly subject: Readonly<Record<Language, string>>;
  readonly body: Readonly<Record<Language, string>>;
}

export interface RenderedNotice {
  readonly subject: string;
  readonly text: string;
}

/** RFC 5322 §3.6.4 Message-ID of a notice: the same for every delivery attempt of the notice. */
export function noticeMessageId(noticeId: string, fromAddress: string): string {
  const at = fromAddress.lastIndexOf('@');
  const domain = at >= 0 ? fromAddress.slice(at + 1).replace(/>.*$/, '') : 'localhost';
  return `<notice.${noticeId}@${domain}>`;
}

const renewalWords: Readonly<Record<RenewalKind, { ja: string; en: string }>> = {
  renewal: { ja: '更新（同じ鍵、CP 4.6）', en: 'renews (same key, CP 4.6)' },
  rekey: { ja: '鍵更新（新しい鍵、CP 4.7）', en: 're-keys (new key, CP 4.7)' },
  modification: { ja: '登録情報の変更（CP 4.8）', en: 'modifies (CP 4.8)' },
};

function certificateData(data: Record<string, unknown>): CertificateNoticeData {
  const d = data as unknown as CertificateNoticeData;
  if (typeof d.serial !== 'string' || !Array.isArray(d.dnsNames) || typeof d.notAfter !== 'string' || typeof d.links !== 'object' || d.links === null) {
    throw new CaError('invariantViolated', 'a certificate notice needs serial, dnsNames, notBefore, notAfter and links');
  }
  return d;
}

function facts(d: CertificateNoticeData, lang: Language): string[] {
  if (lang === 'ja') {
    return [
      `  ドメイン名:   ${d.dnsNames.join(', ')}`,
      `  シリアル番号: ${d.serial}`,
      `  有効期間:     ${jst(d.notBefore)} から ${jst(d.notAfter)} まで`,
      `                (${utc(d.notBefore)} - ${utc(d.notAfter)})`,
    ];
  }
  return [
    `  Names:      ${d.dnsNames.join(', ')}`,
    `  Serial:     ${d.serial}`,
    `  Valid from: ${utc(d.notBefore)}`,
    `  Valid to:   ${utc(d.notAfter)}`,
  ];
}

function links(d: CertificateNoticeData, lang: Language, opts: { download: boolean; renew: boolean }): string[] {
  const ja = lang === 'ja';
  const out: string[] = [];
  if (opts.download && d.links.certificate) {
    out.push(ja ? '証明書のダウンロード（初回のダウンロードをもって証明書の受領とします、CP 4.4.1）:' : 'Download the certificate (the first download is your acceptance of it, CP 4.4.1):', `  ${d.links.certificate}`);
  }
  out.push(ja ? '証明書の状態と更新推奨期間:' : 'Status and renewal window:', `  ${d.links.status}`);
  if (opts.renew) out.push(ja ? '更新の申請（POST、CP 4.6–4.8）:' : 'Apply for its renewal (POST, CP 4.6–4.8):', `  ${d.links.renewal}`);
  out.push(ja ? 'ご利用条件、CP、CPS:' : 'Terms, CP and CPS:', `  ${d.links.repository}`);
  return out;
}

/** What distinguishes one certificate notice from another; the facts, links and footer are common. */
interface CertificateTemplate {
  readonly subject: string;
  /** The opening paragraph. */
  readonly lead: string;
  /** Lines after the certificate's facts (revocation time and reason). */
  readonly moreFacts: readonly string[];
  /** A paragraph before the links (the renewal a certificate is). */
  readonly note: readonly string[];
  readonly links: { readonly download: boolean; readonly renew: boolean };
  readonly rule: string;
}

const certificateTemplates: Readonly<Record<CertificateNoticeKind, (d: CertificateNoticeData, ja: boolean) => CertificateTemplate>> = {
  'certificate-issued': (d, ja) => ({
    subject: ja ? '証明書発行のお知らせ' : 'Certificate issued',
    lead: ja ? 'サーバー証明書を発行しました。' : 'Your server certificate has been issued.',
    moreFacts: [],
    note: d.renewal
      ? ja
        ? [`この証明書は証明書 ${d.renewal.predecessorSerial} の${renewalWords[d.renewal.kind].ja}です。旧証明書は置き換え済み（superseded）となりました。`, '']
        : [`This certificate ${renewalWords[d.renewal.kind].en} certificate ${d.renewal.predecessorSerial}, which is now superseded.`, '']
      : [],
    links: { download: true, renew: false },
    rule: 'CP 4.3.2',
  }),
  'certificate-revoked': (d, ja) => {
    const reason = d.revocation?.reason ?? 'unspecified';
    const at = d.revocation?.revokedAt ?? d.notBefore;
    return {
      subject: ja ? '証明書失効のお知らせ' : 'Certificate revoked',
      lead: ja ? 'サーバー証明書を失効しました。失効は CRL と OCSP で公開されています。' : 'Your server certificate has been revoked. The revocation is published in the CRL and by OCSP.',
      moreFacts: ja ? [`  失効日時:     ${jst(at)}`, `  失効理由:     ${reasonWords[reason] ?? reason} (${reason})`] : [`  Revoked at: ${utc(at)}`, `  Reason:     ${reason}`],
      note: [],
      links: { download: false, renew: false },
      rule: 'CP 4.9',
    };
  },
  'expiry-reminder': (d, ja) => {
    const days = d.daysBefore ?? 0;
    return {
      subject: ja ? `証明書の有効期限まで ${days} 日です` : `Your certificate expires in ${days} days`,
      lead: ja
        ? `サーバー証明書の有効期限まで ${days} 日です。更新（CP 4.6）、鍵更新（CP 4.7）または変更（CP 4.8）をお申し込みください。更新済みの場合、このお知らせは送られません。`
        : `Your server certificate expires in ${days} days. Apply for its renewal (CP 4.6), re-key (CP 4.7) or modification (CP 4.8); once it is renewed, no further reminder is sent.`,
      moreFacts: [],
      note: [],
      links: { download: false, renew: true },
      rule: 'CP 4.6–4.8',
    };
  },
};

function renderCertificateNotice(kind: CertificateNoticeKind, d: CertificateNoticeData, lang: Language): RenderedNotice {
  const t = certificateTemplates[kind](d, lang === 'ja');
  return {
    subject: `[JPRS CA] ${t.subject}: ${d.dnsNames[0] ?? d.serial}`,
    text: [t.lead, '', ...facts(d, lang), ...t.moreFacts, '', ...t.note, ...links(d, lang, t.links), ...footer(lang, t.rule)].join('\n'),
  };
}

function renderAnnouncement(data: Record<string, unknown>, lang: Language): RenderedNotice {
  const d = data as unknown as AnnouncementData;
  const subject = d.subject?.[lang];
  const body = d.body?.[lang];
  if (typeof subject !== 'string' || typeof body !== 'string') throw new CaError('invariantViolated', `an announcement needs subject.${lang} and body.${lang}`);
  return { subject: `[JPRS CA] ${subject}`, text: body };
}

/** The subject and plain-text body of a stored notice in its language. */
export function renderNotice(notice: { readonly kind: string; readonly language: Language; readonly data: Record<string, unknown> }): RenderedNotice {
  if ((certificateNoticeKinds as readonly string[]).includes(notice.kind)) {
    return renderCertificateNotice(notice.kind as CertificateNoticeKind, certificateData(notice.data), notice.language);
  }
  if (notice.kind === 'announcement') return renderAnnouncement(notice.data, notice.language);
  if (isOperatorNoticeKind(notice.kind)) return renderOperatorNotice(notice.kind, notice.data, notice.language);
  throw new CaError('invariantViolated', `no template for notice kind ${notice.kind}`);
}

/** The idempotency key of a certificate's notice: one issuance notice, one revocation notice, one reminder per day count. */
export function certificateNoticeKey(kind: CertificateNoticeKind, serial: string, daysBefore?: number): string {
  return kind === 'expiry-reminder' ? `${kind}:${daysBefore}:${serial}` : `${kind}:${serial}`;
}
