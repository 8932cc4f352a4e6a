/**
 * ACME errors (RFC 8555 §6.7; RFC 9773 §7.4 alreadyReplaced): every failure of the ACME server is an
 * `application/problem+json` document whose `type` is `urn:ietf:params:acme:error:<type>`. CaErrors raised by the
 * shared code (api/accept.ts, the repositories) are translated here, once.
 */
import { CaError, isCaError, type CaErrorKind } from '../../domain/errors';

/** RFC 8555 §6.7 (and RFC 9773) error types with the HTTP status this server answers them with. */
export const acmeErrorTypes = {
  accountDoesNotExist: 400,
  alreadyReplaced: 409,
  alreadyRevoked: 400,
  badCSR: 400,
  badNonce: 400,
  badPublicKey: 400,
  badRevocationReason: 400,
  badSignatureAlgorithm: 400,
  caa: 403,
  compound: 403,
  connection: 400,
  dns: 400,
  externalAccountRequired: 400,
  incorrectResponse: 403,
  invalidContact: 400,
  /** draft-ietf-acme-profiles: a profile the server does not offer. */
  invalidProfile: 400,
  malformed: 400,
  orderNotReady: 403,
  rateLimited: 429,
  rejectedIdentifier: 400,
  serverInternal: 500,
  tls: 400,
  unauthorized: 403,
  unsupportedContact: 400,
  unsupportedIdentifier: 400,
  userActionRequired: 403,
} as const;

export type AcmeErrorType = keyof typeof acmeErrorTypes;

export const acmeErrorUrn = (type: AcmeErrorType): string => `urn:ietf:params:acme:error:${type}`;

export interface AcmeProblemDocument {
  type: string;
  detail: string;
  status: number;
  subproblems?: Array<{ type: string; detail: string; identifier?: { type: 'dns'; value: string } }>;
  [extension: string]: unknown;
}

export class AcmeProblem extends Error {
  override readonly name = 'AcmeProblem';
  constructor(
    readonly type: AcmeErrorType,
    detail: string,
    readonly extra: { status?: number; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
  }

  get status(): number {
    return this.extra.status ?? acmeErrorTypes[this.type];
  }

  toDocument(): AcmeProblemDocument {
    const { status: _s, headers: _h, ...rest } = this.extra;
    return { type: acmeErrorUrn(this.type), detail: this.message, status: this.status, ...rest };
  }
}

/** How the shared CaError kinds read in ACME (status codes follow RFC 8555 and Boulder's web/probs.go). */
const fromCaKind: Readonly<Record<CaErrorKind, { type: AcmeErrorType; status?: number }>> = {
  malformed: { type: 'malformed' },
  badCsr: { type: 'badCSR' },
  badPublicKey: { type: 'badPublicKey' },
  rejectedIdentifier: { type: 'rejectedIdentifier' },
  unsupportedProfile: { type: 'invalidProfile' },
  payloadTooLarge: { type: 'malformed', status: 413 },
  unauthorized: { type: 'unauthorized' },
  notFound: { type: 'malformed', status: 404 },
  conflict: { type: 'malformed', status: 409 },
  badRevocationReason: { type: 'badRevocationReason' }, // issue #5 (domain/revocation.ts)
  validationFailed: { type: 'incorrectResponse' },
  orderExpired: { type: 'malformed', status: 410 },
  serviceUnavailable: { type: 'serverInternal', status: 503 },
  internal: { type: 'serverInternal' },
};

export function toAcmeProblem(err: unknown): AcmeProblem {
  if (err instanceof AcmeProblem) return err;
  if (isCaError(err)) {
    const e = err as CaError;
    const m = fromCaKind[e.kind];
    const { rule, identifier, acmeType } = e.details;
    // A repository may name the precise ACME type (e.g. orderNotReady for a finalize of an order in the wrong state).
    const type = typeof acmeType === 'string' && acmeType in acmeErrorTypes ? (acmeType as AcmeErrorType) : m.type;
    return new AcmeProblem(type, e.message, {
      ...(m.status && type === m.type ? { status: m.status } : {}),
      ...(rule ? { rule } : {}),
      ...(identifier ? { identifier: { type: 'dns', value: String(identifier) } } : {}),
    });
  }
  return new AcmeProblem('serverInternal', 'internal error');
}
