/**
 * The vetting-queue page of the operators (CP 3.2.2.1, 3.2.5; OV-VETTING.md): the list of vettings, one vetting's
 * organization, evidence and documents, and the forms that record a document check or a call-back and approve or
 * reject — through the same actions as the admin CLI (api/vetting-actions.ts). Served by the API under /operator.
 * Operators log in with their name and password; the session cookie is HttpOnly and SameSite=Strict (and Secure over
 * HTTPS), every form carries the session's CSRF token, and every answer forbids framing, caching and sniffing.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  authenticateOperator,
  createOperatorSession,
  csrfTokenMatches,
  endOperatorSession,
  findOperatorSession,
  type Operator,
} from '../db/repositories/operators';
import { documentsOf, getDocument, getOrganization, getVetting, listVettings } from '../db/repositories/organizations';
import { evidenceOf, vettedRecordOfVetting } from '../db/repositories/vetted-organizations';
import { CaError, failureKinds, isCaError } from '../domain/errors';
import type { VettingAction } from '../domain/vetting';
import type { ApiDeps } from './context';
import { performVettingAction } from './vetting-actions';
import { escapeHtml } from './html-escape';
import { loginPage, page, queuePage, vettingPage } from './vetting-page-html';

export const OPERATOR_COOKIE = 'ca_operator_session';

type PageEnv = { Variables: { operator: Operator; csrfToken: string; sessionToken: string } };

const securityHeaders: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const html = (c: Context, body: string, status: ContentfulStatusCode = 200) => c.html(body, status, securityHeaders);

const actions: Record<string, VettingAction> = { callback: 'callback', 'document-check': 'document-check', approve: 'approve', reject: 'reject' };

export function vettingPageApp(deps: Pick<ApiDeps, 'db' | 'workflows' | 'clock' | 'config'> & { readonly sessionSeconds: number }) {
  const app = new Hono<PageEnv>();

  const requireSession: MiddlewareHandler<PageEnv> = async (c, next) => {
    const token = getCookie(c, OPERATOR_COOKIE);
    const session = token ? await findOperatorSession(deps.db, token, deps.clock()) : null;
    if (!session || !token) return c.redirect('/operator/login', 303);
    c.set('operator', session.operator);
    c.set('csrfToken', session.csrfToken);
    c.set('sessionToken', token);
    // Every state change is a POST that must carry the session's CSRF token (the cookie alone is not enough).
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody({ all: true });
      if (!csrfTokenMatches(session.csrfToken, form.csrf)) return html(c, page('Forbidden', '<p class="error">Missing or wrong CSRF token.</p>'), 403);
    }
    await next();
  };
  const who = (c: Context<PageEnv>) => ({ name: c.get('operator').name, csrfToken: c.get('csrfToken') });

  app.get('/operator', (c) => c.redirect('/operator/vettings', 303));
  app.get('/operator/login', (c) => html(c, loginPage()));
  app.post('/operator/login', async (c) => {
    const form = await c.req.parseBody();
    const operator = typeof form.name === 'string' && typeof form.password === 'string' ? await authenticateOperator(deps.db, form.name, form.password) : null;
    if (!operator) return html(c, loginPage('Unknown operator or wrong password.'), 401);
    const session = await createOperatorSession(deps.db, { operatorId: operator.id, now: deps.clock(), ttlSeconds: deps.sessionSeconds });
    setCookie(c, OPERATOR_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/operator',
      maxAge: deps.sessionSeconds,
    });
    return c.redirect('/operator/vettings', 303);
  });

  app.use('/operator/vettings', requireSession);
  app.use('/operator/vettings/*', requireSession);
  app.use('/operator/documents/*', requireSession);
  app.use('/operator/logout', requireSession);

  app.post('/operator/logout', async (c) => {
    await endOperatorSession(deps.db, c.get('sessionToken'), deps.clock());
    deleteCookie(c, OPERATOR_COOKIE, { path: '/operator' });
    return c.redirect('/operator/login', 303);
  });

  app.get('/operator/vettings', async (c) => html(c, queuePage(await listVettings(deps.db), who(c))));

  const showVetting = async (c: Context<PageEnv>, id: string, message?: string, status: ContentfulStatusCode = 200) => {
    const vetting = await getVetting(deps.db, id);
    const organization = vetting ? await getOrganization(deps.db, vetting.organizationId) : null;
    if (!vetting || !organization) return html(c, page('Not found', '<p>No such vetting.</p>', who(c)), 404);
    const [evidence, documents, record] = await Promise.all([evidenceOf(deps.db, id), documentsOf(deps.db, id), vettedRecordOfVetting(deps.db, id)]);
    return html(c, vettingPage({ vetting, organization, evidence, documents, record, ...(message ? { message } : {}) }, who(c)), status);
  };
  app.get('/operator/vettings/:id', (c) => showVetting(c, c.req.param('id'), c.req.query('done') ? `Recorded: ${c.req.query('done')}` : undefined));

  app.post('/operator/vettings/:id/:action', async (c) => {
    const id = c.req.param('id');
    const action = actions[c.req.param('action')];
    if (!action) return html(c, page('Not found', '<p>No such action.</p>', who(c)), 404);
    const form = await c.req.parseBody({ all: true });
    const field = (k: string) => (typeof form[k] === 'string' && form[k] !== '' ? (form[k] as string) : undefined);
    const input =
      action === 'document-check'
        ? { outcome: field('outcome'), documentIds: [form.documentIds ?? []].flat(), note: field('note') }
        : action === 'callback'
          ? { source: field('source'), phoneNumber: field('phoneNumber'), answeredBy: field('answeredBy'), outcome: field('outcome'), note: field('note') }
          : { reason: field('reason') };
    try {
      await performVettingAction(deps, c.get('operator'), id, action, input);
    } catch (err) {
      const e = isCaError(err) ? err : new CaError('internal', 'internal error');
      if (!isCaError(err)) console.error('vetting page action failed', err);
      return showVetting(c, id, `Refused (${e.kind}): ${e.message}`, failureKinds[e.kind].problem.status as ContentfulStatusCode);
    }
    return c.redirect(`/operator/vettings/${encodeURIComponent(id)}?done=${encodeURIComponent(action)}`, 303);
  });

  // A document as uploaded, with the type its content was checked to be; never rendered inline by the browser.
  app.get('/operator/documents/:id', async (c) => {
    const doc = await getDocument(deps.db, c.req.param('id'));
    if (!doc) return html(c, page('Not found', '<p>No such document.</p>', who(c)), 404);
    const ext = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg' }[doc.contentType];
    return c.body(doc.content as Uint8Array<ArrayBuffer>, 200, {
      ...securityHeaders,
      'content-type': doc.contentType,
      'content-disposition': `attachment; filename="document-${escapeHtml(doc.id)}.${ext}"`,
      'content-security-policy': "default-src 'none'; sandbox",
    });
  });

  return app;
}
