/**
 * The public repository (CP 2): served without authentication. CA certificates in DER at the caIssuers URLs
 * (RFC 5280 4.2.2.1: application/pkix-cert) and in PEM; the subscriber terms, the CP and the CPS with every published
 * version (CP 2.2, 5.5.1) and the CCADB JSON array of CRL URLs (CCADB asks CAs to disclose them; docs/REPOSITORY.md).
 * CRLs: api/revocation.ts; OCSP: api/ocsp.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { issuerUrls, repoRoot } from '../config';
import { getIssuer, listIssuers, signingIssuerKeys } from '../db/repositories/issuers';
import { CaError } from '../domain/errors';
import {
  currentDocumentVersions,
  currentVersion,
  findDocument,
  repositoryDocuments,
  type DocumentCatalog,
  type DocumentVersion,
  type PublishedDocument,
} from '../domain/repository-documents';
import type { Language } from '../domain/statuses';
import { toPem } from '../pki/pem';
import { escapeHtml } from './html-escape';
import { htmlPage, markdownToHtml } from './markdown';
import type { ApiDeps } from './context';

/** The repository's base URL (CP 2.2): the documents, their versions, the CA certificates. */
export const repositoryUrl = (publicBaseUrl: string): string => `${publicBaseUrl}/repository`;

export function repositoryApp(deps: Pick<ApiDeps, 'db' | 'config' | 'clock'>, opts: RepositoryDocumentsOptions = {}) {
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
  mountPolicyDocuments(app, deps, opts);
  return app;
}

// ---- The static part of the repository (CP 2.2): the terms, the CP and the CPS with their versions; CRL URLs ----

/** Where the documents' files live (docs/repository/, see domain/repository-documents.ts). */
const documentsDir = path.join(repoRoot, 'docs', 'repository');

export interface RepositoryDocumentsOptions {
  /** The catalog and the folder of its files (tests publish a second version of a document in a temporary folder). */
  readonly catalog?: DocumentCatalog;
  readonly dir?: string;
}

/**
 * CP 2.2, 5.5.1: every published version stays served, by version and language, as text and (Markdown) as HTML:
 *   /repository                                  index: each document, its versions, effective dates and changes
 *   /repository/documents.json                   the same as JSON, with `current` (what an application accepts)
 *   /repository/{terms|cp|cps}                   the version in force (HTML, ?lang=en|ja; the CP: its Japanese text)
 *   /repository/{id}/{version}/{lang}.{html|txt} one version
 *   /repository/cp-ja.txt                        the CP in force (its published name)
 */
function mountPolicyDocuments(app: Hono, deps: Pick<ApiDeps, 'db' | 'config' | 'clock'>, opts: RepositoryDocumentsOptions) {
  const catalog = opts.catalog ?? repositoryDocuments;
  const dir = opts.dir ?? documentsDir;
  const base = repositoryUrl(deps.config.api.publicBaseUrl);
  const files = new Map<string, string>();
  const read = (file: string) => {
    let text = files.get(file);
    if (text === undefined) files.set(file, (text = readFileSync(path.join(dir, file), 'utf8')));
    return text;
  };
  const link = (id: string, version: string, lang: string, ext: 'html' | 'txt') => `${base}/${id}/${version}/${lang}.${ext}`;

  /** One version of a document in a language, as text or HTML; the CP's text has no HTML rendering. */
  const serve = (c: Context, doc: PublishedDocument, v: DocumentVersion, lang: Language, ext: 'html' | 'txt') => {
    const file = v.files[lang];
    if (!file) throw new CaError('notFound', `${doc.id} ${v.version} is not published in ${lang}`);
    c.header('cache-control', 'public, max-age=3600');
    if (ext === 'txt' || !file.endsWith('.md')) return c.body(read(file), 200, { 'content-type': 'text/plain; charset=utf-8' });
    const current = currentVersion(doc, deps.clock());
    const banner = current?.version === v.version ? '' : `<p><strong>${lang === 'ja' ? `これは旧版です。現行版: ${current?.version}` : `This is a superseded version; in force: ${current?.version}`}</strong> — <a href="${base}">${lang === 'ja' ? '版の履歴' : 'version history'}</a></p>`;
    return c.html(htmlPage({ lang, title: `${doc.title[lang]} ${v.version}`, body: `${banner}<p>Version ${escapeHtml(v.version)} — effective ${escapeHtml(v.effective)}</p>\n${markdownToHtml(read(file))}` }));
  };
  const versionsOf = (doc: PublishedDocument) => {
    const current = currentVersion(doc, deps.clock());
    return doc.versions.map((v) => ({
      version: v.version,
      effective: v.effective,
      changes: v.changes,
      current: current?.version === v.version,
      links: Object.fromEntries(
        (Object.keys(v.files) as Language[]).map((lang) => [lang, { text: link(doc.id, v.version, lang, 'txt'), ...(v.files[lang]!.endsWith('.md') ? { html: link(doc.id, v.version, lang, 'html') } : {}) }]),
      ),
    }));
  };
  const docOf = (id: string) => {
    const doc = findDocument(id, catalog);
    if (!doc) throw new CaError('notFound', `no document ${id} in the repository`);
    return doc;
  };
  const inForce = (doc: PublishedDocument) => {
    const v = currentVersion(doc, deps.clock());
    if (!v) throw new CaError('notFound', `no version of ${doc.id} is in force yet`);
    return v;
  };
  const languageOf = (c: Context, v: DocumentVersion): Language => {
    const asked = c.req.query('lang') ?? (/^\s*en/i.test(c.req.header('accept-language') ?? '') ? 'en' : 'ja');
    return asked === 'en' && v.files.en ? 'en' : v.files.ja ? 'ja' : 'en';
  };

  app.get('/repository/documents.json', (c) =>
    c.json({ current: currentDocumentVersions(deps.clock(), catalog), documents: catalog.map((d) => ({ id: d.id, title: d.title, versions: versionsOf(d) })) }),
  );
  app.get('/repository', (c) => {
    const rows = catalog
      .map((d) => {
        const versions = versionsOf(d)
          .map((v) => {
            const links = Object.entries(v.links).map(([lang, l]) => `${lang}: ${'html' in l ? `<a href="${l.html}">HTML</a> ` : ''}<a href="${l.text}">text</a>`).join('; ');
            return `<tr><td>${escapeHtml(v.version)}${v.current ? ' (current)' : ''}</td><td>${escapeHtml(v.effective)}</td><td>${escapeHtml(v.changes)}</td><td>${links}</td></tr>`;
          })
          .join('');
        return `<h2>${escapeHtml(d.title.ja)} / ${escapeHtml(d.title.en)}</h2><table><thead><tr><th>version</th><th>effective</th><th>changes</th><th>read</th></tr></thead><tbody>${versions}</tbody></table>`;
      })
      .join('\n');
    return c.html(htmlPage({ lang: 'ja', title: 'Repository / リポジトリ', body: `<h1>Repository / リポジトリ (CP 2)</h1>\n${rows}\n<p><a href="${base}/ca">CA certificates</a> · <a href="${base}/documents.json">documents.json</a></p>` }));
  });
  app.get('/repository/cp-ja.txt', (c) => serve(c, docOf('cp'), inForce(docOf('cp')), 'ja', 'txt'));
  app.get('/repository/:id{(terms|cp|cps)}', (c) => {
    const doc = docOf(c.req.param('id'));
    const v = inForce(doc);
    return serve(c, doc, v, languageOf(c, v), 'html');
  });
  app.get('/repository/:id{(terms|cp|cps)}/:version{[0-9][0-9.]*}/:file{(ja|en)\\.(html|txt)}', (c) => {
    const doc = docOf(c.req.param('id'));
    const v = doc.versions.find((x) => x.version === c.req.param('version'));
    if (!v) throw new CaError('notFound', `no version ${c.req.param('version')} of ${doc.id}`);
    const [lang, ext] = c.req.param('file').split('.') as [Language, 'html' | 'txt'];
    return serve(c, doc, v, lang, ext);
  });

  // CCADB "JSON array of partitioned CRLs" / full CRL URLs of the issuing keys that still sign (POLICY-2026 CRL), the
  // same URLs as the certificates' CRL DP, byte for byte; one array per CA certificate (each key has its own, CP 5.6).
  app.get('/repository/crl-urls.json', async (c) => c.json((await signingIssuerKeys(deps.db)).map((k) => issuerUrls(deps.config, k.id).crl)));
  app.get('/repository/crl-urls/:id{[a-z0-9-]+\\.json}', async (c) => {
    const id = c.req.param('id').replace(/\.json$/, '');
    if (!(await signingIssuerKeys(deps.db)).some((k) => k.id === id)) throw new CaError('notFound', `no issuing CA key ${id}`);
    return c.json([issuerUrls(deps.config, id).crl]);
  });
}
