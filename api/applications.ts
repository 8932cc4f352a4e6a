/**
 * Applications (orders) — the applicant's door. Bearer API key; an account sees only its own orders.
 * POST /v1/orders            submit a DV or OV application (CSR PEM/base64 DER in JSON, or DER as application/pkcs10),
 *                            stating acceptance of the terms, CP and CPS in force (CP 4.1.2, api/acceptance.ts);
 *                            a designated provider (CP 1.3, 3.4 (1)) relays for its subscriber with `onBehalfOf`;
 *                            an OV order (profile ov) names the subscriber's organization (`organizationId`)
 * GET  /v1/orders            the account's orders
 * GET  /v1/orders/{id}       status, challenges (TXT name and value), errors, certificate serial
 * POST /v1/orders/{id}/challenges/{challengeId}/ready   the record is published: check it (signals the workflow)
 * GET  /v1/orders/{id}/certificate   PEM chain (leaf + issuing CA), or the leaf in DER with Accept: application/pkix-cert;
 *                                    the first download is recorded as the certificate's acceptance (CP 4.4.1)
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getAccount } from '../db/repositories/accounts';
import { findBlockedKey } from '../db/repositories/blocklist';
import { getCertificateByOrder } from '../db/repositories/certificates';
import { recordCertificateAcceptance } from '../db/repositories/lifecycle';
import { requestEmailValidation } from '../db/repositories/email-validations';
import { getIssuer } from '../db/repositories/issuers';
import { getOrderDetail, listOrders } from '../db/repositories/orders';
import { constructedEmailAddresses } from '../domain/dcv';
import { CaError } from '../domain/errors';
import { registeredDomain } from '../domain/public-suffix';
import { toPem } from '../pki/pem';
import { acceptApplication, newRandomValue } from './accept';
import { Acceptance, acceptanceFromQuery, acceptanceQuery, requireAcceptance } from './acceptance';
import { readApplicationBody, type ApplicationRequest } from './application-body';
import { requireAccount, type ApiDeps, type ApiEnv } from './context';
import { submitOrder, workflowUnavailableRetryAfterSeconds } from './order-intake';
import { ovOrganizationOf } from './ov-intake';
import { Challenge, Order, presentChallengeOf, presentOrder } from './order-view';
import { problemResponses } from './problems';
import { repositoryUrl } from './repository';

const CreateOrder = z.object({
  csr: z.string().min(1).openapi({ description: 'PKCS#10 CSR, PEM or base64 DER' }),
  profile: z.string().default('dv').openapi({ example: 'dv', description: 'dv, or ov (then organizationId is required)' }),
  organizationId: z.string().min(1).optional().openapi({
    description: 'OV (CP 7.1.1): the applicant\'s organization (POST /v1/organizations). The subject\'s C, ST, L and O come from its vetted record; the order waits (step 4) while its vetting is in progress and fails as organizationNotVetted if the vetting is rejected or expires.',
    format: 'uuid',
  }),
  methods: z.array(z.string()).optional().openapi({
    description: 'The validation methods (CP 3.2.2.4) to offer besides dns-01, by the labels the Challenge `type` shows (e.g. ["web-file"]); a prohibited one (3.2.2.4.2) is refused',
    example: ['dns-01', 'web-file'],
  }),
  onBehalfOf: z.string().min(1).optional().openapi({
    description:
      'Designated providers (CP 1.3, 3.4 (1)): the id of a subscriber account this provider manages; the order then belongs to that ' +
      'subscriber and records the provider as its relay (both can read it; the provider may request revocation, CP 4.9.2). ' +
      'Only a provider account may send it, and only for its own subscribers: anything else is a 404 notFound problem, ' +
      'which does not reveal whether the account exists. With application/pkcs10, send it as the query parameter onBehalfOf.',
    format: 'uuid',
  }),
  acceptance: Acceptance.optional(),
}).openapi('CreateOrder');

const IdParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const ChallengeParam = IdParam.extend({ challengeId: z.string().uuid().openapi({ param: { name: 'challengeId', in: 'path' } }) });

const security = [{ bearer: [] }];

/** POST /v1/orders: the JSON body, or the DER CSR with `profile`, `onBehalfOf` and the acceptance in the query. */
function readCreateOrderBody(req: ApplicationRequest) {
  return readApplicationBody(
    req,
    CreateOrder,
    (query, csr) => ({ csr, profile: query('profile') ?? 'dv', methods: undefined, onBehalfOf: query('onBehalfOf'), organizationId: query('organizationId'), acceptance: acceptanceFromQuery(query) }),
    'send application/json ({"csr": "<PEM>", "profile": "dv", "acceptance": {…}}) or application/pkcs10 (DER)',
  );
}

/**
 * Designated providers (CP 1.3 指定事業者, 3.4 (1)): whose application this is. Without `onBehalfOf`, the caller's own.
 * With it, the caller must be a provider account and the named account an active subscriber it manages
 * (accounts.provider_account_id); the order then belongs to the subscriber and records the provider as its relay.
 * Every refusal is the same 404 notFound: a 403 would confirm to any caller that the account id exists.
 */
export async function resolveApplicant(
  db: ApiDeps['db'],
  caller: { id: string; kind: 'subscriber' | 'provider' },
  onBehalfOf: string | undefined,
): Promise<{ accountId: string; providerAccountId: string | null }> {
  if (onBehalfOf === undefined) return { accountId: caller.id, providerAccountId: null };
  const subscriber = caller.kind === 'provider' ? await getAccount(db, onBehalfOf) : null;
  if (!subscriber || subscriber.kind !== 'subscriber' || subscriber.status !== 'active' || subscriber.providerAccountId !== caller.id) {
    throw new CaError('notFound', `no subscriber account ${onBehalfOf} managed by this account`, { rule: 'CP 1.3, 3.4 (1)' });
  }
  return { accountId: subscriber.id, providerAccountId: caller.id };
}

/** What step 1 (api/accept.ts) needs from the REST door: the blocklist and the methods this deployment offers. */
export function applicationContext(deps: Pick<ApiDeps, 'db' | 'config'>, now: Date): Parameters<typeof acceptApplication>[1] {
  return {
    now,
    config: deps.config,
    findBlockedKey: (k) => findBlockedKey(deps.db, k),
    emailMethod: deps.config.smtp.url !== null,
    registrarDomains: deps.config.registrar.domains,
  };
}

/** RFC 8657 §3: the URI identifying the applicant's account at this CA, as CAA `accounturi` names it. */
export function accountUri(baseUrl: string, accountId: string): string {
  return `${baseUrl}/v1/accounts/${accountId}`;
}

export function applicationsApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      // A path id that is not a UUID names no order of this account: 404, like any unknown id.
      if (result.target === 'param') throw new CaError('notFound', 'no such order or challenge for this account');
      throw new CaError('malformed', result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    },
  });
  app.use('/v1/*', requireAccount(deps));

  // Documented in the OpenAPI registry but parsed by hand: the body is JSON or raw DER (application/pkcs10), and
  // every parse failure must become a problem document rather than the validator's default answer.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/v1/orders',
      summary: 'Submit a DV or OV certificate application',
      security,
      request: {
        query: z.object({
          profile: z.string().optional().openapi({ description: 'application/pkcs10 only: the profile (default dv)' }),
          organizationId: z.string().optional().openapi({ description: 'application/pkcs10 only: as CreateOrder.organizationId', format: 'uuid' }),
          onBehalfOf: z.string().optional().openapi({ description: 'application/pkcs10 only: as CreateOrder.onBehalfOf', format: 'uuid' }),
        }),
        body: {
          content: {
            'application/json': { schema: CreateOrder },
            'application/pkcs10': { schema: z.any().openapi({ type: 'string', format: 'binary' }) },
          },
          required: true,
        },
      },
      responses: { 201: { description: 'Order created', content: { 'application/json': { schema: Order } } }, ...problemResponses(400, 401, 403, 404, 413, 503) },
    }),
  );
  app.post('/v1/orders', async (c) => {
      const account = c.get('account');
      const body = await readCreateOrderBody(c.req);
      // Designated providers: refused before the CSR is even parsed, so a refusal costs nothing and stores nothing.
      const applicant = await resolveApplicant(deps.db, account, body.onBehalfOf);
      const now = deps.clock();
      // CP 4.1.2: the terms, CP and CPS in force are accepted, or nothing is parsed or stored.
      const acceptance = requireAcceptance(body.acceptance, { now, channel: 'api', repositoryUrl: repositoryUrl(deps.config.api.publicBaseUrl) });
      // OV: the subscriber's organization, vetted or being vetted (api/ov-intake.ts).
      const ov = await ovOrganizationOf(deps.db, { profile: body.profile, organizationId: body.organizationId, accountId: applicant.accountId, now, mayWait: true });
      const accepted = await acceptApplication(body, applicationContext(deps, now));
      const order = await submitOrder(deps, { ...accepted, ...applicant, ...ov, acceptance }, {
        // The order's account (the subscriber, when a provider relays): the applicant CAA accounturi names. An
        // identifier applicants write into CAA records, not a link: it keeps the public base, not the https one.
        accountUri: accountUri(deps.config.api.publicBaseUrl, applicant.accountId),
        actor: `account:${account.id}`,
      });
      c.header('Location', `${deps.config.api.url}/v1/orders/${order.id}`);
      return c.json(presentOrder(order, deps.config.api.url), 201);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders',
      summary: "List the account's orders (a designated provider: also those it relayed for its subscribers)",
      security,
      responses: { 200: { description: 'Orders', content: { 'application/json': { schema: z.object({ orders: z.array(z.object({ id: z.string(), status: z.string(), dnsNames: z.array(z.string()), createdAt: z.string(), accountId: z.string(), providerAccountId: z.string().nullable() })) }) } } }, ...problemResponses(401) },
    }),
    async (c) => {
      const rows = await listOrders(deps.db, c.get('account').id);
      return c.json({ orders: rows.map((o) => ({ id: o.id, status: o.status, dnsNames: o.dnsNames, createdAt: o.createdAt.toISOString(), accountId: o.accountId, providerAccountId: o.providerAccountId ?? null })) }, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}',
      summary: 'Read an order',
      security,
      request: { params: IdParam },
      responses: { 200: { description: 'The order', content: { 'application/json': { schema: Order } } }, ...problemResponses(401, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const o = await getOrderDetail(deps.db, id, c.get('account').id);
      if (!o) throw new CaError('notFound', `no order ${id} for this account`);
      return c.json(presentOrder(o, deps.config.api.url), 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/challenges/{challengeId}/ready',
      summary: 'Tell the CA the TXT record is published: the workflow checks it (with retries and backoff)',
      security,
      request: { params: ChallengeParam },
      responses: { 202: { description: 'The check is scheduled', content: { 'application/json': { schema: Challenge } } }, ...problemResponses(401, 404, 409, 503) },
    }),
    async (c) => {
      const { id, challengeId } = c.req.valid('param');
      const o = await getOrderDetail(deps.db, id, c.get('account').id);
      const authz = o?.authorizations.find((a) => a.challenges.some((x) => x.id === challengeId));
      const ch = authz?.challenges.find((x) => x.id === challengeId);
      if (!o || !authz || !ch) throw new CaError('notFound', `no challenge ${challengeId} in order ${id} for this account`);
      if (o.status !== 'pending' || (ch.status !== 'pending' && ch.status !== 'processing')) {
        throw new CaError('conflict', `the challenge is ${ch.status} and the order ${o.status}`);
      }
      if (ch.expiresAt.getTime() <= deps.clock().getTime()) throw new CaError('orderExpired', 'the random value has expired (CP 3.2.2.4: 25 days)');
      if (ch.method === '3.2.2.4.4') {
        // CP 3.2.2.4.4: "ready" names the constructed address to write to; each e-mail gets its own random value.
        const fqdn = authz.fqdn;
        let email: unknown;
        try {
          email = (JSON.parse((await c.req.text()) || '{}') as { email?: unknown }).email;
        } catch {
          throw new CaError('malformed', 'the body is not valid JSON');
        }
        const allowed = constructedEmailAddresses(fqdn, registeredDomain(fqdn));
        if (typeof email !== 'string' || !allowed.includes(email.toLowerCase())) {
          throw new CaError('malformed', `send {"email": one of ${allowed.join(', ')}}`, { rule: 'CP 3.2.2.4.4', identifier: fqdn });
        }
        await requestEmailValidation(deps.db, {
          orderId: id,
          challengeId,
          accountId: c.get('account').id,
          address: email.toLowerCase(),
          token: newRandomValue(),
          expiresAt: ch.expiresAt,
        });
      }
      try {
        await deps.workflows.signalChallengeReady(id, challengeId);
      } catch {
        throw new CaError('serviceUnavailable', 'the workflow service is unavailable; retry later', { retryAfterSeconds: workflowUnavailableRetryAfterSeconds });
      }
      return c.json({ ...presentChallengeOf(o, challengeId)!, status: 'processing' }, 202) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}/certificate',
      summary: 'Download the certificate: PEM chain (leaf, issuing CA) or DER leaf with Accept: application/pkix-cert',
      security,
      request: { params: IdParam },
      responses: {
        200: { description: 'The certificate', content: { 'application/pem-certificate-chain': { schema: z.string() }, 'application/pkix-cert': { schema: z.any() } } },
        ...problemResponses(401, 404, 409),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const o = await getOrderDetail(deps.db, id, c.get('account').id);
      if (!o) throw new CaError('notFound', `no order ${id} for this account`);
      const cert = o.certificate ? await getCertificateByOrder(deps.db, id) : null;
      const certDer = cert?.certDer;
      if (!cert || !certDer) throw new CaError('conflict', `the order is ${o.status}: no certificate yet`);
      // CP 4.4.1: the first download is the subscriber's acceptance of the certificate.
      await recordCertificateAcceptance(deps.db, { serial: cert.serial, via: 'api', actor: `account:${c.get('account').id}`, at: deps.clock() });
      if ((c.req.header('accept') ?? '').includes('application/pkix-cert')) {
        return c.body(certDer as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/pkix-cert' }) as never;
      }
      const issuer = await getIssuer(deps.db, cert.issuerId);
      const chain = toPem('CERTIFICATE', certDer) + (issuer?.certDer ? toPem('CERTIFICATE', issuer.certDer) : '');
      return c.body(chain, 200, { 'content-type': 'application/pem-certificate-chain' }) as never;
    },
  );

  return app;
}
