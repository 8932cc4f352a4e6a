/**
 * Renewal (CP 4.6: same key), re-key (CP 4.7: new key) and modification (CP 4.8: names other than the CN change) at the
 * REST door:
 *
 *   POST /v1/certificates/{serial}/renewals   {"acceptance": {…}, "csr"?: PEM, "revokePredecessor"?: true, "methods"?: […]}
 *
 * Without a CSR it is a renewal with the same key: the predecessor's CSR (whose proof of possession was verified, and
 * is verified again) is used once more. With a CSR, the key and names decide the kind (domain/renewal.ts); a new CN is
 * not a modification but a new application, refused. The order goes through the one order intake (order-intake.ts)
 * as any application does — step 1 again with policy(now), acceptance of the documents in force (CP 4.1.2) — linked
 * to its predecessor — an OV certificate's renewal with the predecessor's organization, whose vetted record is reused
 * while valid (BR 4.2.1). Its workflow reuses the validations policy(now) still allows (BR 4.2.1) and, once the new
 * certificate is issued, marks the predecessor superseded and sends the issuance notice (CP 4.3.2); the predecessor is
 * revoked (reason superseded) only when `revokePredecessor` asks for it. Who may renew: the certificate's account, or
 * the designated provider that relayed it (CP 3.4 (1)); anyone else gets 404, as for orders.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { activeRenewalOrder } from '../db/repositories/lifecycle';
import { getOrderDetail } from '../db/repositories/orders';
import { getRevocationFacts } from '../db/repositories/revocation';
import { CaError } from '../domain/errors';
import { classifyRenewal } from '../domain/renewal';
import { acceptApplication } from './accept';
import { Acceptance, acceptanceFromQuery, acceptanceQuery, requireAcceptance } from './acceptance';
import { readApplicationBody } from './application-body';
import { accountUri, applicationContext } from './applications';
import type { ApiDeps, ApiEnv } from './context';
import { submitOrder } from './order-intake';
import { Order, presentOrder } from './order-view';
import { ovOrganizationOf } from './ov-intake';
import { problemResponses } from './problems';
import { repositoryUrl } from './repository';

const CreateRenewal = z
  .object({
    csr: z.string().min(1).optional().openapi({ description: 'A new CSR (PEM or base64 DER): re-key (new key, CP 4.7) or modification (other names, same CN, CP 4.8). Absent: renewal with the same key (CP 4.6).' }),
    acceptance: Acceptance.optional(),
    revokePredecessor: z.boolean().optional().openapi({ description: 'Revoke the predecessor with reason superseded once the new certificate is issued (default: it stays valid until it expires)' }),
    methods: z.array(z.string()).optional().openapi({ description: 'As CreateOrder.methods, for names whose validation cannot be reused' }),
  })
  .openapi('CreateRenewal');

const SerialParam = z.object({ serial: z.string().regex(/^[0-9a-fA-F:]{1,64}$/).openapi({ param: { name: 'serial', in: 'path' } }) });


function readRenewalBody(req: Parameters<typeof readApplicationBody>[0]) {
  return readApplicationBody(
    req,
    CreateRenewal,
    (query, csr) => ({ csr, acceptance: acceptanceFromQuery(query), revokePredecessor: query('revokePredecessor') === 'true', methods: undefined }),
    'send application/json ({"acceptance": {…}, "csr"?: "<PEM>"}) or application/pkcs10 (DER, acceptance in the query)',
  );
}

export function renewalsApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>();

  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/v1/certificates/{serial}/renewals',
      summary: 'Renew (CP 4.6), re-key (CP 4.7) or modify (CP 4.8) a certificate: a new order linked to it',
      security: [{ bearer: [] }],
      request: {
        params: SerialParam,
        query: z.object({ ...acceptanceQuery, revokePredecessor: z.enum(['true', 'false']).optional().openapi({ description: 'application/pkcs10 only' }) }),
        body: {
          content: { 'application/json': { schema: CreateRenewal }, 'application/pkcs10': { schema: z.any().openapi({ type: 'string', format: 'binary' }) } },
          required: true,
        },
      },
      responses: { 201: { description: 'The renewal order', content: { 'application/json': { schema: Order } } }, ...problemResponses(400, 401, 403, 404, 409, 503) },
    }),
  );
  app.post('/v1/certificates/:serial{[0-9a-fA-F:]{1,64}}/renewals', async (c) => {
    const account = c.get('account');
    if (!account) throw new CaError('unauthorized', 'send Authorization: Bearer <API key>');
    const serial = c.req.param('serial').replace(/:/g, '');
    const body = await readRenewalBody(c.req);
    const now = deps.clock();
    const facts = await getRevocationFacts(deps.db, serial);
    if (!facts || (facts.accountId !== account.id && facts.providerAccountId !== account.id)) {
      throw new CaError('notFound', `no certificate ${serial} for this account`, { rule: 'CP 3.4 (1)' });
    }
    const predecessor = facts.certificate;
    if (predecessor.status !== 'issued' && predecessor.status !== 'revoked') {
      throw new CaError('conflict', `certificate ${predecessor.serial} was never issued: there is nothing to renew`, { rule: 'CP 4.6' });
    }
    const base = deps.config.api.publicBaseUrl;
    if (predecessor.supersededBy) {
      throw new CaError('alreadyReplaced', `certificate ${predecessor.serial} was already renewed by ${predecessor.supersededBy}; renew that one`, {
        rule: 'CP 4.6–4.8',
        location: `${base}/v1/certificates/${predecessor.supersededBy}`,
      });
    }
    const running = await activeRenewalOrder(deps.db, predecessor.serial);
    if (running) {
      throw new CaError('alreadyReplaced', `a renewal of certificate ${predecessor.serial} is under way: order ${running}`, { rule: 'CP 4.6–4.8', location: `${base}/v1/orders/${running}` });
    }
    const acceptance = requireAcceptance(body.acceptance, { now, channel: 'api', repositoryUrl: repositoryUrl(base) });
    const previous = await getOrderDetail(deps.db, predecessor.orderId);
    if (!previous) throw new CaError('invariantViolated', `the order of certificate ${predecessor.serial} is missing`);
    // OV (CP 3.2.2.1; BR 4.2.1): the renewal names the predecessor's organization. Its vetted record is reused while
    // valid at `now` (398 days; step 4 pins it); otherwise the order waits at step 4 for a vetting in progress, or,
    // with none, is refused here like any OV application (ov-intake.ts).
    const ov = await ovOrganizationOf(deps.db, { profile: previous.profile, organizationId: previous.organizationId ?? undefined, accountId: facts.accountId, now, mayWait: true });
    // CP 4.6 without a CSR: the same key, through the predecessor's CSR (an ACME order stored it at finalize).
    const csr = body.csr ?? previous.csrDer;
    const accepted = await acceptApplication({ csr, profile: previous.profile, methods: body.methods }, applicationContext(deps, now));
    const kind = classifyRenewal(
      { dnsNames: predecessor.dnsNames, spkiSha256Hex: facts.spkiSha256Hex },
      { dnsNames: accepted.dnsNames, spkiSha256Hex: Buffer.from(accepted.spkiSha256).toString('hex') },
    );
    if (!kind.ok) throw new CaError('badCsr', kind.reason, { rule: kind.rule });
    // The certificate's subscriber applies; a designated provider renewing it relays the application (CP 3.4 (1)).
    const applicant = { accountId: facts.accountId, providerAccountId: account.id === facts.accountId ? null : account.id };
    const order = await submitOrder(
      deps,
      { ...accepted, ...applicant, ...ov, acceptance, renewal: { predecessorSerial: predecessor.serial, kind: kind.kind, revokePredecessor: body.revokePredecessor ?? false } },
      { accountUri: accountUri(base, applicant.accountId), actor: `account:${account.id}` },
    );
    c.header('Location', `${base}/v1/orders/${order.id}`);
    return c.json(presentOrder(order, base), 201);
  });

  return app;
}
