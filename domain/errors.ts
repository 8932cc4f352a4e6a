/**
 * The one closed set of failure kinds (ARCHITECTURE.md convention 7, after Boulder's errors/ and web/probs.go) and
 * the one table that says, for each kind, how every part of the CA treats it:
 *   - `retryable`: whether Temporal retries an activity that failed with it (the worker's failure interceptor turns
 *     a thrown CaError into an ApplicationFailure whose type is the kind and whose nonRetryable flag comes from here);
 *   - `problem`: the REST door's RFC 7807 document (`type` is `/problems/<kind>`, served as documentation);
 *   - `acme`: the ACME door's RFC 8555 §6.7 error (`urn:ietf:params:acme:error:<type>`) and its HTTP status.
 * The Temporal failure type of a kind is the kind itself, and an order's stored `error.type` is the kind too: one name
 * per failure, from the activity that detects it to the client that reads it. Nothing classifies an error by the
 * text of its message.
 * Pure: imported by workflows, activities, repositories and both doors.
 */

/** RFC 8555 §6.7 error types (and RFC 9773 `alreadyReplaced`, draft-ietf-acme-profiles `invalidProfile`). */
export type AcmeErrorType =
  | 'accountDoesNotExist'
  | 'alreadyReplaced'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'compound'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'invalidProfile'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired';

export interface FailureKindInfo {
  /** Temporal: an activity failing with this kind is retried (transient), or fails at once (a decision). */
  readonly retryable: boolean;
  /** REST (RFC 7807): HTTP status, title and the description served at /problems/<kind>. */
  readonly problem: { readonly status: number; readonly title: string; readonly description: string };
  /** ACME (RFC 8555 §6.7): the error type and the HTTP status when it differs from the type's usual 400/403. */
  readonly acme: { readonly type: AcmeErrorType; readonly status: number };
}

const kind = (
  retryable: boolean,
  status: number,
  title: string,
  description: string,
  acmeType: AcmeErrorType,
  acmeStatus: number = status >= 500 ? status : acmeType === 'unauthorized' || acmeType === 'caa' || acmeType === 'incorrectResponse' ? 403 : 400,
): FailureKindInfo => ({ retryable, problem: { status, title, description }, acme: { type: acmeType, status: acmeStatus } });

export const failureKinds = {
  // --- requests that cannot be accepted (both doors) ---
  malformed: kind(false, 400, 'Malformed request', 'The request body, CSR or signature could not be parsed.', 'malformed'),
  unsupportedMediaType: kind(false, 415, 'Unsupported media type', 'The request body is not of a content type this resource accepts.', 'malformed', 415),
  payloadTooLarge: kind(false, 413, 'Payload too large', 'The request body exceeds the size limit.', 'malformed', 413),
  badCsr: kind(false, 400, 'Unacceptable CSR', 'The CSR parses but breaks a rule, e.g. its signature does not verify with its own key (proof of possession, CP 3.2.1), or its names are not the order’s (RFC 8555 §7.4).', 'badCSR'),
  badPublicKey: kind(false, 400, 'Unacceptable public key', 'The key is not RSA 2048 (CP 6.1.5) or fails the BR 6.1.6 / 6.1.1.3 checks.', 'badPublicKey'),
  rejectedIdentifier: kind(false, 400, 'Rejected identifier', 'A name is not an acceptable FQDN for a publicly-trusted certificate (BR 7.1.4.2, 3.2.2.6).', 'rejectedIdentifier'),
  unsupportedIdentifier: kind(false, 400, 'Unsupported identifier', 'Only dNSName identifiers are issued (CP 7.1.1).', 'unsupportedIdentifier'),
  unsupportedProfile: kind(false, 400, 'Unsupported profile', 'The certificate profile is not offered.', 'invalidProfile'),
  badRevocationReason: kind(false, 400, 'Revocation reason not accepted', 'The reason is not one of CP 7.2.3 (certificateHold is never used), or only the CA may choose it (privilegeWithdrawn, BR 7.2.2).', 'badRevocationReason'),
  rateLimited: kind(false, 429, 'Too many requests', 'The request rate limit was exceeded; retry after the time given.', 'rateLimited', 429),
  // --- who may do what ---
  unauthorized: kind(false, 401, 'Unauthorized', 'A valid, active credential is required (API key: Authorization: Bearer <key>; ACME: a JWS of a valid account).', 'unauthorized', 403),
  notFound: kind(false, 404, 'Not found', 'No such resource for this account.', 'malformed', 404),
  conflict: kind(false, 409, 'Conflict', 'The resource is not in a state that allows this action.', 'malformed', 409),
  orderNotReady: kind(false, 409, 'Order not ready', 'The order cannot be finalized in its current state (RFC 8555 §7.4).', 'orderNotReady', 403),
  orderExpired: kind(false, 410, 'Order expired', 'The random values expired (CP 3.2.2.4: 25 days).', 'malformed', 410),
  alreadyRevoked: kind(false, 409, 'Already revoked', 'The certificate is already revoked.', 'alreadyRevoked'),
  alreadyReplaced: kind(false, 409, 'Already replaced', 'The certificate is already being replaced by another order (RFC 9773 §7.4).', 'alreadyReplaced', 409),
  forbidden: kind(false, 403, 'Forbidden', 'The authenticated operator lacks the role this action needs (vetting-agent or approver).', 'unauthorized'),
  // --- organization vetting (OV: CP 3.2.2.1, 3.2.5) ---
  organizationNotVetted: kind(false, 403, 'Organization not vetted', 'The organization has no valid vetted record: its vetting was rejected or expired (30 days), the record passed its reuse limit (BR 4.2.1: 398 days), or no vetting was started (CP 3.2.2.1, 3.2.5).', 'unauthorized'),
  separationOfDuties: kind(false, 403, 'Four-eyes rule', 'The approver recorded evidence for this vetting; a second person must approve it.', 'unauthorized'),
  // --- ACME protocol (RFC 8555 §6, §7.3) ---
  badNonce: kind(false, 400, 'Bad nonce', 'The JWS nonce is unknown, used or missing (RFC 8555 §6.5).', 'badNonce'),
  badSignatureAlgorithm: kind(false, 400, 'Bad signature algorithm', 'The JWS algorithm is not accepted (RFC 8555 §6.2).', 'badSignatureAlgorithm'),
  accountDoesNotExist: kind(false, 400, 'Account does not exist', 'No account exists for this key or URL (RFC 8555 §7.3.1).', 'accountDoesNotExist'),
  externalAccountRequired: kind(false, 400, 'External account binding required', 'This server binds new accounts to a CA account (RFC 8555 §7.3.4).', 'externalAccountRequired'),
  userActionRequired: kind(false, 403, 'User action required', 'Agree to the terms of service first.', 'userActionRequired', 403),
  invalidContact: kind(false, 400, 'Invalid contact', 'A contact is not a single e-mail address.', 'invalidContact'),
  unsupportedContact: kind(false, 400, 'Unsupported contact', 'Only mailto: contacts are supported.', 'unsupportedContact'),
  // --- domain validation, CAA and corroboration (issuance cycle steps 2, 3, 9) ---
  validationFailed: kind(false, 403, 'Domain validation failed', 'The domain could not be validated, or the validation method is not allowed (BR 3.2.2.4).', 'incorrectResponse'),
  dcvRecordNotFound: kind(true, 403, 'Validation content not found', 'The random value was not found where the method looks for it (TXT record, file, response).', 'incorrectResponse'),
  dnsLookupFailed: kind(true, 403, 'DNS lookup failed', 'A DNS query of the validation failed (SERVFAIL, timeout, DNSSEC failure).', 'dns'),
  connectionFailed: kind(true, 403, 'Connection failed', 'The validation server could not be reached (refused, timed out, or a redirect the BR do not allow).', 'connection'),
  caa: kind(false, 403, 'CAA forbids issuance', 'A CAA record set forbids this CA from issuing for the name (BR 3.2.2.8, RFC 8659, RFC 8657).', 'caa'),
  corroborationFailed: kind(false, 403, 'Corroboration failed', 'Too few remote network perspectives corroborated the result (BR 3.2.2.9).', 'unauthorized'),
  // --- pre-issuance checks, signing and CT (steps 5–10): an order fails with these, a client cannot fix them ---
  lintFailed: kind(false, 500, 'Pre-issuance lint refused the certificate', 'zlint or pkilint found an error in the to-be-signed certificate; nothing was signed (BR 4.3.1.2).', 'serverInternal'),
  correspondenceMismatch: kind(false, 500, 'Precertificate correspondence failed', 'The final certificate would not correspond to its precertificate (RFC 6962 §3.1); it was not signed.', 'serverInternal'),
  ctLogRejected: kind(false, 502, 'CT log refused the submission', 'A CT log refused the precertificate.', 'serverInternal'),
  ctSctInvalid: kind(false, 502, 'Invalid SCT', 'A CT log answered with an SCT that does not verify.', 'serverInternal'),
  ctPolicyNotMet: kind(false, 503, 'CT policy not met', 'Not enough valid SCTs from enough log operators before the deadline (Chrome/Apple CT policy).', 'serverInternal'),
  issuanceRefused: kind(false, 403, 'Issuance refused by the signer', 'The signing service checked the records in the database and they do not prove every condition of issuance at the time of signing (order state, active account, every name validated within policy, MPIC, CAA within 8 hours or its TTL, key checks, lint); nothing was signed.', 'unauthorized'),
  // --- revocation (CP 4.9) ---
  proofInvalid: kind(false, 400, 'Key-compromise proof invalid', 'The proof does not show control of the reported private key (CP 4.9.12).', 'badCSR'),
  notRevocable: kind(false, 409, 'Not revocable', 'The certificate cannot be revoked: unknown, expired or never signed.', 'malformed', 409),
  // --- the CA's own state ---
  invariantViolated: kind(false, 500, 'Internal consistency error', 'A record the step needs is missing or in an impossible state; the order stops rather than guess.', 'serverInternal'),
  serviceUnavailable: kind(true, 503, 'Service unavailable', 'A backing service is unavailable; nothing was stored. Retry later.', 'serverInternal', 503),
  internal: kind(true, 500, 'Internal error', 'An unexpected error occurred; it has been logged.', 'serverInternal'),
} as const satisfies Record<string, FailureKindInfo>;

export type FailureKind = keyof typeof failureKinds;

export const allFailureKinds = Object.keys(failureKinds) as FailureKind[];

export function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(failureKinds, value);
}

/** Temporal: the failure types an activity retry policy must never retry (derived from the table). */
export const nonRetryableFailureTypes: readonly string[] = allFailureKinds.filter((k) => !failureKinds[k].retryable);

export interface CaErrorDetails {
  /** The CP/BR/RFC rule the refusal enforces, e.g. "CP 6.1.5". */
  readonly rule?: string;
  /** The FQDN the refusal concerns, when there is one. */
  readonly identifier?: string;
  /** Sent as the Retry-After header (not in the body), e.g. with serviceUnavailable or rateLimited. */
  readonly retryAfterSeconds?: number;
  /** Sent as the Location header (not in the body), e.g. the existing account of an ACME keyChange conflict. */
  readonly location?: string;
  readonly [key: string]: unknown;
}

/** The one error type: a kind from the table, a message for humans, details for machines. */
export class CaError extends Error {
  override readonly name = 'CaError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly details: CaErrorDetails = {},
  ) {
    super(message);
  }
}

export function isCaError(e: unknown): e is CaError {
  return e instanceof CaError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'CaError' && isFailureKind((e as { kind?: unknown }).kind));
}

/** What an order (or challenge) stores as its `error`: the kind as `type`, and the details of the refusal. */
export interface StoredFailure {
  readonly type: FailureKind;
  readonly title: string;
  readonly detail: string;
  readonly rule?: string;
  readonly identifier?: string;
  readonly [key: string]: unknown;
}

export function storedFailure(kind: FailureKind, detail: string, extra: Omit<StoredFailure, 'type' | 'title' | 'detail'> = {}): StoredFailure {
  return { type: kind, title: failureKinds[kind].problem.title, detail, ...extra };
}

/** A stored `error.type` read back: a known kind, or `internal` for anything else (rows written before the table). */
export function failureKindOf(type: unknown): FailureKind {
  return isFailureKind(type) ? type : 'internal';
}
