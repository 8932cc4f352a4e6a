/**
 * One error type with a closed set of kinds (ARCHITECTURE.md convention 7, after Boulder's errors/).
 * Pure: workflows and activities throw it; only the API renders it as an RFC 7807 problem document, and
 * activities turn policy kinds into non-retryable ApplicationFailures.
 */
export const caErrorKinds = [
  'malformed', // the request cannot be parsed (garbage CSR, bad JSON)
  'badCsr', // a CSR that parses but breaks a rule (signature, attributes)
  'badPublicKey', // CP 6.1.5 / BR 6.1.6: key type, size, exponent, weak keys
  'rejectedIdentifier', // name policy: invalid FQDN, wildcard placement, duplicates, prohibited names
  'unsupportedProfile',
  'payloadTooLarge',
  'unauthorized', // missing or wrong API key
  'notFound', // unknown order/certificate, or one that belongs to another account
  'conflict', // wrong state for the requested transition
  'badRevocationReason', // a reason this CA does not use or this requester may not choose (CP 7.2.3, BR 7.2.2)
  'validationFailed', // DCV did not succeed
  'orderExpired',
  'serviceUnavailable', // Temporal/DB down: retry later, nothing was stored
  'internal',
] as const;

export type CaErrorKind = (typeof caErrorKinds)[number];

export interface CaErrorDetails {
  /** The CP/BR/RFC rule the refusal enforces, e.g. "CP 6.1.5". */
  readonly rule?: string;
  /** The FQDN the refusal concerns, when there is one. */
  readonly identifier?: string;
  readonly [key: string]: unknown;
}

export class CaError extends Error {
  override readonly name = 'CaError';
  constructor(
    readonly kind: CaErrorKind,
    message: string,
    readonly details: CaErrorDetails = {},
  ) {
    super(message);
  }
}

export function isCaError(e: unknown): e is CaError {
  return e instanceof CaError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'CaError');
}
