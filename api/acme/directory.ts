/** The directory (RFC 8555 §7.1.1) and fresh nonces (§7.2): the two resources a client reads without a JWS. */
import { Hono } from 'hono';
import type { AcmeEnv, AcmeKit } from './requests';

export function directoryApp({ deps, urls, commonHeaders }: AcmeKit) {
  const app = new Hono<AcmeEnv>();

  app.get('/directory', (c) => {
    commonHeaders(c);
    return c.json({
      newNonce: urls.newNonce,
      newAccount: urls.newAccount,
      newOrder: urls.newOrder,
      revokeCert: urls.revokeCert,
      keyChange: urls.keyChange,
      renewalInfo: urls.renewalInfo,
      meta: {
        termsOfService: deps.config.acme.termsOfService,
        website: deps.config.acme.website,
        caaIdentities: [deps.config.caaIssuerDomain],
        externalAccountRequired: deps.config.acme.eabRequired,
        profiles: {
          dv: 'Domain-validated TLS server certificate (JPRS DV G4 profile, CP 7.1.1); RSA 2048 keys only (CP 6.1.5)',
          ov: 'Organization-validated TLS server certificate (JPRS OV G4 profile, CP 7.1.1): for accounts bound by external account binding to a vetted organization (CP 3.2.2.1, 3.2.5)',
        },
      },
    });
  });

  app.on(['HEAD', 'GET'], '/new-nonce', (c) => {
    commonHeaders(c);
    return c.body(null, c.req.method === 'HEAD' ? 200 : 204);
  });

  return app;
}
