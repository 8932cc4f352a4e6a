/**
 * CP 3.2.2.4.4 constructed e-mail: the recipient's side. The e-mail carries a link with its random value;
 *   GET  /email-validations/{value}   what confirming means (a link scanner's GET changes nothing)
 *   POST /email-validations/{value}   confirm: the e-mail's row becomes confirmed and the order's workflow is signalled
 * No API key: the random value (256 bits, one per e-mail, 25 days) is the credential; an unknown value is a 404.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { confirmEmailToken } from '../db/repositories/email-validations';
import { CaError } from '../domain/errors';
import type { ApiDeps } from './context';
import { workflowUnavailableRetryAfterSeconds } from './order-intake';

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

export function emailValidationApp(deps: ApiDeps) {
  const app = new OpenAPIHono();
  app.get('/email-validations/:token', (c) => {
    if (!TOKEN.test(c.req.param('token'))) throw new CaError('notFound', 'unknown confirmation link');
    return c.json({
      description:
        'Confirming approves the issuance of a server certificate for the domain named in the e-mail (CP 3.2.2.4.4). ' +
        'Send an HTTP POST to this same URL to confirm; do nothing to refuse.',
    });
  });
  app.post('/email-validations/:token', async (c) => {
    const token = c.req.param('token');
    if (!TOKEN.test(token)) throw new CaError('notFound', 'unknown confirmation link');
    const confirmed = await confirmEmailToken(deps.db, token, deps.clock());
    if (!confirmed) throw new CaError('notFound', 'unknown confirmation link');
    try {
      await deps.workflows.signalEmailConfirmed(confirmed.orderId, confirmed.challengeId);
    } catch {
      // The row stays confirmed; a retried POST signals again (the workflow ignores duplicates).
      throw new CaError('serviceUnavailable', 'the workflow service is unavailable; retry later', { retryAfterSeconds: workflowUnavailableRetryAfterSeconds });
    }
    return c.json({ status: 'confirmed', address: confirmed.address }, 200);
  });
  return app;
}
