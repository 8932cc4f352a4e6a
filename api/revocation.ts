/**
 * Revocation (CP 4.9), certificate status, key-compromise reports (CP 4.9.12) and CRLs (CP 4.9.7) over HTTP.
 *
 *   POST /v1/certificates/{serial}/revoke   {"reason": "keyCompromise"}   Bearer API key: the certificate's account or
 *                                           the designated provider that relayed it (CP 4.9.2, 3.4)
 *   GET  /v1/certificates/{serial}          status (issued / superseded / revoked with time and reason / expired), renewal
 *                                           window (as ARI's) and succession (api/certificate-view.ts)
 *   POST /key-compromise                    public (CP 1.5.2, 4.9.12): {"privateKey": PEM} or {"csr": PEM}
 *   GET  /key-compromise/{id}               the report's progress
 *   GET  /repository/crl/{issuer}.crl       the latest full CRL, application/pkix-crl (RFC 5280 4.2.1.13)
 *
 * Revocation requests of every door — this one, ACME, the operators' `npm run admin -- revoke` — go through the one
 * entry point, api/revocation-requests.ts.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { issuerUrls } from '../config';
import { getAccount } from '../db/repositories/accounts';
import {
  createKeyCompromiseReport,
  deleteKeyCompromiseReport,
  getCrlDer,
  getKeyCompromiseReport,
  getRevocationFacts,
  latestCrlMeta,
} from '../db/repositories/revocation';
import type { Db } from '../db/client';
import { CaError, isCaError } from '../domain/errors';
import { reasonName, revocationDeadlines, type Requester } from '../domain/revocation';
import { keyCompromiseWorkflowId } from '../domain/workflow-ids';
import { proofFromCsr, proofFromPrivateKey } from '../pki/key-compromise';
import { CertificateLifecycle, certificateLifecycle } from './certificate-view';
import type { ApiDeps, ApiEnv } from './context';
import { workflowUnavailableRetryAfterSeconds } from './order-intake';
import { problemResponses } from './problems';
import { rateLimited, type RateLimits } from './rate-limit';
import { submitRevocation } from './revocation-requests';

const security = [{ bearer: [] }];

const SerialParam = z.object({ serial: z.string().regex(/^[0-9a-fA-F:]{1,64}$/).openapi({ param: { name: 'serial', in: 'path' }, example: '4c1d…' }) });
const RevokeBody = z.object({
  reason: z.union([z.string(), z.number().int()]).optional().openapi({
    description: 'CP 7.2.3: unspecified (default), keyCompromise, affiliationChanged, superseded, cessationOfOperation. privilegeWithdrawn is for operators; certificateHold is never used.',
    example: 'keyCompromise',
  }),
}).openapi('RevokeRequest');
const RevocationAccepted = z.object({
  serial: z.string(),
  status: z.literal('revoking'),
  reason: z.string(),
  deadline: z.string().openapi({ description: 'BR 4.9.1.1: the CA revokes by then' }),
  deadlineRule: z.string(),
  workflowId: z.string(),
}).openapi('RevocationAccepted');
const CertificateStatus = z.object({
  serial: z.string(),
  issuer: z.string(),
  status: z.enum(['precertificate', 'issued', 'superseded', 'revoked', 'expired']).openapi({ description: 'superseded: still valid, but renewed by `supersededBy` (CP 4.6–4.8)' }),
  notBefore: z.string(),
  notAfter: z.string(),
  revokedAt: z.string().nullable(),
  reason: z.string().nullable(),
  crl: z.string().nullable(),
  ...CertificateLifecycle,
}).openapi('CertificateStatus');

/**
 * POST /key-compromise is public and each report costs a signature check and a workflow: a few reports per client
 * and minute, and a ceiling for everyone (CP 4.9.12 needs reports to be possible, not unlimited).
 */
export const keyCompromiseRateLimits: RateLimits = { perClient: { burst: 5, perMinute: 2 }, global: { burst: 100, perMinute: 120 } };

/** Who is asking, from the authenticated account: its own certificate, or one it relayed as a provider. */
async function requesterFor(db: Db, accountId: string, certAccountId: string): Promise<Requester> {
  if (certAccountId === accountId) return { kind: 'subscriber', accountId };
  const account = await getAccount(db, accountId);
  return account?.kind === 'provider' ? { kind: 'provider', accountId } : { kind: 'subscriber', accountId };
}

/** The latest CRL per issuer, cached by id: a million-entry CRL is read from PostgreSQL once, not per request. */
function crlCache(db: Db) {
  const cached = new Map<string, { id: number; der: Uint8Array }>();
  return async (issuerId: string, id: number): Promise<Uint8Array | null> => {
    const hit = cached.get(issuerId);
    if (hit?.id === id) return hit.der;
    const der = await getCrlDer(db, id);
    if (der) cached.set(issuerId, { id, der });
    return der;
  };
}

export function revocationApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      if (result.target === 'param') throw new CaError('notFound', 'no such certificate or report');
      throw new CaError('malformed', result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    },
  });
  // Authentication comes from applicationsApp's `/v1/*` middleware (mounted before this app); re-check it here so
  // this sub-app never serves an anonymous /v1 request whatever the mount order.
  app.use('/v1/certificates/*', async (c, next) => {
    if (!c.get('account')) throw new CaError('unauthorized', 'send Authorization: Bearer <API key>');
    await next();
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/certificates/{serial}/revoke',
      summary: 'Request revocation (CP 4.9.2–4.9.3): the certificate’s account or its designated provider',
      security,
      request: { params: SerialParam, body: { content: { 'application/json': { schema: RevokeBody } }, required: false } },
      responses: { 202: { description: 'Revocation under way', content: { 'application/json': { schema: RevocationAccepted } } }, ...problemResponses(400, 401, 404, 409, 503) },
    }),
    async (c) => {
      const { serial } = c.req.valid('param');
      let reason: string | number | undefined;
      const text = await c.req.text();
      if (text.trim()) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new CaError('malformed', 'the body is not valid JSON');
        }
        const parsed = RevokeBody.safeParse(json);
        if (!parsed.success) throw new CaError('malformed', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
        reason = parsed.data.reason;
      }
      const account = c.get('account');
      const result = await submitRevocation(deps, {
        target: { serial },
        reason,
        requester: (cert) => requesterFor(deps.db, account.id, cert.accountId),
        actor: `account:${account.id}`,
      }).catch((e: unknown) => {
        // This API has answered a repeat with 409 /problems/conflict since revocation was introduced; clients match
        // on that type, so the entry point's alreadyRevoked keeps it here (ACME answers alreadyRevoked, RFC 8555 §7.6).
        if (isCaError(e) && e.kind === 'alreadyRevoked') throw new CaError('conflict', e.message, e.details);
        throw e;
      });
      return c.json(result, 202) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/certificates/{serial}',
      summary: "A certificate's status",
      security,
      request: { params: SerialParam },
      responses: { 200: { description: 'Status', content: { 'application/json': { schema: CertificateStatus } } }, ...problemResponses(401, 404) },
    }),
    async (c) => {
      const { serial } = c.req.valid('param');
      const account = c.get('account');
      const facts = await getRevocationFacts(deps.db, serial.replace(/:/g, ''));
      // The certificate's account, or the designated provider that relayed it (CP 4.9.2); anyone else: not found.
      const related = facts && (facts.accountId === account.id || facts.providerAccountId === account.id);
      if (!facts || !related || facts.status === 'reserved') throw new CaError('notFound', `no certificate ${serial} for this account`);
      const cert = facts.certificate;
      const expired = cert.notAfter.getTime() < deps.clock().getTime();
      const issued = cert.supersededBy ? 'superseded' : 'issued';
      const status = cert.status === 'revoked' ? 'revoked' : expired ? 'expired' : cert.status === 'issued' ? issued : 'precertificate';
      return c.json(
        {
          serial: cert.serial,
          issuer: cert.issuerId,
          status,
          notBefore: cert.notBefore.toISOString(),
          notAfter: cert.notAfter.toISOString(),
          revokedAt: cert.revokedAt?.toISOString() ?? null,
          reason: cert.status === 'revoked' ? (reasonName(cert.revocationReason ?? 0) ?? String(cert.revocationReason)) : null,
          crl: issuerUrls(deps.config, cert.issuerId).crl,
          ...(await certificateLifecycle(deps.db, cert, deps.clock(), deps.config.api.publicBaseUrl)),
        },
        200,
      ) as never;
    },
  );

  // --- CP 4.9.12: the public key-compromise report (no account needed: anyone holding the key may report it) ---
  const limitReports = rateLimited(deps.limits?.keyCompromise ?? keyCompromiseRateLimits, 'key-compromise', () => deps.clock().getTime());
  const KeyCompromiseBody = z.object({
    privateKey: z.string().optional().openapi({ description: 'The compromised private key, PEM. Used once to prove control, never stored.' }),
    csr: z.string().optional().openapi({ description: 'A CSR signed by the compromised key whose CN states it, e.g. CN=This key is compromised' }),
    contact: z.string().max(320).optional(),
  }).openapi('KeyCompromiseReport');
  const KeyCompromiseAccepted = z.object({
    id: z.string().uuid(),
    status: z.string(),
    spkiSha256: z.string(),
    deadline: z.string(),
    url: z.string(),
  }).openapi('KeyCompromiseAccepted');

  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/key-compromise',
      summary: 'Report a compromised key (CP 4.9.12): the private key, or a CSR signed by it stating the compromise',
      request: {
        body: {
          content: {
            'application/json': { schema: KeyCompromiseBody },
            'application/pkcs10': { schema: z.any().openapi({ type: 'string', format: 'binary' }) },
          },
          required: true,
        },
      },
      responses: { 202: { description: 'Report accepted; the key is blocked and its certificates revoked within 24 hours', content: { 'application/json': { schema: KeyCompromiseAccepted } } }, ...problemResponses(400, 429, 503) },
    }),
  );
  app.use('/key-compromise', async (c, next) => (c.req.method === 'POST' ? limitReports(c, next) : next()));
  app.post('/key-compromise', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    let body: z.infer<typeof KeyCompromiseBody>;
    let csrDer: Uint8Array | undefined;
    if (type === 'application/pkcs10') {
      csrDer = new Uint8Array(await c.req.arrayBuffer());
      body = {};
    } else if (type === 'application/json') {
      let json: unknown;
      try {
        json = JSON.parse(await c.req.text());
      } catch {
        throw new CaError('malformed', 'the body is not valid JSON');
      }
      const parsed = KeyCompromiseBody.safeParse(json);
      if (!parsed.success) throw new CaError('malformed', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      body = parsed.data;
    } else {
      throw new CaError('malformed', 'send application/json ({"privateKey": PEM} or {"csr": PEM}) or application/pkcs10');
    }
    if ((body.privateKey ? 1 : 0) + (body.csr || csrDer ? 1 : 0) !== 1) {
      throw new CaError('malformed', 'send exactly one proof: "privateKey" (PEM) or "csr" (PEM, CN stating the compromise)', { rule: 'CP 4.9.12' });
    }
    const id = randomUUID();
    const now = deps.clock();
    let proof: { spkiDer: Uint8Array; proofKind: 'privateKey' | 'csr'; proof: Uint8Array; proofSignature: Uint8Array | null };
    if (body.privateKey) {
      // The key is used right here to sign a statement naming this report, then dropped (it leaves this scope).
      const p = await proofFromPrivateKey(body.privateKey, id);
      proof = { spkiDer: p.spkiDer, proofKind: 'privateKey', proof: p.statement, proofSignature: p.signature };
    } else {
      const p = await proofFromCsr(csrDer ?? body.csr!);
      proof = { spkiDer: p.spkiDer, proofKind: 'csr', proof: p.csrDer, proofSignature: null };
    }
    const deadline = new Date(now.getTime() + revocationDeadlines.keyCompromise.hours * 3_600_000);
    const workflowId = keyCompromiseWorkflowId(id);
    const report = await createKeyCompromiseReport(deps.db, { id, ...proof, reporterContact: body.contact ?? null, workflowId, deadline });
    try {
      await deps.workflows.startKeyCompromise({ reportId: id, signingTaskQueue: deps.config.temporal.signingTaskQueue, deadline: deadline.toISOString() });
    } catch {
      await deleteKeyCompromiseReport(deps.db, id);
      throw new CaError('serviceUnavailable', 'the workflow service is unavailable; the report was not stored, retry later', {
        retryAfterSeconds: workflowUnavailableRetryAfterSeconds,
      });
    }
    const url = `${deps.config.api.url}/key-compromise/${id}`;
    c.header('Location', url);
    return c.json({ id, status: report.status, spkiSha256: Buffer.from(report.spkiSha256).toString('hex'), deadline: deadline.toISOString(), url }, 202);
  });

  app.get('/key-compromise/:id{[0-9a-f-]{36}}', async (c) => {
    const report = await getKeyCompromiseReport(deps.db, c.req.param('id'));
    if (!report) throw new CaError('notFound', 'no such key-compromise report');
    const live = await deps.workflows.keyCompromiseProgress(report.id);
    return c.json({
      id: report.id,
      status: report.status,
      spkiSha256: Buffer.from(report.spkiSha256).toString('hex'),
      proofKind: report.proofKind,
      receivedAt: report.receivedAt.toISOString(),
      deadline: report.deadline.toISOString(),
      certificatesFound: live?.certificatesFound ?? report.certificatesFound,
      certificatesRevoked: Math.max(live?.certificatesRevoked ?? 0, report.certificatesRevoked),
      overdue: live?.overdue ?? false,
      completedAt: report.completedAt?.toISOString() ?? null,
      error: report.error,
    });
  });

  // --- CP 2, 4.9.6–4.9.8: the CRL at the certificates' CRL DP path ---
  const crlDer = crlCache(deps.db);
  app.get('/repository/crl/:file{[a-z0-9-]+\\.crl}', async (c) => {
    const issuerId = c.req.param('file').replace(/\.crl$/, '');
    const meta = await latestCrlMeta(deps.db, issuerId);
    if (!meta) throw new CaError('notFound', `no CRL for ${issuerId}`);
    const etag = `"${Buffer.from(meta.sha256).toString('hex')}"`;
    const headers = {
      'content-type': 'application/pkix-crl',
      etag,
      'last-modified': meta.thisUpdate.toUTCString(),
      expires: meta.nextUpdate.toUTCString(),
      // Short: a new CRL follows a revocation within minutes (CP 4.9.5), and fetchers should see it.
      'cache-control': 'public, max-age=60, no-transform',
    };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    const der = await crlDer(issuerId, meta.id);
    if (!der) throw new CaError('notFound', `no CRL for ${issuerId}`);
    return c.body(der as Uint8Array<ArrayBuffer>, 200, headers);
  });

  return app;
}
