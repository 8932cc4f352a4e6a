/**
 * CP 4.1.2 at the REST door: an application (a new order, a renewal) states that the applicant accepts the terms, the
 * CP and the CPS in the versions in force (domain/repository-documents.ts); otherwise it is refused as
 * `userActionRequired`, naming the versions to accept and where to read them. The accepted versions are stored with
 * the order. As JSON: `"acceptance": {"terms": "1.0", "cp": "3.40", "cps": "1.0"}`; with application/pkcs10 the query
 * parameters `acceptTerms`, `acceptCp`, `acceptCps`.
 */
import { z } from '@hono/zod-openapi';
import { CaError } from '../domain/errors';
import { checkAcceptance, type AcceptanceRecord, type DocumentCatalog } from '../domain/repository-documents';
import type { AcceptanceChannel } from '../domain/statuses';

// Each member is optional to the parser so that a missing one is refused by the rule (userActionRequired, naming what
// to accept), not as a malformed body.
export const Acceptance = z
  .object({
    terms: z.string().optional().openapi({ example: '1.0' }),
    cp: z.string().optional().openapi({ example: '3.40' }),
    cps: z.string().optional().openapi({ example: '1.0' }),
  })
  .openapi('Acceptance', {
    description:
      'CP 4.1.2: the versions of the subscriber terms, the CP and the CPS the applicant accepts — those in force, listed as `current` by GET /repository/documents.json. All three are required: an application without them, or naming other versions, is refused with 403 /problems/userActionRequired.',
  });

/** The OpenAPI description of the three query parameters (application/pkcs10 requests). */
export const acceptanceQuery = {
  acceptTerms: z.string().optional().openapi({ description: 'application/pkcs10 only: Acceptance.terms' }),
  acceptCp: z.string().optional().openapi({ description: 'application/pkcs10 only: Acceptance.cp' }),
  acceptCps: z.string().optional().openapi({ description: 'application/pkcs10 only: Acceptance.cps' }),
};

/** The acceptance of an application/pkcs10 request, from its query parameters (absent when none is given). */
export function acceptanceFromQuery(query: (name: string) => string | undefined): Record<string, string> | undefined {
  const stated = { terms: query('acceptTerms'), cp: query('acceptCp'), cps: query('acceptCps') };
  if (Object.values(stated).every((v) => v === undefined)) return undefined;
  return Object.fromEntries(Object.entries(stated).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The acceptance record to store, or the refusal (userActionRequired) naming the versions in force. */
export function requireAcceptance(
  stated: unknown,
  ctx: { now: Date; channel: AcceptanceChannel; repositoryUrl: string; catalog?: DocumentCatalog },
): AcceptanceRecord {
  const check = checkAcceptance(stated, ctx.now, ctx.catalog);
  if (!check.ok) {
    throw new CaError('userActionRequired', check.reason, { rule: check.rule, current: check.current, documents: `${ctx.repositoryUrl}/documents.json` });
  }
  return { ...check.accepted, acceptedAt: ctx.now.toISOString(), channel: ctx.channel };
}
