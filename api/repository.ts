/**
 * The public repository (CP 2): served without authentication. CA certificates in DER at the caIssuers URLs
 * (RFC 5280 4.2.2.1: application/pkix-cert) and in PEM. CRLs, OCSP and the CP/CPS texts come with issue #5.
 */
import { Hono } from 'hono';
import { getIssuer, listIssuers } from '../db/repositories/issuers';
import { CaError } from '../domain/errors';
import { toPem } from '../pki/pem';
import type { ApiDeps } from './context';

export function repositoryApp(deps: Pick<ApiDeps, 'db' | 'config'>) {
  const app = new Hono();
  app.get('/repository/ca', async (c) => {
    const rows = await listIssuers(deps.db);
    return c.json({
      certificates: rows
        .filter((r) => r.certDer)
        .map((r) => ({
          id: r.id,
          der: `${deps.config.api.publicBaseUrl}/repository/ca/${r.id}.cer`,
          pem: `${deps.config.api.publicBaseUrl}/repository/ca/${r.id}.pem`,
        })),
    });
  });
  app.get('/repository/ca/:file{[a-z0-9-]+\\.(cer|pem)}', async (c) => {
    const file = c.req.param('file');
    const [id, ext] = file.split('.') as [string, string];
    const issuer = await getIssuer(deps.db, id);
    if (!issuer?.certDer) throw new CaError('notFound', `no CA certificate ${id}`);
    c.header('cache-control', 'public, max-age=3600');
    if (ext === 'pem') return c.body(toPem('CERTIFICATE', issuer.certDer), 200, { 'content-type': 'application/x-pem-file' });
    return c.body(issuer.certDer as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/pkix-cert' });
  });
  return app;
}
