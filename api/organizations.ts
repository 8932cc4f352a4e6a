/**
 * Organizations to vet for OV certificates — the applicant's (or its designated provider's) door (CP 3.2.2.1–3.2.2.3,
 * 3.2.5, 4.1.1). Bearer API key, like orders.
 * POST /v1/organizations                 register an organization; its vetting workflow starts at once
 * GET  /v1/organizations                 the account's organizations
 * GET  /v1/organizations/{id}            the organization, its latest vetting and its valid vetted record
 * POST /v1/organizations/{id}/documents  an official document (PDF/PNG/JPEG ≤ 5 MB, typed by content) for the agent
 * Bad input (a wrong check digit, an address outside Japan, a missing field) is a 400 problem and stores nothing.
 */
import { createHash } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { getOrganization, latestVetting, listOrganizations, registerOrganization, storeDocument, withdrawRegistration, type Organization } from '../db/repositories/organizations';
import { validVettedRecord } from '../db/repositories/vetted-organizations';
import { checkCorporateNumber } from '../domain/corporate-number';
import { maxDocumentBytes, sniffDocumentType } from '../domain/documents';
import { CaError } from '../domain/errors';
import { isFinalVettingStatus, isPrefecture, MAX_LOCALITY_LENGTH, MAX_ORGANIZATION_NAME_LENGTH, vettingClocks } from '../domain/vetting';
import { resolveApplicant } from './applications';
import type { ApiDeps, ApiEnv } from './context';
import { workflowUnavailableRetryAfterSeconds } from './order-intake';
import { problemResponses } from './problems';

const text = (max: number) => z.string().trim().min(1).max(max);

const RegisterOrganization = z
  .object({
    legalName: text(MAX_ORGANIZATION_NAME_LENGTH).openapi({ description: 'The legal name as registered (Japanese); BR 7.1.4.2: O ≤ 64 characters', example: '株式会社テスト商事' }),
    englishName: text(MAX_ORGANIZATION_NAME_LENGTH).optional(),
    corporateNumber: z.string().optional().openapi({ description: '法人番号, 13 digits (check digit verified)', example: '7000012050002' }),
    noLegalPersonality: z.literal(true).optional().openapi({ description: 'An organization without legal personality (no corporate number): vetted from documents' }),
    address: z.object({
      country: z.string().openapi({ description: 'CP 4.1.1: JP (an office in Japan)', example: 'JP' }),
      prefecture: text(MAX_LOCALITY_LENGTH).openapi({ description: 'The head office’s prefecture (subject ST)', example: '東京都' }),
      city: text(MAX_LOCALITY_LENGTH).openapi({ description: 'The city, ward, town or village (subject L)', example: '千代田区' }),
      street: text(200).openapi({ example: '永田町1丁目10番1号' }),
      postalCode: z.string().regex(/^[0-9]{3}-?[0-9]{4}$/).optional(),
    }),
    telephone: z.string().regex(/^\+?[0-9][0-9 ()-]{7,20}$/).openapi({ example: '03-1234-5678' }),
    representative: z.object({ name: text(100), title: text(100), email: z.string().email().max(254) }),
    onBehalfOf: z.string().min(1).optional().openapi({ description: 'Designated providers: the subscriber this organization belongs to', format: 'uuid' }),
  })
  .openapi('RegisterOrganization');

const IdParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const security = [{ bearer: [] }];

/** The domain rules zod cannot say (CP 3.2.2.1 check digit, CP 4.1.1 an office in Japan), each a 400 naming its rule. */
function checkRegistration(body: z.infer<typeof RegisterOrganization>): { corporateNumber: string | null } {
  if (body.address.country !== 'JP') throw new CaError('malformed', `country ${body.address.country}: OV applicants have an office in Japan (JP)`, { rule: 'CP 4.1.1' });
  if (!isPrefecture(body.address.prefecture)) throw new CaError('malformed', `${body.address.prefecture} is not a Japanese prefecture`, { rule: 'CP 4.1.1, 7.1.1 (ST)' });
  if ((body.corporateNumber === undefined) === (body.noLegalPersonality === undefined)) {
    throw new CaError('malformed', 'send either corporateNumber or noLegalPersonality: true', { rule: 'CP 3.2.2.1' });
  }
  if (body.corporateNumber === undefined) return { corporateNumber: null };
  const n = checkCorporateNumber(body.corporateNumber);
  if (!n.ok) throw new CaError('malformed', `corporateNumber: ${n.reason}`, { rule: 'CP 3.2.2.1 (法人番号 check digit)' });
  return { corporateNumber: n.number };
}

async function presentOrganization(deps: ApiDeps, org: Organization) {
  const vetting = await latestVetting(deps.db, org.id);
  const record = await validVettedRecord(deps.db, org.id, deps.clock());
  return {
    id: org.id,
    accountId: org.accountId,
    providerAccountId: org.providerAccountId,
    legalName: org.legalName,
    englishName: org.englishName,
    corporateNumber: org.corporateNumber,
    noLegalPersonality: org.noLegalPersonality,
    address: { country: org.country, prefecture: org.prefecture, city: org.city, street: org.street, postalCode: org.postalCode },
    telephone: org.telephone,
    representative: { name: org.representativeName, title: org.representativeTitle, email: org.representativeEmail },
    createdAt: org.createdAt.toISOString(),
    vetting: vetting && { id: vetting.id, status: vetting.status, workflowId: vetting.workflowId, expiresAt: vetting.expiresAt.toISOString(), decidedAt: vetting.decidedAt?.toISOString() ?? null },
    vettedRecord: record && {
      id: record.id,
      subject: { C: record.country, ST: record.stateOrProvince, L: record.locality, O: record.organizationName },
      source: record.source,
      validFrom: record.validFrom.toISOString(),
      validUntil: record.validUntil.toISOString(),
    },
  };
}

export function organizationsApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      if (result.target === 'param') throw new CaError('notFound', 'no such organization for this account');
      throw new CaError('malformed', result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    },
  });
  // Authentication: the /v1 API-key middleware of applicationsApp, mounted before this app (api/app.ts).

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/organizations',
      summary: 'Register an organization for OV vetting (its vetOrganization workflow starts at once)',
      security,
      request: { body: { content: { 'application/json': { schema: RegisterOrganization } }, required: true } },
      responses: { 201: { description: 'Registered; the vetting runs' }, ...problemResponses(400, 401, 404, 503) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const applicant = await resolveApplicant(deps.db, c.get('account'), body.onBehalfOf);
      const { corporateNumber } = checkRegistration(body);
      const actor = `account:${c.get('account').id}`;
      const now = deps.clock();
      const { organization, vetting } = await registerOrganization(deps.db, {
        organization: {
          accountId: applicant.accountId,
          providerAccountId: applicant.providerAccountId,
          legalName: body.legalName,
          englishName: body.englishName ?? null,
          corporateNumber,
          noLegalPersonality: corporateNumber === null,
          country: 'JP',
          prefecture: body.address.prefecture.normalize('NFKC'),
          city: body.address.city,
          street: body.address.street,
          postalCode: body.address.postalCode ?? null,
          telephone: body.telephone,
          representativeName: body.representative.name,
          representativeTitle: body.representative.title,
          representativeEmail: body.representative.email,
        },
        vettingExpiresAt: new Date(now.getTime() + vettingClocks.applicationExpirySeconds * 1000),
        actor,
      });
      try {
        await deps.workflows.startVetting({ vettingId: vetting.id, organizationId: organization.id, corporateNumber, organizationName: organization.legalName });
      } catch (err) {
        await withdrawRegistration(deps.db, { organizationId: organization.id, vettingId: vetting.id }, { actor, reason: String(err) });
        throw new CaError('serviceUnavailable', 'the workflow service is unavailable; nothing was stored, retry later', { retryAfterSeconds: workflowUnavailableRetryAfterSeconds });
      }
      c.header('Location', `${deps.config.api.publicBaseUrl}/v1/organizations/${organization.id}`);
      return c.json(await presentOrganization(deps, organization), 201) as never;
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/organizations', summary: "The account's organizations", security, responses: { 200: { description: 'Organizations' }, ...problemResponses(401) } }),
    async (c) => {
      const rows = await listOrganizations(deps.db, c.get('account').id);
      return c.json({ organizations: rows.map((o) => ({ id: o.id, legalName: o.legalName, corporateNumber: o.corporateNumber, createdAt: o.createdAt.toISOString() })) }, 200) as never;
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/organizations/{id}', summary: 'An organization, its vetting and its vetted record', security, request: { params: IdParam }, responses: { 200: { description: 'The organization' }, ...problemResponses(401, 404) } }),
    async (c) => {
      const org = await getOrganization(deps.db, c.req.valid('param').id, c.get('account').id);
      if (!org) throw new CaError('notFound', 'no such organization for this account');
      return c.json(await presentOrganization(deps, org), 200) as never;
    },
  );

  // Raw bytes (not JSON): documented here, read by hand, limited to 5 MB by api/app.ts for this path only.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/v1/organizations/{id}/documents',
      summary: 'Upload an official document (PDF, PNG or JPEG, at most 5 MB; the type is read from the content)',
      security,
      request: { params: IdParam, query: z.object({ fileName: z.string().optional() }), body: { content: { 'application/octet-stream': { schema: z.any().openapi({ type: 'string', format: 'binary' }) } }, required: true } },
      responses: { 201: { description: 'Stored for the vetting agent' }, ...problemResponses(401, 404, 409, 413, 415) },
    }),
  );
  app.post('/v1/organizations/:id/documents', async (c) => {
    const account = c.get('account');
    const org = await getOrganization(deps.db, c.req.param('id'), account.id);
    if (!org) throw new CaError('notFound', 'no such organization for this account');
    const vetting = await latestVetting(deps.db, org.id);
    if (!vetting || isFinalVettingStatus(vetting.status)) throw new CaError('conflict', `no vetting in progress (${vetting?.status ?? 'none'}): register the organization again`);
    const content = new Uint8Array(await c.req.arrayBuffer());
    if (content.byteLength > maxDocumentBytes) throw new CaError('payloadTooLarge', `a document is at most ${maxDocumentBytes} bytes`);
    const contentType = sniffDocumentType(content);
    if (!contentType) throw new CaError('unsupportedMediaType', 'the content is not a PDF, PNG or JPEG document (decided by its bytes, not its name)');
    const doc = await storeDocument(deps.db, {
      organizationId: org.id,
      vettingId: vetting.id,
      contentType,
      fileName: c.req.query('fileName')?.slice(0, 200) ?? null,
      content,
      sha256: new Uint8Array(createHash('sha256').update(content).digest()),
      uploadedBy: account.id,
    });
    // Progress for the queue's 24 h reminder; the document itself is in PostgreSQL whether or not this arrives.
    await deps.workflows.signalDocumentUploaded(vetting.id, doc.id).catch(() => {});
    return c.json({ id: doc.id, vettingId: vetting.id, contentType, size: doc.size, sha256: Buffer.from(doc.sha256).toString('hex') }, 201);
  });

  return app;
}
