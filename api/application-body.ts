/**
 * The body of an application at the REST door (POST /v1/orders, POST /v1/certificates/{serial}/renewals): JSON with the
 * CSR as PEM or base64 DER, or the CSR itself as DER (`application/pkcs10`) with the other fields in the query string.
 * Parsed by hand rather than by the OpenAPI validator so that every failure becomes a problem document (malformed).
 */
import type { z } from '@hono/zod-openapi';
import { CaError } from '../domain/errors';

export interface ApplicationRequest {
  header(name: string): string | undefined;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  query(name: string): string | undefined;
}

/** A zod failure as one malformed message: `path: issue; path: issue`. */
export function malformedBody(error: z.ZodError): CaError {
  return new CaError('malformed', error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
}

/**
 * The application's fields: from the JSON body (checked by `schema`), or — for application/pkcs10 — the DER CSR plus
 * what `fromQuery` reads from the query string. `hint` says what to send when the content type is neither.
 */
export async function readApplicationBody<T, D>(
  req: ApplicationRequest,
  schema: z.ZodType<T>,
  fromQuery: (query: (name: string) => string | undefined, csr: Uint8Array) => D,
  hint: string,
): Promise<T | D> {
  const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/pkcs10') return fromQuery((n) => req.query(n), new Uint8Array(await req.arrayBuffer()));
  if (type !== 'application/json') throw new CaError('malformed', hint);
  let json: unknown;
  try {
    json = JSON.parse(await req.text());
  } catch {
    throw new CaError('malformed', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw malformedBody(parsed.error);
  return parsed.data;
}
