/**
 * BR 6.1.1.3 weak keys and BR 3.2.2.6 wildcard scope at the applicant's door: CSRs signed by keys the test makes
 * (ROCA-structured, close primes, blocklisted by the admin command) are refused with a problem document naming the
 * rule, and nothing is stored. Real PostgreSQL; the Temporal side only records (test/support/fake-workflows.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { loadConfig, repoRoot } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { debianModulusFingerprint, findBlockedKey } from '../../db/repositories/blocklist';
import { makeCsr } from '../support/csr';
import { freshDatabase } from '../support/database';
import { fakeWorkflows } from '../support/fake-workflows';
import { closePrimesKey, ordinaryKey, rocaKey } from '../support/weak-keys';
import { currentAcceptance } from '../support/acceptance';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let app: ReturnType<typeof createApp>;
let apiKey: string;
const config = loadConfig();
const zone = config.dns.devZone;
const workflows = fakeWorkflows();

beforeAll(async () => {
  fresh = await freshDatabase();
  app = createApp({ db: fresh.handle.db, workflows, config, clock: () => new Date() });
  apiKey = (await createAccount(fresh.handle.db, { name: 'Weak' })).apiKey;
});
afterAll(async () => {
  await fresh?.drop();
});

const submit = (csrPem: string) =>
  app.request('/v1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ csr: csrPem, profile: 'dv', acceptance: currentAcceptance() }),
  });

async function orderCount(): Promise<number> {
  const [r] = await fresh.handle.sql`select count(*)::int as n from orders`;
  return r!.n as number;
}

/** Runs the operator command exactly as documented, against this file's database. */
function adminImport(file: string, source: string): { added: number; total: number } {
  const out = execFileSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/admin.ts', 'blocklist', 'import', file, '--source', source], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: fresh.url },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { added: number; total: number };
}

describe('BR 6.1.1.3: weak subscriber keys are refused at application', () => {
  it.each([
    ['ROCA fingerprint (CVE-2017-15361)', () => rocaKey().pem, /ROCA/],
    ['Fermat-factorable within 100 rounds (primes 2^64 apart)', () => closePrimesKey(64).pem, /Fermat/],
  ])('%s → badPublicKey citing BR 6.1.1.3', async (_rule, key, reason) => {
    const before = await orderCount();
    const res = await submit(makeCsr({ names: [`w.${zone}`], keyPem: key() }).pem);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as { type: string; detail: string; rule: string };
    expect(p.type).toMatch(/badPublicKey$/);
    expect(p.rule).toBe('BR 6.1.1.3');
    expect(p.detail).toMatch(reason);
    expect(await orderCount()).toBe(before);
  });

  it('the blocklist: keys imported with `npm run admin -- blocklist import` (SPKI SHA-256 and Debian form) are refused', async () => {
    const bySpki = ordinaryKey();
    const byDebian = ordinaryKey();
    const unlisted = ordinaryKey();
    const csrSpki = makeCsr({ names: [`b1.${zone}`], keyPem: bySpki.pem });
    const csrDebian = makeCsr({ names: [`b2.${zone}`], keyPem: byDebian.pem });
    // Before the import both are accepted.
    expect((await submit(makeCsr({ names: [`b0.${zone}`], keyPem: bySpki.pem }).pem)).status).toBe(201);

    const dir = mkdtempSync(path.join(tmpdir(), 'blocklist-'));
    const spkiHex = execFileSync('sh', ['-c', 'openssl pkey -pubout -outform DER | openssl dgst -sha256 -r'], { input: bySpki.pem, encoding: 'utf8' }).split(' ')[0]!;
    // Debian's openssl-blacklist format, computed with OpenSSL independently of our code: last 20 hex digits of
    // SHA-1("Modulus=<HEX>\n").
    const modulusLine = execFileSync('openssl', ['rsa', '-noout', '-modulus'], { input: byDebian.pem, encoding: 'utf8' });
    const debianHex = execFileSync('openssl', ['dgst', '-sha1', '-r'], { input: modulusLine, encoding: 'utf8' }).split(' ')[0]!.slice(20);
    expect(Buffer.from(debianModulusFingerprint(byDebian.modulus)).toString('hex')).toBe(debianHex);
    writeFileSync(path.join(dir, 'list.txt'), `# test list\n${spkiHex}\n${debianHex}\n`);
    expect(adminImport(path.join(dir, 'list.txt'), 'test-list')).toEqual({ added: 2, total: 2 });
    // Idempotent: importing again adds nothing.
    expect(adminImport(path.join(dir, 'list.txt'), 'test-list')).toEqual({ added: 0, total: 2 });

    for (const csr of [csrSpki, csrDebian]) {
      const res = await submit(csr.pem);
      expect(res.status).toBe(400);
      const p = (await res.json()) as { type: string; rule: string; detail: string };
      expect(p.type).toMatch(/badPublicKey$/);
      expect(p.rule).toBe('BR 6.1.1.3');
      expect(p.detail).toContain('test-list');
    }
    expect((await submit(makeCsr({ names: [`b3.${zone}`], keyPem: unlisted.pem }).pem)).status).toBe(201);
    expect(await findBlockedKey(fresh.handle.db, { spkiSha256: Buffer.from(spkiHex, 'hex') })).toEqual({ kind: 'spki-sha256', source: 'test-list' });
    const [audit] = await fresh.handle.sql`select data from audit_log where event = 'blocklist.imported' order by id limit 1`;
    expect(audit!.data).toMatchObject({ source: 'test-list', entries: 2, added: 2 });
  });
});

describe('BR 3.2.2.6: no wildcard directly under an ICANN public suffix', () => {
  it.each([
    ['*.co.jp', 400],
    ['*.foo.kawasaki.jp', 400],
  ])('%s → rejectedIdentifier', async (name, status) => {
    const res = await submit(makeCsr({ names: [name], cn: null }).pem);
    expect(res.status).toBe(status);
    const p = (await res.json()) as { type: string; rule: string; identifier: string };
    expect(p.type).toMatch(/rejectedIdentifier$/);
    expect(p.rule).toBe('BR 3.2.2.6');
    expect(p.identifier).toBe(name);
  });
});

describe('CP 3.2.2.4: the applicant picks among the methods policy(now) allows', () => {
  const submitWith = (names: string[], methods: string[]) =>
    app.request('/v1/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ csr: makeCsr({ names }).pem, profile: 'dv', methods, acceptance: currentAcceptance() }),
    });

  it('BR 3.2.2.4.2 (e-mail to the WHOIS contact) is refused, citing its prohibition since 2025-07-15; nothing stored', async () => {
    const before = await orderCount();
    const res = await submitWith([`m.${zone}`], ['whois-email']);
    expect(res.status).toBe(403);
    const p = (await res.json()) as { type: string; rule: string; detail: string };
    expect(p.type).toMatch(/validationFailed$/);
    expect(p.rule).toBe('BR 3.2.2.4.2');
    expect(p.detail).toMatch(/prohibited by the Baseline Requirements since 2025-07-15/);
    expect(await orderCount()).toBe(before);
  });

  it('asking for dns-01 only offers no web file challenge; the default offers both (not for wildcards)', async () => {
    const only = (await (await submitWith([`n.${zone}`], ['dns-01'])).json()) as { authorizations: Array<{ challenges: Array<{ type: string }> }> };
    expect(only.authorizations[0]!.challenges.map((c) => c.type)).toEqual(['dns-01']);
    const all = (await (await submitWith([`o.${zone}`], [])).json()) as { authorizations: Array<{ challenges: Array<{ type: string }> }> };
    expect(all.authorizations[0]!.challenges.map((c) => c.type)).toEqual(['dns-01', 'web-file']);
  });

  it('an unknown method name is malformed', async () => {
    const res = await submitWith([`p.${zone}`], ['tls-alpn-01']);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toMatch(/malformed$/);
  });
});
