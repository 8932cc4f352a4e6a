/**
 * The one renderer of ACME errors (RFC 8555 §6.7): whatever a handler throws becomes an `application/problem+json`
 * document whose `type` (`urn:ietf:params:acme:error:<type>`) and HTTP status come from the failure-kind table
 * (domain/errors.ts `failureKinds[kind].acme`). ACME code throws `CaError(kind, detail, details)` like every other
 * part of the CA; the details it may carry become document members (`subproblems` §6.7.1, `algorithms` §6.2,
 * `instance` §7.3.3, `rule`, `identifier`) or headers (`retryAfterSeconds` → Retry-After, `location` → Location,
 * `link` → Link, §7.3.3).
 * Stored order and challenge errors carry their kind as `type` and are rendered through the same table.
 */
import { failureKindOf, failureKinds, isCaError, type FailureKind } from '../../domain/errors';

export const acmeErrorUrn = (kind: FailureKind): string => `urn:ietf:params:acme:error:${failureKinds[kind].acme.type}`;

/** A per-identifier error of a compound refusal (RFC 8555 §6.7.1), as a thrower passes it in `details.subproblems`. */
export interface AcmeSubproblem {
  readonly kind: FailureKind;
  readonly detail: string;
  /** The FQDN (dns identifier) the subproblem concerns. */
  readonly identifier: string;
}

export interface AcmeProblemDocument {
  readonly type: string;
  readonly detail: string;
  readonly status: number;
  readonly subproblems?: ReadonlyArray<{ type: string; detail: string; identifier: { type: 'dns'; value: string } }>;
  readonly algorithms?: readonly string[];
  readonly instance?: string;
  readonly rule?: string;
  readonly identifier?: { type: 'dns'; value: string };
}

export interface RenderedAcmeProblem {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly document: AcmeProblemDocument;
}

const dns = (value: string) => ({ type: 'dns' as const, value });

function isSubproblem(x: unknown): x is AcmeSubproblem {
  const s = x as Partial<AcmeSubproblem> | null;
  return typeof s === 'object' && s !== null && typeof s.detail === 'string' && typeof s.identifier === 'string' && typeof s.kind === 'string';
}

/** Any thrown value as an RFC 8555 §6.7 problem; what is not a CaError is an internal error whose text stays private. */
export function renderAcmeProblem(err: unknown): RenderedAcmeProblem {
  if (!isCaError(err)) return { status: failureKinds.internal.acme.status, headers: {}, document: { type: acmeErrorUrn('internal'), detail: 'internal error', status: failureKinds.internal.acme.status } };
  const { status } = failureKinds[err.kind].acme;
  const d = err.details;
  const headers: Record<string, string> = {};
  if (typeof d.retryAfterSeconds === 'number') headers['Retry-After'] = String(d.retryAfterSeconds);
  if (typeof d.location === 'string') headers.Location = d.location;
  // RFC 8555 §7.3.3: userActionRequired carries a Link to the terms of service (rel="terms-of-service").
  if (typeof d.link === 'string') headers.Link = d.link;
  const subproblems = Array.isArray(d.subproblems) ? d.subproblems.filter(isSubproblem) : [];
  const algorithms = Array.isArray(d.algorithms) ? d.algorithms.filter((a): a is string => typeof a === 'string') : null;
  return {
    status,
    headers,
    document: {
      type: acmeErrorUrn(err.kind),
      detail: err.message,
      status,
      ...(subproblems.length > 0 ? { subproblems: subproblems.map((s) => ({ type: acmeErrorUrn(failureKindOf(s.kind)), detail: s.detail, identifier: dns(s.identifier) })) } : {}),
      ...(algorithms ? { algorithms } : {}),
      ...(typeof d.instance === 'string' ? { instance: d.instance } : {}),
      ...(typeof d.rule === 'string' ? { rule: d.rule } : {}),
      ...(typeof d.identifier === 'string' ? { identifier: dns(d.identifier) } : {}),
    },
  };
}

/**
 * An order's or challenge's stored error (its `type` is the failure kind, domain/errors.ts `storedFailure`) as the
 * `error` member of the ACME object (RFC 8555 §7.1.3, §7.1.5). A type that is not a kind (a row older than the table)
 * reads as serverInternal rather than being guessed from its text.
 */
export function acmeErrorOfStored(e: { readonly type: string; readonly detail?: string } | null | undefined, fallbackDetail: string): AcmeProblemDocument {
  const kind = failureKindOf(e?.type);
  return { type: acmeErrorUrn(kind), detail: e?.detail ?? fallbackDetail, status: failureKinds[kind].acme.status };
}
