/**
 * The resident pkilint (pki/pkilint-resident.py) keeps each certificate type's validators between lints; its answers
 * must be those of the command line, one process per lint, whatever came before — certificates of other types, with
 * other findings, the same certificate again. Real pkilint on certificates made by OpenSSL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintCertificate } from './lint';
import { openssl, tempDir } from './test-support';

const dir = tempDir('pkilint-resident-');
const key = path.join(dir, 'key.pem');
openssl(['genrsa', '-out', key, '2048']);

/** A self-signed certificate with the given subject and extensions (each a -addext value). */
function certificate(name: string, subject: string, extensions: readonly string[]): Uint8Array {
  const out = path.join(dir, `${name}.der`);
  const r = openssl(['req', '-x509', '-key', key, '-subj', subject, '-days', '90', '-outform', 'DER', '-out', out, ...extensions.flatMap((e) => ['-addext', e])]);
  if (r.status !== 0) throw new Error(r.out);
  return readFileSync(out);
}

const dv = ['subjectAltName=DNS:www.example.com', 'extendedKeyUsage=serverAuth', 'certificatePolicies=2.23.140.1.2.1'];
const cases = [
  { name: 'dv final', der: certificate('dv', '/CN=www.example.com', dv), kind: 'final', profile: 'dv' },
  { name: 'dv precertificate', der: certificate('pre', '/CN=www.example.com', [...dv, '1.3.6.1.4.1.11129.2.4.3=critical,DER:05:00']), kind: 'precertificate', profile: 'dv' },
  { name: 'ov final', der: certificate('ov', '/C=JP/O=Example KK/CN=www.example.com', [...dv.slice(0, 2), 'certificatePolicies=2.23.140.1.2.2']), kind: 'final', profile: 'ov' },
  { name: 'no SAN, a CA flag, internal name', der: certificate('bad', '/CN=host.corp', ['basicConstraints=critical,CA:TRUE', 'extendedKeyUsage=serverAuth']), kind: 'final', profile: 'dv' },
] as const;

const lint = (c: (typeof cases)[number]) => lintCertificate(c.der, { kind: c.kind, profile: c.profile, linters: ['pkilint'] }).then((r) => r[0]!.findings);

afterAll(() => {
  delete process.env.CA_PKILINT_RESIDENT;
});

describe('resident pkilint: validators kept per certificate type', () => {
  it('answers like one command-line process per lint, in any order, repeatedly', async () => {
    process.env.CA_PKILINT_RESIDENT = 'off';
    const expected = new Map<string, unknown>();
    for (const c of cases) expected.set(c.name, await lint(c));
    delete process.env.CA_PKILINT_RESIDENT;
    // Every case three times, interleaved and sequential: a validator that kept anything of an earlier lint (a
    // finding, a list it was given) shows here as a different answer.
    const order = [...cases, ...cases.slice().reverse(), ...cases];
    for (const c of order) expect(await lint(c), c.name).toEqual(expected.get(c.name));
    // The bad certificate has findings of its own: the comparison is not between empty lists.
    expect((expected.get('no SAN, a CA flag, internal name') as unknown[]).length).toBeGreaterThan((expected.get('dv final') as unknown[]).length);
  }, 120_000);
});
