/**
 * The life cycles the CA stores, one closed list each. The database schema (db/schema/) turns every list into a
 * CHECK constraint and a typed column; the rules and the doors use the same lists, so a state no code knows about
 * can neither be written nor read. Pure: importable from workflows.
 */

/** An application (CP 4.1, 4.2; RFC 8555 §7.1.6): pending → ready → processing → valid | invalid, or expired. */
export const orderStatuses = ['pending', 'ready', 'processing', 'valid', 'invalid', 'expired'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** One FQDN of an order (CP 3.2.2.4: every FQDN in the SAN is validated; RFC 8555 §7.1.6). */
export const authorizationStatuses = ['pending', 'valid', 'invalid', 'expired'] as const;
export type AuthorizationStatus = (typeof authorizationStatuses)[number];

/** One offered validation method of an authorization (BR 3.2.2.4; RFC 8555 §7.1.6). */
export const challengeStatuses = ['pending', 'processing', 'valid', 'invalid', 'expired'] as const;
export type ChallengeStatus = (typeof challengeStatuses)[number];

/**
 * A certificate row from the serial reservation (issuance step 5) on: reserved → precertificate (step 7) → issued
 * (step 10) → revoked (CP 4.9). A precertificate is a promise to issue (RFC 6962 §3.1), so it can be revoked too.
 */
export const certificateStatuses = ['reserved', 'precertificate', 'issued', 'revoked'] as const;
export type CertificateStatus = (typeof certificateStatuses)[number];

/** A key-compromise report (CP 4.9.12, BR 4.9.1.1 (3)): the proof is verified before anything is revoked. */
export const keyCompromiseReportStatuses = ['received', 'verified', 'rejected', 'revoking', 'completed'] as const;
export type KeyCompromiseReportStatus = (typeof keyCompromiseReportStatuses)[number];

/** An ACME account (RFC 8555 §7.1.2, §7.1.6). */
export const acmeAccountStatuses = ['valid', 'deactivated', 'revoked'] as const;
export type AcmeAccountStatus = (typeof acmeAccountStatuses)[number];

/** An e-mail of the constructed e-mail method (CP 3.2.2.4.4), each carrying its own random value. */
export const emailValidationStatuses = ['requested', 'sent', 'confirmed', 'expired'] as const;
export type EmailValidationStatus = (typeof emailValidationStatuses)[number];

/** A CA account: a subscriber applies for itself; a designated provider (CP 1.3 指定事業者) relays for its subscribers. */
export const accountKinds = ['subscriber', 'provider'] as const;
export type AccountKind = (typeof accountKinds)[number];

export const accountStatuses = ['active', 'disabled'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

/**
 * A notice in the outbox (CP 4.3.2, 4.9; expiry reminders): pending until one delivery attempt was accepted by the
 * SMTP relay (sent) or the delivery gave up after its retries (failed, listed by `npm run admin -- notices failed`).
 */
export const noticeStatuses = ['pending', 'sent', 'failed'] as const;
export type NoticeStatus = (typeof noticeStatuses)[number];

/** The language of an account's notices and documents: Japanese or English. */
export const languages = ['ja', 'en'] as const;
export type Language = (typeof languages)[number];

/** CP 4.6 renewal (same key), 4.7 re-key (new key), 4.8 modification (names other than the CN change). */
export const renewalKinds = ['renewal', 'rekey', 'modification'] as const;
export type RenewalKind = (typeof renewalKinds)[number];

/** How a subscriber first received (and so accepted, CP 4.4.1) a certificate. */
export const acceptanceChannels = ['api', 'acme'] as const;
export type AcceptanceChannel = (typeof acceptanceChannels)[number];

/**
 * An incident (CCADB incident reporting; CP 4.9.1, BR 4.9.1.1): the affected certificates are selected, their ARI
 * windows set to "renew now", the subscribers notified, then the certificates revoked at a controlled rate.
 */
export const incidentStatuses = ['created', 'selecting', 'notifying', 'revoking', 'publishing', 'completed', 'failed'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

/** One certificate of an incident: selected, then revoked by it, or skipped (expired or revoked meanwhile). */
export const incidentCertificateStates = ['selected', 'revoked', 'skipped'] as const;
export type IncidentCertificateState = (typeof incidentCertificateStates)[number];

/** A quarterly self-audit (BR 8.7): the sample is drawn and recorded, then each sampled certificate is checked. */
export const selfAuditStatuses = ['sampling', 'checking', 'completed'] as const;
export type SelfAuditStatus = (typeof selfAuditStatuses)[number];
