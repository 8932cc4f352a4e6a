import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIssuingCaTbs, buildStandInRootTbs } from './ca-hierarchy';
import {
  buildLeafTbs,
  finalCorrespondsToPrecert,
  keyIdentifierOf,
  parseCertificate,
  serialToIntegerBytes,
  signCertificate,
  tbsOf,
  tbsWithoutCtExtensions,
  type LeafParams,
} from './certificate';
import { tlv } from './der';
import { oids } from './extensions';
import { InMemorySigner } from './memory-signer';
import { attributeValues, nameToDer } from './names';
import { pemEncode } from './pem';
import { openssl, opensslOk, tempDir, writeTemp } from './test-support';
import { itGivesEach } from '../test/support/table';

const signer = new InMemorySigner();
let dir: string;
let rootDer: Uint8Array;
let dvDer: Uint8Array;
let dvSubjectDer: Uint8Array;
let dvKeyId: Uint8Array;
let subscriberSpki: Uint8Array;

const urls = {
  crl: 'http://ca.example.test/repository/crl/dv.crl',
  ocsp: 'http://ca.example.test/ocsp/dv',
  caIssuers: 'http://ca.example.test/repository/ca/dv.cer',
};
const cpsUrl = 'http://jprs.jp/pubcert/info/repository/';

/** A syntactically valid RFC 6962 3.3 list with one SCT, wrapped in an OCTET STRING (the extension value). */
function fakeSctListExtensionValue(): Uint8Array {
  const sig = Buffer.from('3044022011111111111111111111111111111111111111111111111111111111111111110220222222222222222222222222222222222222222222222222222222222222222222', 'hex');
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(1_790_000_000_000n);
  const sct = Buffer.concat([Buffer.of(0), Buffer.alloc(32, 0xab), ts, Buffer.of(0, 0), Buffer.of(4, 3), Buffer.from([sig.length >> 8, sig.length & 0xff]), sig]);
  const item = Buffer.concat([Buffer.from([sct.length >> 8, sct.length & 0xff]), sct]);
  const list = Buffer.concat([Buffer.from([item.length >> 8, item.length & 0xff]), item]);
  return tlv(0x04, list);
}

function leafParams(over: Partial<LeafParams> = {}): LeafParams {
  return {
    serialHex: '8a' + '11'.repeat(15),
    issuer: { subjectDer: dvSubjectDer, keyIdentifier: dvKeyId },
    notBefore: new Date('2026-11-26T00:00:00Z'),
    notAfter: new Date('2027-06-13T23:59:59Z'),
    dnsNames: ['www.example.jp', 'example.jp'],
    commonName: 'www.example.jp',
    spkiDer: subscriberSpki,
    profile: 'dv',
    urls,
    cps: { url: cpsUrl, qualifier: true },
    includeSubjectKeyIdentifier: true,
    kind: 'final',
    ...over,
  };
}

function pemFile(name: string, der: Uint8Array): string {
  return writeTemp(dir, name, pemEncode('CERTIFICATE', der));
}

function text(der: Uint8Array): string {
  return opensslOk(['x509', '-inform', 'DER', '-noout', '-text'], der);
}

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

beforeAll(async () => {
  dir = tempDir('cert-test-');
  const rootSpki = await signer.publicKeySpki('root');
  const rootTbs = buildStandInRootTbs({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2046-01-01T00:00:00Z'), spkiDer: rootSpki });
  rootDer = await signCertificate(rootTbs, signer, 'root');
  const rootSubjectDer = nameToDer(rootTbs.subject);
  const dvSpki = await signer.publicKeySpki('dv');
  const dvTbs = buildIssuingCaTbs({
    kind: 'dv',
    issuer: { subjectDer: rootSubjectDer, keyIdentifier: keyIdentifierOf(rootSpki) },
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    spkiDer: dvSpki,
    urls: { crl: 'http://ca.example.test/repository/crl/root.crl', ocsp: 'http://ca.example.test/ocsp/root', caIssuers: 'http://ca.example.test/repository/ca/root.cer' },
    cpsUrl: 'http://ca.example.test/repository/',
  });
  dvDer = await signCertificate(dvTbs, signer, 'root');
  dvSubjectDer = nameToDer(dvTbs.subject);
  dvKeyId = keyIdentifierOf(dvSpki);
  subscriberSpki = new Uint8Array(
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }),
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('serial number (RFC 5280 4.1.2.2, BR 7.1)', () => {
  itGivesEach((hex: string) => Buffer.from(serialToIntegerBytes(hex)).toString('hex'), [
    ['top bit set gets a leading 00 (positive INTEGER)', '8a01', '008a01'],
    ['top bit clear is kept as is', '7f01', '7f01'],
    ['odd hex length is left-padded', 'abc', '0abc'],
    ['leading zero octets are removed (minimal DER)', '00007f', '7f'],
  ]);
  it.each([['zero', '00'], ['not hex', 'xyz'], ['longer than 20 octets', 'ab'.repeat(21)]])('refuses a %s serial', (_n, hex) => {
    expect(() => serialToIntegerBytes(hex)).toThrow();
  });
});

describe('DV leaf profile, field by field (CP 7.1.1 + POLICY-2026 BR adjustments)', () => {
  let der: Uint8Array;
  let cert: pkijs.Certificate;
  let txt: string;

  beforeAll(async () => {
    der = await signCertificate(buildLeafTbs(leafParams({ sctListExtensionValue: fakeSctListExtensionValue() })), signer, 'dv');
    cert = parseCertificate(der);
    txt = text(der);
  });

  it('version v3, serial positive with leading 00, sha256WithRSAEncryption in TBS and outer', () => {
    expect(cert.version).toBe(2);
    expect(Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex')).toBe('008a' + '11'.repeat(15));
    expect(cert.signature.algorithmId).toBe(oids.sha256WithRSAEncryption);
    expect(cert.signatureAlgorithm.algorithmId).toBe(oids.sha256WithRSAEncryption);
    expect(txt).toContain('Version: 3 (0x2)');
    expect(txt).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it('issuer is the issuing CA subject byte for byte (BR 7.1.4.1)', () => {
    expect(Buffer.from(nameToDer(cert.issuer)).equals(Buffer.from(dvSubjectDer))).toBe(true);
    expect(txt).toContain('Issuer: C = JP, O = "Japan Registry Services Co., Ltd.", CN = JPRS Domain Validation Authority - G4');
  });

  it('validity in UTCTime, whole seconds', () => {
    expect(cert.notBefore.type).toBe(0);
    expect(cert.notAfter.value.toISOString()).toBe('2027-06-13T23:59:59.000Z');
    expect(txt).toContain('Not Before: Nov 26 00:00:00 2026 GMT');
    expect(txt).toContain('Not After : Jun 13 23:59:59 2027 GMT');
  });

  it('DV subject is the CN only, UTF8String (CP 7.1.1, BR 7.1.2.7.2)', () => {
    expect(cert.subject.typesAndValues.map((t) => t.type)).toEqual(['2.5.4.3']);
    expect(attributeValues(cert.subject, 'commonName')).toEqual(['www.example.jp']);
    expect(cert.subject.typesAndValues[0]!.value).toBeInstanceOf(asn1js.Utf8String);
    expect(txt).toContain('Subject: CN = www.example.jp');
  });

  it('SPKI is the subscriber key as given', () => {
    expect(Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)).equals(Buffer.from(subscriberSpki))).toBe(true);
  });

  it('extension set and order: AKI, SKI, KU, EKU, SAN, policies, CRL DP, AIA, then the SCT list', () => {
    expect(cert.extensions!.map((e) => e.extnID)).toEqual([
      oids.id_ce_authorityKeyIdentifier,
      oids.id_ce_subjectKeyIdentifier,
      oids.id_ce_keyUsage,
      oids.id_ce_extKeyUsage,
      oids.id_ce_subjectAltName,
      oids.id_ce_certificatePolicies,
      oids.id_ce_cRLDistributionPoints,
      oids.id_pe_authorityInfoAccess,
      oids.ctSctList,
    ]);
  });

  it('keyUsage critical: digitalSignature, keyEncipherment only (CP 6.1.7)', () => {
    const ku = extension(cert, oids.id_ce_keyUsage)!;
    expect(ku.critical).toBe(true);
    const bits = ku.parsedValue as asn1js.BitString;
    expect(Buffer.from(bits.valueBlock.valueHexView).toString('hex')).toBe('a0');
    expect(bits.valueBlock.unusedBits).toBe(5);
    expect(txt).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  });

  it('extKeyUsage: serverAuth only, not critical (BR 7.1.2.7.10, Chrome 2027-03-15)', () => {
    const eku = extension(cert, oids.id_ce_extKeyUsage)!;
    expect(eku.critical).toBe(false);
    expect((eku.parsedValue as pkijs.ExtKeyUsage).keyPurposes).toEqual([oids.id_kp_serverAuth]);
    expect(txt).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
  });

  it('subjectAltName: the dNSNames in order, not critical when a CN is present (RFC 5280 4.2.1.6)', () => {
    const san = extension(cert, oids.id_ce_subjectAltName)!;
    expect(san.critical).toBe(false);
    expect((san.parsedValue as pkijs.AltName).altNames.map((g) => [g.type, g.value])).toEqual([
      [2, 'www.example.jp'],
      [2, 'example.jp'],
    ]);
    expect(txt).toMatch(/X509v3 Subject Alternative Name: \s+DNS:www.example.jp, DNS:example.jp\n/);
  });

  it('certificatePolicies: 2.23.140.1.2.1 first, then the CP OID with its id-qt-cps qualifier', () => {
    const cp = extension(cert, oids.id_ce_certificatePolicies)!.parsedValue as pkijs.CertificatePolicies;
    expect(cp.certificatePolicies.map((p) => p.policyIdentifier)).toEqual([oids.cabfDomainValidated, oids.jprsCp]);
    expect(cp.certificatePolicies[0]!.policyQualifiers).toBeUndefined();
    const q = cp.certificatePolicies[1]!.policyQualifiers!;
    expect(q.map((x) => [x.policyQualifierId, (x.qualifier as asn1js.IA5String).valueBlock.value])).toEqual([[oids.id_qt_cps, cpsUrl]]);
    expect(txt).toMatch(/Policy: 2\.23\.140\.1\.2\.1\s+Policy: 1\.3\.6\.1\.4\.1\.53827\.1\.1\.4\s+CPS: http:\/\/jprs\.jp\/pubcert\/info\/repository\//);
  });

  it('CRL DP and AIA (ocsp + caIssuers) carry the configured URLs (BR 7.1.2.7.7, 7.1.2.7.8)', () => {
    expect(txt).toMatch(new RegExp(`X509v3 CRL Distribution Points: \\s+Full Name:\\s+URI:${urls.crl}\\n`));
    expect(txt).toMatch(new RegExp(`Authority Information Access: \\s+OCSP - URI:${urls.ocsp}\\s+CA Issuers - URI:${urls.caIssuers}\\n`));
  });

  it('AKI: keyIdentifier only, equal to the issuer SKI (BR 7.1.2.11.1)', () => {
    const aki = extension(cert, oids.id_ce_authorityKeyIdentifier)!.parsedValue as pkijs.AuthorityKeyIdentifier;
    expect(Buffer.from(aki.keyIdentifier!.valueBlock.valueHexView).equals(Buffer.from(dvKeyId))).toBe(true);
    expect(aki.authorityCertIssuer).toBeUndefined();
    expect(aki.authorityCertSerialNumber).toBeUndefined();
    const dvSki = text(dvDer).match(/Subject Key Identifier: \s+([0-9A-F:]+)/)![1];
    expect(txt).toMatch(new RegExp(`Authority Key Identifier: \\s+(keyid:)?${dvSki}\\n`));
  });

  it('SKI: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), as OpenSSL computes it', () => {
    const ski = extension(cert, oids.id_ce_subjectKeyIdentifier)!.parsedValue as asn1js.OctetString;
    const bits = cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    expect(Buffer.from(ski.valueBlock.valueHexView).toString('hex')).toBe(createHash('sha1').update(bits).digest('hex'));
    // OpenSSL's own computation (-ext subjectKeyIdentifier is the extension; -pubkey hashing is its own).
    const pub = opensslOk(['x509', '-inform', 'DER', '-noout', '-pubkey'], der);
    const spki = Buffer.from(pub.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    expect(Buffer.from(keyIdentifierOf(spki)).equals(Buffer.from(ski.valueBlock.valueHexView))).toBe(true);
  });

  it('SCT list extension carries the given value unchanged, not critical, and OpenSSL decodes it', () => {
    const sct = extension(cert, oids.ctSctList)!;
    expect(sct.critical).toBe(false);
    expect(Buffer.from(sct.extnValue.valueBlock.valueHexView).equals(Buffer.from(fakeSctListExtensionValue()))).toBe(true);
    expect(txt).toContain('CT Precertificate SCTs:');
    expect(txt).toContain('Signed Certificate Timestamp:');
  });

  it('the chain verifies with OpenSSL (root -> DV G4 -> leaf), purpose sslserver', () => {
    const r = openssl([
      'verify',
      '-attime', String(Date.parse('2027-01-01T00:00:00Z') / 1000),
      '-purpose', 'sslserver',
      '-CAfile', pemFile('root.pem', rootDer),
      '-untrusted', pemFile('dv.pem', dvDer),
      pemFile('leaf.pem', der),
    ]);
    expect(r.out).toContain(`${path.join(dir, 'leaf.pem')}: OK`);
  });
});

describe('profile switches', () => {
  it('no SKI when includeSubjectKeyIdentifier is false (BR 7.1.2.7.6 NOT RECOMMENDED)', async () => {
    const cert = parseCertificate(await signCertificate(buildLeafTbs(leafParams({ includeSubjectKeyIdentifier: false })), signer, 'dv'));
    expect(extension(cert, oids.id_ce_subjectKeyIdentifier)).toBeUndefined();
  });

  it('no CPS qualifier when cps.qualifier is false (BR 7.1.2.7.9)', async () => {
    const cert = parseCertificate(await signCertificate(buildLeafTbs(leafParams({ cps: { url: cpsUrl, qualifier: false } })), signer, 'dv'));
    const cp = extension(cert, oids.id_ce_certificatePolicies)!.parsedValue as pkijs.CertificatePolicies;
    expect(cp.certificatePolicies.every((p) => p.policyQualifiers === undefined)).toBe(true);
  });

  it('empty subject (no CN) makes the SAN critical (RFC 5280 4.2.1.6)', async () => {
    const der = await signCertificate(buildLeafTbs(leafParams({ commonName: undefined })), signer, 'dv');
    const cert = parseCertificate(der);
    expect(cert.subject.typesAndValues).toEqual([]);
    expect(extension(cert, oids.id_ce_subjectAltName)!.critical).toBe(true);
    expect(text(der)).toMatch(/X509v3 Subject Alternative Name: critical/);
  });

  it.each([
    ['a CN that is not one of the SANs (BR 7.1.4.3)', { commonName: 'other.example.jp' }],
    ['no dNSName at all (CP 7.1.1)', { dnsNames: [] }],
    ['an SCT list on a precertificate (RFC 6962 3.1)', { kind: 'precertificate' as const, sctListExtensionValue: new Uint8Array([4, 0]) }],
  ])('refuses %s', (_n, over) => {
    expect(() => buildLeafTbs(leafParams(over))).toThrow();
  });
});

describe('precertificate and final certificate correspondence (RFC 6962 3.2, BR 7.1.2.9)', () => {
  let precert: Uint8Array;
  let final: Uint8Array;
  beforeAll(async () => {
    precert = await signCertificate(buildLeafTbs(leafParams({ kind: 'precertificate' })), signer, 'dv');
    final = await signCertificate(buildLeafTbs(leafParams({ kind: 'final', sctListExtensionValue: fakeSctListExtensionValue() })), signer, 'dv');
  });

  it('the precertificate carries the critical poison (NULL) as its last extension; OpenSSL names it', () => {
    const cert = parseCertificate(precert);
    const last = cert.extensions!.at(-1)!;
    expect(last.extnID).toBe(oids.ctPoison);
    expect(last.critical).toBe(true);
    expect(Buffer.from(last.extnValue.valueBlock.valueHexView).toString('hex')).toBe('0500');
    expect(text(precert)).toMatch(/CT Precertificate Poison: critical\s+NULL/);
  });

  it('final TBS minus SCT list == precertificate TBS minus poison, byte for byte', () => {
    expect(Buffer.from(tbsWithoutCtExtensions(final)).equals(Buffer.from(tbsWithoutCtExtensions(precert)))).toBe(true);
    expect(finalCorrespondsToPrecert(precert, tbsOf(final))).toBe(true);
    // and the TBS really changed (not a no-op)
    expect(Buffer.from(tbsOf(final)).equals(Buffer.from(tbsOf(precert)))).toBe(false);
  });

  it('the stripped TBS is well-formed DER (OpenSSL asn1parse) and keeps the other 8 extensions', () => {
    const stripped = tbsWithoutCtExtensions(precert);
    const out = opensslOk(['asn1parse', '-inform', 'DER'], stripped);
    expect(out).not.toContain('CT Precertificate Poison');
    expect(out).toContain('X509v3 Authority Key Identifier');
    expect(out.match(/OBJECT\s+:(X509v3|Authority Information Access)/g)?.length).toBe(8);
  });

  it('a final certificate with another notAfter does not correspond', async () => {
    const other = await signCertificate(
      buildLeafTbs(leafParams({ notAfter: new Date('2027-06-13T23:59:58Z'), sctListExtensionValue: fakeSctListExtensionValue() })),
      signer,
      'dv',
    );
    expect(finalCorrespondsToPrecert(precert, tbsOf(other))).toBe(false);
  });

  it('a final certificate without SCT list still corresponds (stripping is by OID, not position)', async () => {
    const noSct = await signCertificate(buildLeafTbs(leafParams({ kind: 'final' })), signer, 'dv');
    expect(finalCorrespondsToPrecert(precert, tbsOf(noSct))).toBe(true);
  });
});
