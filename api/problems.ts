/**
 * RFC 7807 problem documents: the only place where errors become HTTP (ARCHITECTURE.md convention 7).
 * Each error kind has a stable `type` URI, served as documentation at GET /problems/<kind>.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CaError, isCaError, type CaErrorKind } from '../domain/errors';

interface ProblemKindInfo {
  readonly status: ContentfulStatusCode;
  readonly title: string;
  readonly description: string;
}

export const problemKinds: Readonly<Record<CaErrorKind, ProblemKindInfo>> = {
  malformed: { status: 400, title: 'Malformed request', description: 'The request body or CSR could not be parsed.' },
  badCsr: { status: 400, title: 'Unacceptable CSR', description: 'The CSR parses but breaks a rule, e.g. its signature does not verify with its own key (proof of possession, CP 3.2.1).' },
  badPublicKey: { status: 400, title: 'Unacceptable public key', description: 'The key is not RSA 2048 (CP 6.1.5) or fails the BR 6.1.6 checks.' },
  rejectedIdentifier: { status: 400, title: 'Rejected identifier', description: 'A name in the CSR is not an acceptable FQDN for a publicly-trusted certificate (BR 7.1.4.2, 3.2.2.6).' },
  unsupportedProfile: { status: 400, title: 'Unsupported profile', description: 'The certificate profile is not offered.' },
  payloadTooLarge: { status: 413, title: 'Payload too large', description: 'The request body exceeds the size limit.' },
  unauthorized: { status: 401, title: 'Unauthorized', description: 'A valid API key is required (Authorization: Bearer <key>).' },
  notFound: { status: 404, title: 'Not found', description: 'No such resource for this account.' },
  conflict: { status: 409, title: 'Conflict', description: 'The resource is not in a state that allows this action.' },
  badRevocationReason: { status: 400, title: 'Revocation reason not accepted', description: 'The reason is not one of CP 7.2.3 (certificateHold is never used), or only the CA may choose it (privilegeWithdrawn, BR 7.2.2).' },
  validationFailed: { status: 403, title: 'Domain validation failed', description: 'The domain could not be validated.' },
  orderExpired: { status: 410, title: 'Order expired', description: 'The random values expired (CP 3.2.2.4: 25 days).' },
  serviceUnavailable: { status: 503, title: 'Service unavailable', description: 'A backing service is unavailable; nothing was stored. Retry later.' },
  internal: { status: 500, title: 'Internal error', description: 'An unexpected error occurred; it has been logged.' },
};

export const problemType = (kind: CaErrorKind): string => `/problems/${kind}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export function toProblem(err: CaError, instance?: string): ProblemDocument {
  const info = problemKinds[err.kind];
  return {
    type: problemType(err.kind),
    title: info.title,
    status: info.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...err.details,
  };
}

export function problemResponse(c: Context, err: unknown): Response {
  const caErr = isCaError(err) ? (err as CaError) : new CaError('internal', 'internal error');
  const body = toProblem(caErr, new URL(c.req.url).pathname);
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, { 'content-type': 'application/problem+json' });
}
