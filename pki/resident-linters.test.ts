/**
 * The resident linters (pki/resident-linters.ts): pkilint's interpreters keep each certificate type's validators
 * between lints (pki/pkilint-resident.py), zlint-resident keeps zlint's registry (pki/zlint-resident/). Their answers
 * must be those of the command line, one process per lint, whatever came before — certificates of other types, with
 * other findings, the same certificate again. Real linters on certificates made by OpenSSL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintCertificate, type LinterName } from './lint';
import { findGoTool } from './resident-linters';
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

const lint = (linter: LinterName, c: (typeof cases)[number]) =>
  lintCertificate(c.der, { kind: c.kind, profile: c.profile, linters: [linter] }).then((r) => ({ findings: r[0]!.findings, version: r[0]!.version }));
const offSwitch = { pkilint: 'CA_PKILINT_RESIDENT', zlint: 'CA_ZLINT_RESIDENT' } as const;

afterAll(() => {
  for (const v of Object.values(offSwitch)) delete process.env[v];
});

describe.each(['pkilint', 'zlint'] as const)('resident %s', (linter) => {
  it('answers like one command-line process per lint, in any order, repeatedly', async () => {
    // scripts/install-tools.sh builds zlint-resident; without it the comparison would be of the command line with itself.
    if (linter === 'zlint') expect(findGoTool('zlint-resident')).toBeDefined();
    process.env[offSwitch[linter]] = 'off';
    const expected = new Map<string, unknown>();
    for (const c of cases) expected.set(c.name, await lint(linter, c));
    delete process.env[offSwitch[linter]];
    // Every case three times, interleaved and sequential: a validator that kept anything of an earlier lint (a
    // finding, a list it was given) shows here as a different answer.
    const order = [...cases, ...cases.slice().reverse(), ...cases];
    for (const c of order) expect(await lint(linter, c), c.name).toEqual(expected.get(c.name));
    // The certificates answer differently, with findings: the comparison is not between empty or identical lists.
    expect(new Set([...expected.values()].map((e) => JSON.stringify(e))).size).toBeGreaterThan(1);
    expect((expected.get('no SAN, a CA flag, internal name') as { findings: unknown[] }).findings.length).toBeGreaterThan(0);
  }, 120_000);
});
