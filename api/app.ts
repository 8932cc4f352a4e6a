/**
 * createApp(deps): the whole HTTP API as one Hono app, so tests call app.request() and the server mounts it.
 * One sub-app per resource; one onError that renders every error as an RFC 7807 problem document.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { CaError, isCaError } from '../domain/errors';
import { applicationsApp } from './applications';
import { emailValidationApp } from './email-validation';
import type { ApiDeps, ApiEnv } from './context';
import { problemDocumentation, problemResponse } from './problems';
import { ocspApp } from './ocsp';
import { repositoryApp } from './repository';
import { renewalsApp } from './renewals';
import { revocationApp } from './revocation';

/** A CSR with a 2048-bit key and 100 SANs stays far below this; anything larger is refused before parsing. */
export const maxBodyBytes = 64 * 1024;

export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    // zod validation failures of params/bodies become problem documents too.
    defaultHook: (result) => {
      if (!result.success) throw new CaError('malformed', result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    },
  });
  app.use('*', bodyLimit({ maxSize: maxBodyBytes, onError: () => { throw new CaError('payloadTooLarge', `the body exceeds ${maxBodyBytes} bytes`); } }));
  app.onError((err, c) => {
    if (!isCaError(err)) console.error('unhandled API error', err);
    return problemResponse(c, err);
  });
  app.notFound((c) => problemResponse(c, new CaError('notFound', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));

  app.get('/healthz', (c) => c.json({ ok: true }));
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
  // Renewal, re-key and modification (CP 4.6–4.8), behind the same /v1 authentication.
  app.route('/', renewalsApp(deps));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API key from `npm run admin -- account create`' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'JPRS-profile TLS server certificate CA', version: '0.1.0', description: 'Applications (DV) under the JPRS CP v3.40 and the CA/B Forum BR.' },
  });
  return app;
}
