/**
 * createApp(deps): the whole HTTP API as one Hono app, so tests call app.request() and the server mounts it.
 * One sub-app per resource; one onError that renders every error as an RFC 7807 problem document.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { CaError, failureKinds, isCaError } from '../domain/errors';
import { metricsRoute, observeRequests } from '../observability/http';
import { applicationsApp } from './applications';
import { emailValidationApp } from './email-validation';
import type { ApiDeps, ApiEnv } from './context';
import { problemDocumentation, problemResponse } from './problems';
import { ocspApp } from './ocsp';
import { repositoryApp } from './repository';
import { renewalsApp } from './renewals';
import { revocationApp } from './revocation';
import { reportServerError } from './server-errors';
import { organizationsApp } from './organizations';
import { vettingPageApp } from './vetting-page';
import { maxDocumentBytes } from '../domain/documents';

/** A CSR with a 2048-bit key and 100 SANs stays far below this; anything larger is refused before parsing. */
export const maxBodyBytes = 64 * 1024;

export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    // zod validation failures of params/bodies become problem documents too.
    defaultHook: (result) => {
      if (!result.success) throw new CaError('malformed', result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    },
  });
  // First: every request gets its id (X-Request-Id) and log context, and ends with one log event and one observation.
  app.use('*', observeRequests('api'));
  const limit = (maxSize: number) => bodyLimit({ maxSize, onError: () => { throw new CaError('payloadTooLarge', `the body exceeds ${maxSize} bytes`); } });
  const smallBodies = limit(maxBodyBytes);
  const documentBodies = limit(maxDocumentBytes);
  // OV documents (PDF/PNG/JPEG) may be up to 5 MB; every other body stays below 64 KiB.
  app.use('*', (c, next) => (/^\/v1\/organizations\/[^/]+\/documents$/.test(c.req.path) ? documentBodies(c, next) : smallBodies(c, next)));
  app.onError((err, c) => {
    if (isCaError(err) && failureKinds[err.kind].problem.status !== 500) return problemResponse(c, err);
    // A genuine bug (or a CaError saying the CA's own state is broken): 500 without an unexpected error's text,
    // logged and counted; the request id lets the applicant name this request.
    const requestId = reportServerError('api', c, err);
    return problemResponse(c, isCaError(err) ? new CaError(err.kind, err.message, { ...err.details, requestId }) : new CaError('internal', 'internal error', { requestId }));
  });
  app.notFound((c) => problemResponse(c, new CaError('notFound', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));

  app.get('/healthz', (c) => c.json({ ok: true }));
  // Prometheus (observability/metrics.ts): the default registry of this process.
  app.get('/metrics', metricsRoute);
  // The `type` of every problem document resolves here: each kind of the failure table (domain/errors.ts).
  app.get('/problems/:kind', (c) => {
    const doc = problemDocumentation(c.req.param('kind'));
    if (!doc) throw new CaError('notFound', `no problem type ${c.req.param('kind')}`);
    return c.json(doc);
  });
  app.route('/', repositoryApp(deps));
  // The OCSP responder at config.urls[id].ocsp (CP 4.9.9, RFC 6960): pre-signed responses from cache/DB, no Temporal.
  app.route('/', ocspApp(deps));
  app.route('/', applicationsApp(deps));
  // Confirmation links of the constructed e-mail method (CP 3.2.2.4.4); no API key (the value is the secret).
  app.route('/', emailValidationApp(deps));
  // Revocation (CP 4.9), certificate status, key-compromise reports, CRLs (after applicationsApp: its /v1 auth runs first).
  app.route('/', revocationApp(deps));
  // OV: organizations to vet (CP 3.2.2.1), and the operators' vetting-queue page (session cookie, not the API key).
  app.route('/', organizationsApp(deps));
  app.route('/', vettingPageApp({ ...deps, sessionSeconds: deps.config.vetting.sessionSeconds }));
  // Renewal, re-key and modification (CP 4.6–4.8), behind the same /v1 authentication.
  app.route('/', renewalsApp(deps));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API key from `npm run admin -- account create`' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'JPRS-profile TLS server certificate CA', version: '0.1.0', description: 'Applications (DV and OV) and organizations to vet under the JPRS CP v3.40 and the CA/B Forum BR.' },
  });
  return app;
}
