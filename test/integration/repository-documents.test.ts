/**
 * The repository's documents (CP 2.2, 5.5.1): the subscriber terms, the CP and the CPS (RFC 3647 outline, Japanese
 * and English), as HTML and text, with their version history and effective dates; every version stays served, and
 * the one in force is the latest whose effective instant has come. No database rows are read: the app runs on an
 * empty fresh database.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { repositoryApp } from '../../api/repository';
import { loadConfig, repoRoot } from '../../config';
import type { DocumentCatalog } from '../../domain/repository-documents';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';

const config = loadConfig();
let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'repo_docs' });
  app = createApp({ db: fresh.handle.db, workflows: fakeWorkflows({ fail: 'all' }), config, clock: () => new Date() });
});
afterAll(async () => {
  await fresh?.drop();
});

const cpsFile = (lang: string) => readFileSync(path.join(repoRoot, 'docs', 'repository', 'cps', '1.0', `${lang}.md`), 'utf8');

describe('the CPS and the terms, in Japanese and English', () => {
  it.each([
    ['ja', '/repository/cps', '認証局運用規程（CPS）'],
    ['en', '/repository/cps?lang=en', 'Certification Practice Statement'],
    ['ja', '/repository/terms', 'ご利用条件'],
    ['en', '/repository/terms?lang=en', 'Subscriber Terms'],
  ])('%s: %s is the version in force as HTML', async (lang, url, title) => {
    const res = await app.request(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(`<html lang="${lang}">`);
    expect(html).toContain(title);
    expect(html).not.toMatch(/placeholder/i);
  });

  it('follows the RFC 3647 outline: sections 1 to 9, in both languages', () => {
    for (const lang of ['ja', 'en']) {
      const headings = cpsFile(lang).split('\n').filter((l) => /^## \d\./.test(l)).map((l) => Number(/^## (\d)/.exec(l)![1]));
      expect(headings).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('says where a practice is configuration, naming the setting', () => {
    expect(cpsFile('en')).toMatch(/\*\*configuration\*\*: `CA_SMTP_URL`/);
    expect(cpsFile('ja')).toMatch(/\*\*設定\*\*: `CA_SMTP_URL`/);
  });

  it('serves each version as text too, byte for byte its file, and the CP as its Japanese text', async () => {
    const txt = await app.request('/repository/cps/1.0/en.txt');
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await txt.text()).toBe(cpsFile('en'));
    expect((await app.request('/repository/cp/3.40/en.txt')).status).toBe(404);
    expect(await (await app.request('/repository/cp/3.40/ja.txt')).text()).toContain('JPRS サーバー証明書認証局証明書ポリシー');
  });

  it('lists every document with its versions, effective dates and links, and what an application accepts now', async () => {
    const doc = (await (await app.request('/repository/documents.json')).json()) as {
      current: Record<string, string>;
      documents: Array<{ id: string; versions: Array<{ version: string; effective: string; current: boolean; links: Record<string, { text: string; html?: string }> }> }>;
    };
    expect(doc.current).toEqual({ terms: '1.0', cp: '3.40', cps: '1.0' });
    const cps = doc.documents.find((d) => d.id === 'cps')!;
    expect(cps.versions[0]).toMatchObject({ version: '1.0', current: true, links: { ja: { html: `${config.api.publicBaseUrl}/repository/cps/1.0/ja.html` } } });
    const index = await (await app.request('/repository')).text();
    expect(index).toContain('1.0 (current)');
    expect(index).toContain('3.40 (current)');
  });
});

describe('CP 5.5.1: a revision is a new version; the old one stays served', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'repo-docs-'));
  for (const v of ['1.0', '1.1']) {
    mkdirSync(path.join(dir, 'cps', v), { recursive: true });
    writeFileSync(path.join(dir, 'cps', v, 'en.md'), `# CPS ${v}\n\nPractices of version ${v}.\n`);
  }
  const catalog: DocumentCatalog = [
    {
      id: 'cps',
      title: { ja: 'CPS', en: 'CPS' },
      versions: [
        { version: '1.0', effective: '2026-11-01T00:00:00Z', files: { en: 'cps/1.0/en.md' }, changes: 'first' },
        { version: '1.1', effective: '2027-01-01T00:00:00Z', files: { en: 'cps/1.1/en.md' }, changes: 'second' },
      ],
    },
  ];
  const at = (iso: string) => repositoryApp({ db: null as never, config, clock: () => new Date(iso) }, { catalog, dir });

  it('before 1.1 takes effect, 1.0 is in force and 1.1 is already readable', async () => {
    const r = at('2026-12-31T23:59:59Z');
    expect(await (await r.request('/repository/cps?lang=en')).text()).toContain('Practices of version 1.0.');
    expect(await (await r.request('/repository/cps/1.1/en.html')).text()).toContain('Practices of version 1.1.');
  });

  it('from its effective instant 1.1 is in force, and 1.0 stays served, marked as superseded', async () => {
    const r = at('2027-01-01T00:00:00Z');
    expect(await (await r.request('/repository/cps?lang=en')).text()).toContain('Practices of version 1.1.');
    const old = await (await r.request('/repository/cps/1.0/en.html')).text();
    expect(old).toContain('Practices of version 1.0.');
    expect(old).toContain('This is a superseded version; in force: 1.1');
    const json = (await (await r.request('/repository/documents.json')).json()) as { current: Record<string, string> };
    expect(json.current).toEqual({ cps: '1.1' });
  });
});
