/**
 * The ACME server (RFC 8555; RFC 9773 renewal information; RFC 8657 CAA account binding through the account URL),
 * the CA's second front door (CP 1.3 "Two front doors"). Served over HTTPS by api/acme/server.ts under `<base>`:
 *
 *   directory.ts       GET  /directory, HEAD|GET /new-nonce                        §7.1.1, §7.2
 *   accounts.ts        POST /new-account (EAB), /acct/:id, /acct/:id/orders, /key-change   §7.3, §7.1.2.1
 *   orders.ts          POST /new-order (replaces, profile), /order/:id, /order/:id/finalize §7.4
 *   authorizations.ts  POST /authz/:id, /chall/:id                                 §7.5
 *   certificates.ts    POST /cert/:serial, /revoke-cert; GET /renewal-info/:certID  §7.4.2, §7.6, RFC 9773
 *
 * Every POST is a JWS checked by jws.ts before anything is read or written (requests.ts); every error is an RFC 8555
 * §6.7 problem document rendered from the failure-kind table (problems.ts); every response carries a fresh
 * Replay-Nonce and the directory as Link rel="index"; presenters.ts turns rows into ACME objects and urls.ts builds
 * every URL. ACME orders get no e-mail notice (CP 4.3.2): the workflow input marks them `viaAcme`.
 */
import { Hono } from 'hono';
import { accountsApp } from './accounts';
import { authorizationsApp } from './authorizations';
import { certificatesApp } from './certificates';
import { directoryApp } from './directory';
import { ordersApp } from './orders';
import { acmeKit, installProblemHandling, type AcmeDeps, type AcmeEnv } from './requests';

export type { AcmeDeps } from './requests';

export function createAcmeApp(deps: AcmeDeps) {
  const kit = acmeKit(deps);
  const app = new Hono<AcmeEnv>();
  installProblemHandling(app, kit);
  const at = kit.urls.basePath || '/';
  for (const sub of [directoryApp, accountsApp, ordersApp, authorizationsApp, certificatesApp]) app.route(at, sub(kit));
  return app;
}
