/**
 * Real ACME clients (RFC 8555) against the real CA: lego v4.35.2 and certbot 5.8.0 register, obtain certificates
 * with dns-01 (a hook writes the TXT record into the development DNS server) and http-01 (their own standalone
 * server on port 80; the names resolve to 127.0.0.1 in the dev zone and the development configuration lets the
 * validation fetch loopback), renew (lego with ARI, RFC 9773, sending `replaces`), and revoke — over HTTPS with
 * the locally issued server certificate, trusting only the stand-in root. The issued chains are checked with
 * OpenSSL, the stored state (orders, acme_orders, certificates) with SQL.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certIdOf } from '../../api/acme/ari';
import { certbot, lego, startAcmeHarness, type AcmeHarness } from '../support/acme-harness';
import { eventually, uniqueLabel } from '../support/ca-harness';

let h: AcmeHarness;

beforeAll(async () => {
  h = await startAcmeHarness();
});
afterAll(async () => {
  await h?.stop();
});

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The leaf of a PEM bundle: serial (lowercase hex, no leading zeros) and SANs, read by OpenSSL. */
function leafFacts(pemFile: string) {
  const serial = openssl(['x509', '-in', pemFile, '-noout', '-serial']).trim().replace(/^serial=/, '').toLowerCase().replace(/^0+/, '');
  const text = openssl(['x509', '-in', pemFile, '-noout', '-ext', 'subjectAltName']);
  return { serial, sans: [...text.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]) };
}

/** The chain verifies to the stand-in root with OpenSSL (an independent tool), for TLS server use. */
function verifyChain(bundle: string) {
  return openssl(['verify', '-purpose', 'sslserver', '-CAfile', h.caFile, '-untrusted', bundle, bundle]).trim();
}

async function orderOfSerial(serial: string) {
  const [row] = await h.db.sql`select o.status, o.id, a.replaces, a.replaces_serial, a.acme_account_id, c.status as cert_status
    from certificates c join orders o on o.id = c.order_id join acme_orders a on a.order_id = o.id where c.serial = ${serial}`;
  return row as { status: string; id: string; replaces: string | null; replaces_serial: string | null; acme_account_id: string; cert_status: string } | undefined;
}

/** What went wrong, for failure messages: the latest orders' errors and challenge evidence. */
async function diagnose(): Promise<string> {
  const orders = await h.db.sql`select id, status, error from orders order by created_at desc limit 3`;
  const ev = await h.db.sql`select method, perspective, query, result, detail from validation_evidence order by id desc limit 8`;
  const ch = await h.db.sql`select method, status, error, key_authorization is not null as answered from challenges order by created_at desc limit 4`;
  return JSON.stringify({ orders, ch, ev }, null, 1);
}

async function issuerKeyId(): Promise<Uint8Array> {
  const [row] = await h.db.sql`select key_identifier from issuers where id = 'dv'`;
  return row!.key_identifier as Uint8Array;
}

describe('lego v4.35.2', () => {
  it('registers, obtains with dns-01, renews with ARI (replaces), revokes, and renews again when ARI says so', async () => {
    const dir = path.join(h.workDir, 'lego-dns');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const dnsArgs = ['--domains', name, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s'];

    const obtained = await lego(h, dir, [...dnsArgs, 'run']);
    expect(obtained.code, obtained.out + (obtained.code ? await diagnose() : '')).toBe(0);
    const bundle = path.join(dir, 'certificates', `${name}.crt`);
    expect(verifyChain(bundle)).toBe(`${bundle}: OK`);
    const first = leafFacts(bundle);
    expect(first.sans).toEqual([name]);
    expect(await orderOfSerial(first.serial)).toMatchObject({ status: 'valid', cert_status: 'issued', replaces: null });

    // ARI (RFC 9773): lego asks renewalInfo first; the window (middle third) has not begun, but --days forces the
    // renewal, and the new order carries `replaces` with the certID of the first certificate.
    const renewed = await lego(h, dir, [...dnsArgs, 'renew', '--days', '400', '--no-random-sleep']);
    expect(renewed.code, renewed.out).toBe(0);
    expect(renewed.out).toMatch(/renewalInfo endpoint indicates that renewal is not needed/);
    const second = leafFacts(bundle);
    expect(second.serial).not.toBe(first.serial);
    const keyId = await issuerKeyId();
    expect(await orderOfSerial(second.serial)).toMatchObject({ status: 'valid', replaces: certIdOf(keyId, first.serial), replaces_serial: first.serial });

    // Revocation signed by the account key (CP 3.4 (2)), through the revocation workflow (CP 4.9.3).
    const revoked = await lego(h, dir, ['--domains', name, 'revoke', '--keep', '--reason', '4']);
    expect(revoked.code, revoked.out).toBe(0);
    await eventually(async () => (await orderOfSerial(second.serial))?.cert_status === 'revoked', 60_000);

    // A revoked certificate's renewal window lies in the past: lego renews at once on ARI alone (default --days 30).
    const ariRenewal = await lego(h, dir, [...dnsArgs, 'renew', '--no-random-sleep']);
    expect(ariRenewal.code, ariRenewal.out).toBe(0);
    expect(ariRenewal.out).toMatch(/renewalInfo endpoint indicates that renewal is needed/);
    const third = leafFacts(bundle);
    expect(third.serial).not.toBe(second.serial);
    expect(await orderOfSerial(third.serial)).toMatchObject({ status: 'valid', replaces_serial: second.serial });
  });
});

describe('http-01 (BR 3.2.2.4.19) with the clients\' own standalone server on port 80', () => {
  it('lego obtains a certificate for two names', async () => {
    const dir = path.join(h.workDir, 'lego-http');
    const names = [`${uniqueLabel()}.${h.config.dns.devZone}`, `www.${uniqueLabel()}.${h.config.dns.devZone}`];
    // The validation resolver is the dev DNS server (every perspective's): the names point at this machine.
    for (const n of names) h.dns.add({ name: n, type: 'A', value: '127.0.0.1' });
    const got = await lego(h, dir, [...names.flatMap((n) => ['--domains', n]), '--http', '--http.port', ':80', 'run']);
    expect(got.code, got.out + (got.code ? await diagnose() : '')).toBe(0);
    const bundle = path.join(dir, 'certificates', `${names[0]}.crt`);
    expect(verifyChain(bundle)).toBe(`${bundle}: OK`);
    const facts = leafFacts(bundle);
    expect(facts.sans.sort()).toEqual([...names].sort());
    expect(await orderOfSerial(facts.serial)).toMatchObject({ status: 'valid', cert_status: 'issued' });
    const methods = await h.db.sql`select distinct ch.method from challenges ch join authorizations a on a.id = ch.authorization_id
      join certificates c on c.order_id = a.order_id where c.serial = ${facts.serial} and ch.status = 'valid'`;
    expect(methods.map((m) => m.method)).toEqual(['3.2.2.4.19']);
  });

  it('certbot --standalone obtains a certificate', async () => {
    const dir = path.join(h.workDir, 'certbot-http');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    h.dns.add({ name, type: 'A', value: '127.0.0.1' });
    const got = await certbot(h, dir, ['certonly', '--standalone', '--http-01-port', '80', '-d', name, '--key-type', 'rsa', '--rsa-key-size', '2048', '--cert-name', name]);
    expect(got.code, got.out + (got.code ? await diagnose() : '')).toBe(0);
    const live = path.join(dir, 'config', 'live', name);
    expect(verifyChain(path.join(live, 'fullchain.pem'))).toBe(`${path.join(live, 'fullchain.pem')}: OK`);
    expect(await orderOfSerial(leafFacts(path.join(live, 'cert.pem')).serial)).toMatchObject({ status: 'valid', cert_status: 'issued' });
  });
});

describe('RFC 8657 CAA accounturi and validationmethods, bound to the ACME account URL', () => {
  it('lets only the named account issue, only with the named method', async () => {
    const dir = path.join(h.workDir, 'lego-caa');
    const first = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const dnsArgs = (n: string) => ['--domains', n, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s'];
    const setup = await lego(h, dir, [...dnsArgs(first), 'run']);
    expect(setup.code, setup.out).toBe(0);
    const accountJson = execFileSync('find', [path.join(dir, 'accounts'), '-name', 'account.json'], { encoding: 'utf8' }).trim();
    const accountUri = (JSON.parse(readFileSync(accountJson, 'utf8')) as { registration: { uri: string } }).registration.uri;
    expect(accountUri).toMatch(new RegExp(`^${h.acme.baseUrl}/acct/`));

    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    h.dns.add({ name, type: 'A', value: '127.0.0.1' });
    h.dns.add({ name, type: 'CAA', value: { flags: 0, tag: 'issue', value: `${h.config.caaIssuerDomain}; accounturi=${accountUri}; validationmethods=dns-01` } });

    const wrongMethod = await lego(h, dir, ['--domains', name, '--http', '--http.port', ':80', 'run']);
    expect(wrongMethod.code).not.toBe(0);
    expect(wrongMethod.out).toMatch(/urn:ietf:params:acme:error:caa/);
    expect(wrongMethod.out).toMatch(/validationmethods/);

    const otherAccount = await lego(h, path.join(h.workDir, 'lego-caa-other'), [...dnsArgs(name), 'run']);
    expect(otherAccount.code).not.toBe(0);
    expect(otherAccount.out).toMatch(/urn:ietf:params:acme:error:caa/);
    expect(otherAccount.out).toMatch(/accounturi/);

    const allowed = await lego(h, dir, [...dnsArgs(name), 'run']);
    expect(allowed.code, allowed.out + (allowed.code ? await diagnose() : '')).toBe(0);
    expect(leafFacts(path.join(dir, 'certificates', `${name}.crt`)).sans).toEqual([name]);
  });
});

describe('RFC 8555 §7.3.4 external account binding with a designated provider (admin command + lego --eab)', () => {
  it('binds the ACME account to the provider account; its certificates belong to the provider', async () => {
    const admin = (args: string[]) => JSON.parse(execFileSync('npx', ['tsx', 'scripts/admin.ts', ...args], { encoding: 'utf8', env: process.env })) as Record<string, string>;
    const provider = admin(['account', 'create', '--name', 'Designated Provider (ACME)', '--kind', 'provider']);
    const eab = admin(['eab', 'create', '--account', provider.id!]);
    expect(eab.hmacKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dir = path.join(h.workDir, 'lego-eab');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    // Two names: lego's exec DNS provider solves them one after the other, so the first authorization must be shown
    // valid (corroborated) while the second is still pending, and the last only once the order is ready.
    const got = await lego(h, dir, ['--eab', '--kid', eab.keyId!, '--hmac', eab.hmacKey!, '--domains', name, '--domains', `www.${name}`, '--dns', 'exec', '--dns.resolvers', `127.0.0.1:${h.config.dns.devPort}`, '--dns.propagation-wait', '1s', 'run']);
    expect(got.code, got.out + (got.code ? await diagnose() : '')).toBe(0);
    const serial = leafFacts(path.join(dir, 'certificates', `${name}.crt`)).serial;
    const [row] = await h.db.sql`select c.account_id, aa.account_id as acme_owner, aa.eab_key_id from certificates c
      join acme_orders ao on ao.order_id = c.order_id join acme_accounts aa on aa.id = ao.acme_account_id where c.serial = ${serial}`;
    expect(row).toEqual({ account_id: provider.id, acme_owner: provider.id, eab_key_id: eab.keyId });
    // The key binds one ACME account only.
    const again = await lego(h, path.join(h.workDir, 'lego-eab-2'), ['--eab', '--kid', eab.keyId!, '--hmac', eab.hmacKey!, '--domains', name, '--dns', 'exec', 'run']);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/urn:ietf:params:acme:error:unauthorized/);
  });
});

describe('certbot 5.8.0', () => {
  it('registers and obtains with dns-01 through the manual hooks, then revokes with the certificate key (CP 3.4 (3))', async () => {
    const dir = path.join(h.workDir, 'certbot-dns');
    const name = `${uniqueLabel()}.${h.config.dns.devZone}`;
    const got = await certbot(h, dir, [
      'certonly', '--manual', '--preferred-challenges', 'dns', '-d', name,
      '--manual-auth-hook', `${h.hook} certbot-auth`, '--manual-cleanup-hook', `${h.hook} certbot-cleanup`,
      '--key-type', 'rsa', '--rsa-key-size', '2048', '--cert-name', name,
    ]);
    expect(got.code, got.out + (got.code ? await diagnose() : '')).toBe(0);
    const live = path.join(dir, 'config', 'live', name);
    expect(verifyChain(path.join(live, 'fullchain.pem'))).toBe(`${path.join(live, 'fullchain.pem')}: OK`);
    const facts = leafFacts(path.join(live, 'cert.pem'));
    expect(facts.sans).toEqual([name]);
    expect(await orderOfSerial(facts.serial)).toMatchObject({ status: 'valid', cert_status: 'issued' });
    expect(readFileSync(path.join(live, 'privkey.pem'), 'utf8')).toMatch(/PRIVATE KEY/);

    const rev = await certbot(h, dir, ['revoke', '--cert-path', path.join(live, 'cert.pem'), '--key-path', path.join(live, 'privkey.pem'), '--reason', 'keycompromise', '--no-delete-after-revoke']);
    expect(rev.code, rev.out).toBe(0);
    await eventually(async () => (await orderOfSerial(facts.serial))?.cert_status === 'revoked', 60_000);
    const [row] = await h.db.sql`select revocation_reason from certificates where serial = ${facts.serial}`;
    expect(row!.revocation_reason).toBe(1);
  });
});
