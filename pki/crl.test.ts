/**
 * CRL encoding (CP 7.2, BR 7.2, RFC 5280 5) checked by independent readers: `openssl crl -verify` / `-text`,
 * pkilint's BR CRL lint (`lint_crl -t CRL -p BR`), pkijs as a second parser — not only by our own reader.
 */
import { spawnSync } from 'node:child_process';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIssuingCaTbs, buildStandInRootTbs, issuingCaSubject } from './ca-hierarchy';
import { keyIdentifierOf, signCertificate } from './certificate';
import { decodeDer, parseDer } from './der';
import { encodeTime, readCrl, signCrl, verifyCrlSignature, type CrlEntry } from './crl';
import { InMemorySigner } from './memory-signer';
import { buildNameDer } from './names';
import { pemEncode } from './pem';
import { linterTestTimeoutMs, openssl, opensslOk, tempDir, writeTemp } from './test-support';

const signer = new InMemorySigner();
const dvSubjectDer = buildNameDer(issuingCaSubject('dv'));
let dvKeyId: Uint8Array;
let caFile: string;
let dir: string;
const urls = { crl: 'http://ca.example.test/repository/crl/root.crl', ocsp: 'http://ca.example.test/ocsp/root', caIssuers: 'http://ca.example.test/repository/ca/root.cer' };

beforeAll(async () => {
  dir = tempDir('crl-test-');
  const now = new Date();
  const rootTbs = buildStandInRootTbs({ notBefore: now, notAfter: new Date(now.getTime() + 3650 * 86_400_000), spkiDer: await signer.publicKeySpki('root') });
  const rootDer = await signCertificate(rootTbs, signer, 'root');
  const rootSpki = await signer.publicKeySpki('root');
  const rootSubject = new Uint8Array(rootTbs.subject.toSchema().toBER(false));
  const dvSpki = await signer.publicKeySpki('dv');
  dvKeyId = keyIdentifierOf(dvSpki);
  const dvDer = await signCertificate(
    buildIssuingCaTbs({
      kind: 'dv',
      issuer: { subjectDer: rootSubject, keyIdentifier: keyIdentifierOf(rootSpki) },
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 3650 * 86_400_000),
      spkiDer: dvSpki,
      urls,
      cpsUrl: 'http://ca.example.test/repository/',
    }),
    signer,
    'root',
  );
  caFile = writeTemp(dir, 'ca.pem', pemEncode('CERTIFICATE', rootDer) + pemEncode('CERTIFICATE', dvDer));
});

const hour = 3_600_000;
const entries: CrlEntry[] = [
  { serialHex: '40aa01', revokedAtSeconds: 1_790_000_000, reason: 0 }, // unspecified: no reasonCode (CP 7.2.3)
  { serialHex: '7f' + 'ab'.repeat(17), revokedAtSeconds: 1_790_000_100, reason: 1 },
  { serialHex: '80' + '01'.repeat(17), revokedAtSeconds: 1_790_000_200, reason: 3 }, // top bit set: leading 00
  { serialHex: '4004', revokedAtSeconds: 1_790_000_300, reason: 4 },
  { serialHex: '4005', revokedAtSeconds: 1_790_000_400, reason: 5 },
  { serialHex: '4009', revokedAtSeconds: 1_790_000_500, reason: 9 },
];

async function crlWith(list: CrlEntry[], crlNumber = 42n) {
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  return signCrl(
    { issuerDer: dvSubjectDer, keyIdentifier: dvKeyId, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 7 * 24 * hour), crlNumber, entries: list },
    signer,
    'dv',
  );
}

describe('CRL v2 (CP 7.2, BR 7.2)', () => {
  it('verifies with openssl against the issuing CA certificate', async () => {
    const file = writeTemp(dir, 'a.crl', await crlWith(entries));
    const r = openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout', '-verify']);
    expect(r.out).toMatch(/verify OK/);
    expect(r.status).toBe(0);
  });

  it('carries v2, the issuer bytes, AKI, cRLNumber and one reasonCode per entry except unspecified (openssl -text)', async () => {
    const der = await crlWith(entries);
    const text = opensslOk(['crl', '-inform', 'DER', '-noout', '-text'], der);
    expect(text).toMatch(/Version 2 \(0x1\)/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*42/);
    expect(text).toMatch(/X509v3 Authority Key Identifier:\s*\n\s*(keyid:)?[0-9A-F:]+/);
    expect(text.match(/Serial Number:/g)).toHaveLength(entries.length);
    const reasons = [...text.matchAll(/X509v3 CRL Reason Code:\s*\n\s*(\S[^\n]*)/g)].map((m) => m[1]!.trim());
    expect(reasons).toEqual(['Key Compromise', 'Affiliation Changed', 'Superseded', 'Cessation Of Operation', 'Privilege Withdrawn']);
    expect(readCrl(der).issuerDer).toEqual(dvSubjectDer);
  });

  it('parses with pkijs as a second reader, serials and reasons intact', async () => {
    const der = await crlWith(entries);
    const crl = decodeDer(der, 'CRL', pkijs.CertificateRevocationList);
    expect(crl.version).toBe(1);
    const got = crl.revokedCertificates!.map((r) => {
      const ext = r.crlEntryExtensions?.extensions.find((e) => e.extnID === '2.5.29.21');
      const hex = Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex').replace(/^00/, '');
      return [hex, ext ? (parseDer(ext.extnValue.valueBlock.valueHexView, 'CRLReason') as asn1js.Enumerated).valueBlock.valueDec : 0];
    });
    expect(got).toEqual(entries.map((e) => [e.serialHex, e.reason]));
  });

  it('omits revokedCertificates when nothing is revoked (RFC 5280 5.1.2.6) and still verifies', async () => {
    const der = await crlWith([]);
    expect(readCrl(der).entryCount).toBe(0);
    expect(opensslOk(['crl', '-inform', 'DER', '-noout', '-text'], der)).toMatch(/No Revoked Certificates/);
    const file = writeTemp(dir, 'empty.crl', der);
    expect(openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout', '-verify']).out).toMatch(/verify OK/);
  });

  it('pkilint (lint_crl -t CRL -p BR) reports no errors', async () => {
    const file = writeTemp(dir, 'lint.crl', pemEncode('X509 CRL', await crlWith(entries)));
    const r = spawnSync('lint_crl', ['lint', '-t', 'CRL', '-p', 'BR', '-s', 'WARNING', file], { encoding: 'utf8' });
    expect(r.error, 'lint_crl must be installed (pip install pkilint==0.13.3; .ci/run does it)').toBeUndefined();
    expect(r.stdout + r.stderr).not.toMatch(/ERROR|FATAL/);
    expect(r.status).toBe(0);
  }, linterTestTimeoutMs);

  it('reads back thisUpdate, nextUpdate, number and count; the signature verifies with node:crypto', async () => {
    const der = await crlWith(entries, 123456789012345678901234567890n);
    const s = readCrl(der);
    expect(s.crlNumber).toBe(123456789012345678901234567890n);
    expect(s.entryCount).toBe(entries.length);
    expect(s.nextUpdate.getTime() - s.thisUpdate.getTime()).toBe(7 * 24 * hour);
    expect(verifyCrlSignature(der, await signer.publicKeySpki('dv'))).toBe(true);
    expect(verifyCrlSignature(der, await signer.publicKeySpki('root'))).toBe(false);
  });

  it.each([
    ['RFC 5280 5.1.2.4: UTCTime through 2049', Date.UTC(2049, 11, 31, 23, 59, 59) / 1000, '17 0d 343931323331323335393539 5a'],
    ['RFC 5280 5.1.2.4: GeneralizedTime from 2050', Date.UTC(2050, 0, 1, 0, 0, 0) / 1000, '18 0f 3230353030313031303030303030 5a'],
  ])('%s', (_rule, seconds, hex) => {
    expect(Buffer.from(encodeTime(seconds)).toString('hex')).toBe(hex.replace(/ /g, ''));
  });
});
