/**
 * The notices of the operator workflows (docs/OPERATIONS.md), plain text in Japanese and English like every notice of
 * the outbox (domain/notices.ts renders them; db/repositories/notices.ts stores them; `deliverNotice` sends them):
 *   - `incident`: to each affected subscriber account — how many of its certificates the CA revokes, why, and by when
 *     (CP 4.9.1, BR 4.9.1.1), and how to replace them first (ARI "renew now", RFC 9773 §4.2; renewal, CP 4.6–4.8);
 *   - `key-changeover-reminder`: to the operators while the next CA key waits for the root's certificate (CP 5.6);
 *   - `self-audit-report`: to the operators, the quarterly self-audit's outcome (BR 8.7).
 * Pure: rendering takes the data stored with the notice.
 */
import { CaError } from './errors';
import { footer, jst, reasonWords, utc } from './notice-format';
import { reasonName } from './revocation';
import type { Language } from './statuses';

export const operatorNoticeKinds = ['incident', 'key-changeover-reminder', 'self-audit-report'] as const;
export type OperatorNoticeKind = (typeof operatorNoticeKinds)[number];

export interface IncidentNoticeData {
  readonly incidentId: string;
  readonly title: string;
  /** The CRLReason code the certificates are revoked with (CP 7.2.3). */
  readonly reason: number;
  /** ISO-8601: the BR 4.9.1.1 deadline. */
  readonly deadline: string;
  /** How many of the account's certificates the incident revokes. */
  readonly certificates: number;
  /** The first of them (the full list is the account's certificates). */
  readonly serials: readonly string[];
  /** The API's public base URL: the certificates' status and renewal links. */
  readonly baseUrl: string;
}

export interface KeyChangeoverReminderData {
  readonly caId: string;
  readonly issuerId: string;
  readonly reminder: number;
  /** ISO-8601: the latest switch to the next key. */
  readonly mustSwitchBy: string;
  readonly csrSha256: string;
}

export interface SelfAuditReportData {
  readonly auditId: string;
  readonly period: { readonly from: string | null; readonly to: string };
  readonly population: number;
  readonly sampleSize: number;
  readonly flagged: readonly string[];
}

/** The stored data of a notice, checked for the fields its template reads. */
function need<T>(kind: OperatorNoticeKind, data: Record<string, unknown>, fields: readonly string[]): T {
  const missing = fields.filter((f) => data[f] === undefined || data[f] === null);
  if (missing.length > 0) throw new CaError('invariantViolated', `a ${kind} notice needs ${missing.join(', ')}`);
  return data as unknown as T;
}

function incident(d: IncidentNoticeData, ja: boolean) {
  const reason = reasonName(d.reason) ?? String(d.reason);
  const status = (serial: string) => `${d.baseUrl}/v1/certificates/${serial}`;
  const serials = d.serials.map((s) => `    ${s}`);
  const more = d.certificates > d.serials.length;
  if (ja) {
    return {
      subject: `証明書失効の事前通知: ${d.title}`,
      lines: [
        `当認証局は次の事象により、お客様のサーバー証明書 ${d.certificates} 枚を期限までに失効します。`,
        '',
        `  事象:         ${d.title}`,
        `  失効理由:     ${reasonWords[reason] ?? reason} (${reason})`,
        `  失効の期限:   ${jst(d.deadline)}`,
        `                (${utc(d.deadline)})`,
        `  対象の証明書: ${d.certificates} 枚${more ? `（先頭 ${d.serials.length} 件のシリアル番号）` : ''}`,
        ...serials,
        '',
        '期限までに証明書を置き換えてください。ARI（RFC 9773）に対応した ACME クライアントは自動的に更新します。',
        'それ以外の証明書は、更新を申請してください（POST、CP 4.6–4.8）:',
        `  ${status(d.serials[0] ?? '<serial>')}/renewals`,
        '証明書の状態と更新推奨期間:',
        `  ${status(d.serials[0] ?? '<serial>')}`,
        `インシデント番号: ${d.incidentId}`,
      ],
      rule: 'CP 4.9.1, BR 4.9.1.1',
    };
  }
  return {
    subject: `Your certificates will be revoked: ${d.title}`,
    lines: [
      `The CA will revoke ${d.certificates} of your server certificates by the deadline below, because of this incident.`,
      '',
      `  Incident:     ${d.title}`,
      `  Reason:       ${reason}`,
      `  Revoked by:   ${utc(d.deadline)}`,
      `  Certificates: ${d.certificates}${more ? ` (the first ${d.serials.length} serials)` : ''}`,
      ...serials,
      '',
      'Replace them before then. ACME clients that support renewal information (ARI, RFC 9773) renew on their own;',
      'for the others, apply for a renewal (POST, CP 4.6–4.8):',
      `  ${status(d.serials[0] ?? '<serial>')}/renewals`,
      'Status and renewal window:',
      `  ${status(d.serials[0] ?? '<serial>')}`,
      `Incident: ${d.incidentId}`,
    ],
    rule: 'CP 4.9.1, BR 4.9.1.1',
  };
}

function keyChangeoverReminder(d: KeyChangeoverReminderData, ja: boolean) {
  const commands = [`  npm run ca -- changeover csr --ca ${d.caId} --out ${d.issuerId}.csr`, `  npm run ca -- changeover import --ca ${d.caId} --cert ${d.issuerId}.pem [--switch-at <ISO>]`, `  npm run ca -- changeover status --ca ${d.caId}`];
  if (ja) {
    return {
      subject: `CA 鍵の切替: ${d.caId} の次の鍵 ${d.issuerId} が証明書を待っています（${d.reminder} 回目）`,
      lines: [
        `CA ${d.caId} の次の鍵 ${d.issuerId} の証明書がまだ取り込まれていません。CSR をルート CA に署名してもらい、取り込んでください。`,
        '',
        `  切替の期限:   ${jst(d.mustSwitchBy)}`,
        `                (${utc(d.mustSwitchBy)})`,
        `  CSR SHA-256:  ${d.csrSha256}`,
        '',
        ...commands,
      ],
      rule: 'CP 5.6',
    };
  }
  return {
    subject: `CA key changeover: the next key ${d.issuerId} of ${d.caId} awaits its certificate (reminder ${d.reminder})`,
    lines: [
      `The next key ${d.issuerId} of CA ${d.caId} has no certificate yet. Have the root sign its CSR, then import the certificate.`,
      '',
      `  Switch by:    ${utc(d.mustSwitchBy)}`,
      `  CSR SHA-256:  ${d.csrSha256}`,
      '',
      ...commands,
    ],
    rule: 'CP 5.6',
  };
}

function selfAuditReport(d: SelfAuditReportData, ja: boolean) {
  const from = d.period.from ? utc(d.period.from) : ja ? '（最初の監査）' : '(first audit)';
  const flagged = d.flagged.map((s) => `    ${s}`);
  const command = `  npm run admin -- self-audit show ${d.auditId}`;
  if (ja) {
    return {
      subject: `四半期の自己監査: ${d.sampleSize} 枚を検査、指摘 ${d.flagged.length} 枚`,
      lines: [
        '四半期の自己監査が終わりました。',
        '',
        `  対象期間:     ${from} - ${utc(d.period.to)}`,
        `  母集団:       ${d.population} 枚`,
        `  標本:         ${d.sampleSize} 枚`,
        `  指摘:         ${d.flagged.length} 枚`,
        ...flagged,
        '',
        '報告書:',
        command,
      ],
      rule: 'BR 8.7',
    };
  }
  return {
    subject: `Quarterly self-audit: ${d.sampleSize} certificates checked, ${d.flagged.length} flagged`,
    lines: [
      'The quarterly self-audit has completed.',
      '',
      `  Period:       ${from} - ${utc(d.period.to)}`,
      `  Population:   ${d.population}`,
      `  Sample:       ${d.sampleSize}`,
      `  Flagged:      ${d.flagged.length}`,
      ...flagged,
      '',
      'The report:',
      command,
    ],
    rule: 'BR 8.7',
  };
}

export function isOperatorNoticeKind(kind: string): kind is OperatorNoticeKind {
  return (operatorNoticeKinds as readonly string[]).includes(kind);
}

/** The subject and plain-text body of an operator workflow's notice in its language. */
export function renderOperatorNotice(kind: OperatorNoticeKind, data: Record<string, unknown>, lang: Language): { subject: string; text: string } {
  const ja = lang === 'ja';
  const t =
    kind === 'incident'
      ? incident(need<IncidentNoticeData>(kind, data, ['incidentId', 'title', 'reason', 'deadline', 'certificates', 'serials', 'baseUrl']), ja)
      : kind === 'key-changeover-reminder'
        ? keyChangeoverReminder(need<KeyChangeoverReminderData>(kind, data, ['caId', 'issuerId', 'reminder', 'mustSwitchBy', 'csrSha256']), ja)
        : selfAuditReport(need<SelfAuditReportData>(kind, data, ['auditId', 'period', 'population', 'sampleSize', 'flagged']), ja);
  return { subject: `[JPRS CA] ${t.subject}`, text: [...t.lines, ...footer(lang, t.rule)].join('\n') };
}
