/**
 * The public repository (CP 2): served without authentication. CA certificates in DER at the caIssuers URLs
 * (RFC 5280 4.2.2.1: application/pkix-cert) and in PEM; the CP text, the CPS placeholder and the CCADB JSON array of
 * CRL URLs (CCADB asks CAs to disclose them; below, docs/REPOSITORY.md). CRLs: api/revocation.ts; OCSP: api/ocsp.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { issuerUrls, repoRoot } from '../config';
import { getIssuer, listIssuers, signingIssuerKeys } from '../db/repositories/issuers';
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
  mountPolicyDocuments(app, deps);
  return app;
}

// ---- The static part of the repository (CP 2.2): the CP, the CPS placeholder, the CRL URLs for CCADB ----

/** The published CP (CP 2.2): the Japanese text of v3.40, copied from the specification into docs/repository. */
const cpFile = path.join(repoRoot, 'docs', 'repository', 'cp-ja.txt');

const cpsPlaceholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CPS placeholder</title></head>
<body>
<h1>Certification Practice Statement: placeholder</h1>
<p><strong>This page is a placeholder.</strong> The Certification Practice Statement (CPS) of this CA has not been
written yet; nothing on this page is a practice statement, and no relying party should read it as one.</p>
<p>The Certificate Policy this CA implements is published at <a href="/repository/cp">/repository/cp</a>
(JPRS Server Certificate CA Certificate Policy, Japanese text).</p>
</body></html>
`;

function mountPolicyDocuments(app: Hono, deps: Pick<ApiDeps, 'db' | 'config'>) {
  let cpText: string | undefined;
  const cp = (c: Context) => {
    cpText ??= readFileSync(cpFile, 'utf8');
    c.header('cache-control', 'public, max-age=3600');
    return c.body(cpText, 200, { 'content-type': 'text/plain; charset=utf-8' });
  };
  app.get('/repository/cp', cp);
  app.get('/repository/cp-ja.txt', cp);
  app.get('/repository/cps', (c) => c.html(cpsPlaceholder));
  // CCADB "JSON array of partitioned CRLs" / full CRL URLs of the issuing keys that still sign (POLICY-2026 CRL), the
  // same URLs as the certificates' CRL DP, byte for byte; one array per CA certificate (each key has its own, CP 5.6).
  app.get('/repository/crl-urls.json', async (c) => c.json((await signingIssuerKeys(deps.db)).map((k) => issuerUrls(deps.config, k.id).crl)));
  app.get('/repository/crl-urls/:id{[a-z0-9-]+\\.json}', async (c) => {
    const id = c.req.param('id').replace(/\.json$/, '');
    if (!(await signingIssuerKeys(deps.db)).some((k) => k.id === id)) throw new CaError('notFound', `no issuing CA key ${id}`);
    return c.json([issuerUrls(deps.config, id).crl]);
  });
}
