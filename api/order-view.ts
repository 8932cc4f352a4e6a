/**
 * The REST door's view of an order (`Order` in the OpenAPI document): one presenter from the one stored order type
 * (`OrderDetail`, db/repositories/orders.ts). Pure: no reads — the route read the order once and passes it in.
 */
import { z } from '@hono/zod-openapi';
import type { OrderDetail } from '../db/repositories/orders';
import { constructedEmailAddresses, dcvMethods, type DcvMethodId } from '../domain/dcv';
import { dcvMethodIds } from '../domain/policy';
import { registeredDomain } from '../domain/public-suffix';

export const Challenge = z
  .object({
    id: z.string().uuid(),
    method: z.string().openapi({ example: '3.2.2.4.7' }),
    type: z.string().openapi({ example: 'dns-01', description: 'The method’s label; the same label is accepted in CreateOrder.methods' }),
    status: z.string(),
    recordName: z.string().nullable().openapi({ description: 'dns-01 (3.2.2.4.7): publish a TXT record here' }),
    emailAddresses: z.array(z.string()).nullable().openapi({ description: 'email (3.2.2.4.4): the constructed addresses; POST ready with {"email": <one of them>}' }),
    url: z.string().nullable().openapi({ description: 'web-file (3.2.2.4.18): serve recordValue at this URL (http, port 80; redirects to https:443 allowed)' }),
    recordValue: z.string().openapi({ description: 'The random value to publish' }),
    expiresAt: z.string(),
    validatedAt: z.string().nullable(),
    error: z.any().nullable(),
  })
  .openapi('Challenge');

export const Order = z
  .object({
    id: z.string().uuid(),
    status: z.enum(['pending', 'ready', 'processing', 'valid', 'invalid', 'expired']),
    profile: z.string(),
    dnsNames: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string(),
    error: z.any().nullable(),
    authorizations: z.array(z.object({ fqdn: z.string(), wildcard: z.boolean(), status: z.string(), challenges: z.array(Challenge) })),
    certificate: z.object({ serial: z.string(), status: z.string(), notBefore: z.string(), notAfter: z.string(), url: z.string().nullable() }).nullable(),
    workflowId: z.string(),
    accountId: z.string().uuid().openapi({ description: 'The subscriber account the order belongs to' }),
    providerAccountId: z.string().uuid().nullable().openapi({ description: 'Designated providers (CP 3.4 (1)): the provider that relayed it, else null' }),
    organizationId: z.string().uuid().nullable().openapi({ description: 'OV: the organization the subject comes from, else null' }),
    renewal: z
      .object({
        kind: z.enum(['renewal', 'rekey', 'modification']).openapi({ description: 'CP 4.6 renewal (same key), 4.7 re-key, 4.8 modification' }),
        predecessor: z.string().openapi({ description: 'The serial of the certificate it renews; superseded once this order’s certificate is issued' }),
        revokePredecessor: z.boolean(),
      })
      .nullable()
      .openapi({ description: 'Set for an order made by POST /v1/certificates/{serial}/renewals' }),
    acceptance: z
      .object({ terms: z.string(), cp: z.string(), cps: z.string(), acceptedAt: z.string() })
      .nullable()
      .openapi({ description: 'CP 4.1.2: the versions of the terms, CP and CPS the applicant accepted' }),
  })
  .openapi('Order');

export type OrderView = z.infer<typeof Order>;
export type ChallengeView = z.infer<typeof Challenge>;

/**
 * The challenge `type` the REST view shows: the method's API label from the one DCV method table (domain/dcv.ts),
 * which a client may send back in CreateOrder.methods (parseDcvMethod reads it).
 */
export function challengeType(method: string): string {
  return (dcvMethodIds as readonly string[]).includes(method) ? dcvMethods[method as DcvMethodId].apiLabel : method;
}

function presentChallenge(a: OrderDetail['authorizations'][number], c: OrderDetail['authorizations'][number]['challenges'][number]): ChallengeView {
  return {
    id: c.id,
    method: c.method,
    type: challengeType(c.method),
    status: c.status,
    recordName: c.method === '3.2.2.4.7' ? c.recordName : null,
    url: c.method === '3.2.2.4.18' ? `http://${a.fqdn}${c.recordName}` : null,
    emailAddresses: c.method === '3.2.2.4.4' ? constructedEmailAddresses(a.fqdn, registeredDomain(a.fqdn)) : null,
    recordValue: c.token,
    expiresAt: c.expiresAt.toISOString(),
    validatedAt: c.validatedAt?.toISOString() ?? null,
    error: c.error ?? null,
  };
}

export function presentOrder(o: OrderDetail, baseUrl: string): OrderView {
  return {
    id: o.id,
    status: o.status,
    profile: o.profile,
    dnsNames: o.dnsNames,
    createdAt: o.createdAt.toISOString(),
    expiresAt: o.expiresAt.toISOString(),
    error: o.error ?? null,
    workflowId: o.workflowId,
    accountId: o.accountId,
    providerAccountId: o.providerAccountId ?? null,
    organizationId: o.organizationId ?? null,
    renewal: o.predecessorSerial && o.renewalKind ? { kind: o.renewalKind, predecessor: o.predecessorSerial, revokePredecessor: o.revokePredecessor } : null,
    acceptance: o.acceptance ? { terms: o.acceptance.terms, cp: o.acceptance.cp, cps: o.acceptance.cps, acceptedAt: o.acceptance.acceptedAt } : null,
    authorizations: o.authorizations.map((a) => ({
      fqdn: a.fqdn,
      wildcard: a.wildcard,
      status: a.status,
      challenges: a.challenges.map((c) => presentChallenge(a, c)),
    })),
    certificate: o.certificate
      ? {
          serial: o.certificate.serial,
          status: o.certificate.status,
          notBefore: o.certificate.notBefore.toISOString(),
          notAfter: o.certificate.notAfter.toISOString(),
          url: o.certificate.status === 'issued' || o.certificate.status === 'revoked' ? `${baseUrl}/v1/orders/${o.id}/certificate` : null,
        }
      : null,
  };
}

/** One challenge of the order as the view shows it (POST .../ready answers with it), or undefined. */
export function presentChallengeOf(o: OrderDetail, challengeId: string): ChallengeView | undefined {
  for (const a of o.authorizations) {
    const c = a.challenges.find((x) => x.id === challengeId);
    if (c) return presentChallenge(a, c);
  }
  return undefined;
}
