/**
 * RFC 7807 problem documents: the only place where the REST door turns errors into HTTP (ARCHITECTURE.md
 * convention 7). Every kind of the one failure table (domain/errors.ts) has a stable `type` URI, `/problems/<kind>`,
 * its title and status from that table, and is documented at GET /problems/<kind>. Details that are HTTP headers
 * (`retryAfterSeconds` → Retry-After, RFC 9110 §10.2.3; `location` → Location) are sent as headers, not in the body.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CaError, failureKinds, isCaError, isFailureKind, type FailureKind } from '../domain/errors';

export const problemType = (kind: FailureKind): string => `/problems/${kind}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The problem document of an error, and the headers its details ask for. */
export function toProblem(err: CaError, instance?: string): { body: ProblemDocument; headers: Record<string, string> } {
  const { problem } = failureKinds[err.kind];
  const { retryAfterSeconds, location, ...extensions } = err.details;
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  if (location !== undefined) headers.location = location;
  return {
    body: { type: problemType(err.kind), title: problem.title, status: problem.status, detail: err.message, ...(instance ? { instance } : {}), ...extensions },
    headers,
  };
}

/** Any error as a problem response; anything that is not a CaError is `internal` (and was logged by the caller). */
export function problemResponse(c: Context, err: unknown): Response {
  const caErr = isCaError(err) ? err : new CaError('internal', 'internal error');
  const { body, headers } = toProblem(caErr, new URL(c.req.url).pathname);
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, { ...headers, 'content-type': 'application/problem+json' });
}

/** GET /problems/<kind>: the documentation of one kind of the table, or null for a name that is none. */
export function problemDocumentation(kind: string): { type: string; title: string; status: number; description: string } | null {
  if (!isFailureKind(kind)) return null;
  const { title, status, description } = failureKinds[kind].problem;
  return { type: problemType(kind), title, status, description };
}

/** The OpenAPI schema of a problem document, registered once for every route. */
export const Problem = z
  .object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() })
  .passthrough()
  .openapi('Problem');

/** OpenAPI `responses` entries for the problem statuses a route may answer. */
export const problemResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: 'Problem document (RFC 7807)', content: { 'application/problem+json': { schema: Problem } } }]));
