/**
 * Organization vetting for OV certificates (CP 3.2.2.1–3.2.2.3, 3.2.5, 4.1.1, 4.2; OV-VETTING.md): the life cycle of
 * one vetting, who may do what (operator roles, four-eyes), its clocks, and the validity of the vetted record it
 * produces (POLICY-2026.md: organization data is reused for at most 398 days). Shared by the `vetOrganization`
 * workflow, its activities and the doors that call its Updates. Pure.
 */
import { policyAt, SECONDS_PER_DAY } from './policy';

/**
 * matching (registry, automatic) → awaiting-documents (no match: documents for an agent) → awaiting-callback
 * (CP 3.2.5) → awaiting-approval (four-eyes) → approved | rejected; expired when 30 days pass without a decision.
 */
export const vettingStatuses = ['matching', 'awaiting-documents', 'awaiting-callback', 'awaiting-approval', 'approved', 'rejected', 'expired'] as const;
export type VettingStatus = (typeof vettingStatuses)[number];
export const finalVettingStatuses: readonly VettingStatus[] = ['approved', 'rejected', 'expired'];
export const isFinalVettingStatus = (s: VettingStatus): boolean => finalVettingStatuses.includes(s);

/** Operator roles: an agent records evidence (documents, call-back); an approver decides. One person may hold both. */
export const operatorRoles = ['vetting-agent', 'approver'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

/** What an operator records for a vetting; each is a row of vetting_evidence and, except the registry match, an Update. */
export const evidenceKinds = ['registry-match', 'document-check', 'callback', 'rejection', 'approval'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];
/** A door stores an operator's evidence as `submitted`, then the workflow's Update accepts it or the door marks it refused. */
export const evidenceStatuses = ['submitted', 'accepted', 'refused'] as const;
export type EvidenceStatus = (typeof evidenceStatuses)[number];

/** The role each operator action needs. */
export const roleFor = {
  'document-check': 'vetting-agent',
  callback: 'vetting-agent',
  approve: 'approver',
  reject: 'approver',
} as const satisfies Record<string, OperatorRole>;
export type VettingAction = keyof typeof roleFor;

/** The status in which each evidence-recording action is accepted. */
export const acceptedIn: Readonly<Record<'document-check' | 'callback' | 'approve', VettingStatus>> = {
  'document-check': 'awaiting-documents',
  callback: 'awaiting-callback',
  approve: 'awaiting-approval',
};

/**
 * Four-eyes: the final approval comes from a second person, who recorded no evidence for this vetting. The BR do not
 * require it for OV (the EV Guidelines do); OV-VETTING.md calls it good practice. Null when the approver may approve.
 */
export function fourEyesRefusal(approverId: string, recorders: readonly string[]): string | null {
  return recorders.includes(approverId)
    ? `operator ${approverId} recorded evidence for this vetting and cannot also approve it (four-eyes)`
    : null;
}

/** The outcome of a call-back to a number from a reliable source (CP 3.2.5; BR 3.2.5 Reliable Method of Communication). */
export const callbackOutcomes = ['confirmed', 'not-confirmed'] as const;
export type CallbackOutcome = (typeof callbackOutcomes)[number];
export const documentCheckOutcomes = ['verified', 'insufficient'] as const;
export type DocumentCheckOutcome = (typeof documentCheckOutcomes)[number];

const HOUR = 3_600;

/** The vetting's clocks, in seconds; each is a durable timer of the workflow (visible in the Web UI). */
export const vettingClocks = {
  /** A vetting that waits on the queue this long without progress reminds the queue (and again every period). */
  queueReminderSeconds: 24 * HOUR,
  /** An application not decided within this is expired (CP 4.2.2: the applicant resubmits). */
  applicationExpirySeconds: 30 * SECONDS_PER_DAY,
  /** The representative is reminded this long before the vetted record expires, to apply again in time. */
  recordReminderBeforeSeconds: 30 * SECONDS_PER_DAY,
} as const;

/**
 * The validity of a vetted record approved at `approvedAt`: policy(approvedAt)'s reuse limit for organization data
 * (BR 4.2.1, POLICY-2026.md: 398 days), and the instant of the reminder before it ends.
 */
export function vettedRecordValidity(approvedAt: Date): { validFrom: Date; validUntil: Date; reminderAt: Date; days: number; rule: string } {
  const policy = policyAt(approvedAt);
  const validUntil = new Date(approvedAt.getTime() + policy.orgDataReuseDays * SECONDS_PER_DAY * 1000);
  return {
    validFrom: approvedAt,
    validUntil,
    reminderAt: new Date(validUntil.getTime() - vettingClocks.recordReminderBeforeSeconds * 1000),
    days: policy.orgDataReuseDays,
    rule: policy.cites.orgDataReuseDays,
  };
}

/** A vetted record serves an order at `now` iff now ∈ [validFrom, validUntil) (BR 4.2.1 reuse limit). */
export function vettedRecordValidAt(r: { validFrom: Date; validUntil: Date }, now: Date): boolean {
  return r.validFrom.getTime() <= now.getTime() && now.getTime() < r.validUntil.getTime();
}

/** CP 4.1.1: OV applicants have an office in Japan; the subject's ST is one of these (JIS X 0401 order). */
export const prefectures = [
  '北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県',
  '東京都', '神奈川県', '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県',
  '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県',
  '香川県', '愛媛県', '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県',
] as const;

export function isPrefecture(value: string): boolean {
  return (prefectures as readonly string[]).includes(value.normalize('NFKC').trim());
}

/** BR 7.1.4.2 / RFC 5280 ub-organization-name: O is at most 64 characters. */
export const MAX_ORGANIZATION_NAME_LENGTH = 64;
/** RFC 5280 ub-locality-name / ub-state-name: 128. */
export const MAX_LOCALITY_LENGTH = 128;
