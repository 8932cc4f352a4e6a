import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCaCsr,
  buildIssuingCaTbs,
  buildStandInRootTbs,
  certificateFields,
  checkImportedCaCertificate,
  issuingCaSubject,
} from './ca-hierarchy';
import { buildLeafTbs, keyIdentifierOf, signCertificate } from './certificate';
import { parseAndVerifyCsr } from './csr';
import { InMemorySigner } from './memory-signer';
import { buildNameDer, nameToDer } from './names';
import { pemEncode } from './pem';
import { openssl, opensslOk, tempDir, writeTemp } from './test-support';

const signer = new InMemorySigner();
let dir: string;
let rootDer: Uint8Array;
let rootSubjectDer: Uint8Array;
let rootKeyId: Uint8Array;
let dvDer: Uint8Array;
let dvSpki: Uint8Array;
const dvSubjectDer = buildNameDer(issuingCaSubject('dv'));
const rootUrls = {
  crl: 'http://ca.example.test/repository/crl/root.crl',
  ocsp: 'http://ca.example.test/ocsp/root',
  caIssuers: 'http://ca.example.test/repository/ca/root.cer',
};

async function issuingCa(kind: 'dv' | 'ov', label: string): Promise<Uint8Array> {
  return signCertificate(
    buildIssuingCaTbs({
      kind,
      issuer: { subjectDer: rootSubjectDer, keyIdentifier: rootKeyId },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
      spkiDer: await signer.publicKeySpki(label),
      urls: rootUrls,
      cpsUrl: 'http://ca.example.test/repository/',
    }),
    signer,
    'root',
  );
}

beforeAll(async () => {
  dir = tempDir('ca-test-');
  const rootSpki = await signer.publicKeySpki('root');
  const tbs = buildStandInRootTbs({ notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 20 * 365 * 86_400_000), spkiDer: rootSpki });
  rootDer = await signCertificate(tbs, signer, 'root');
  rootSubjectDer = nameToDer(tbs.subject);
  rootKeyId = keyIdentifierOf(rootSpki);
  dvSpki = await signer.publicKeySpki('dv');
  dvDer = await issuingCa('dv', 'dv');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const text = (der: Uint8Array) => opensslOk(['x509', '-inform', 'DER', '-noout', '-text'], der);

describe('local stand-in root', () => {
  it('says plainly it is a local stand-in, not SECOM, one attribute per RDN', () => {
    expect(text(rootDer)).toContain(
      'Subject: C = JP, O = LOCAL DEVELOPMENT STAND-IN (not SECOM Trust Systems), OU = Stand-in for Security Communication RootCA2',
    );
  });

  it('is self-signed and self-issued, a CA with keyCertSign + cRLSign and an SKI (RFC 5280 4.2.1.9, 4.2.1.3)', () => {
    const t = text(rootDer);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(t).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(t).toContain('X509v3 Subject Key Identifier');
    const f = certificateFields(rootDer);
    expect(Buffer.from(f.issuerDer).equals(Buffer.from(f.subjectDer))).toBe(true);
    const root = writeTemp(dir, 'root.pem', pemEncode('CERTIFICATE', rootDer));
    expect(openssl(['verify', '-CAfile', root, root]).out).toContain(': OK');
  });
});

describe('issuing CA certificate (CP 7.1.2 intermediate profile)', () => {
  it('subject C=JP, O=Japan Registry Services Co., Ltd., CN=JPRS Domain Validation Authority - G4', () => {
    expect(text(dvDer)).toContain('Subject: C = JP, O = "Japan Registry Services Co., Ltd.", CN = JPRS Domain Validation Authority - G4');
    expect(Buffer.from(certificateFields(dvDer).subjectDer).equals(Buffer.from(dvSubjectDer))).toBe(true);
  });

  it('OV CA subject names the Organization Validation Authority - G4', async () => {
    expect(text(await issuingCa('ov', 'ov'))).toContain('CN = JPRS Organization Validation Authority - G4');
  });

  it('carries AKI, SKI, KU critical keyCertSign+cRLSign, policy 1.2.392.200091.100.901.4 + CPS, BC critical pathlen 0, EKU serverAuth, CRL DP, AIA', () => {
    const t = text(dvDer);
    expect(t).toContain('X509v3 Authority Key Identifier');
    expect(t).toContain('X509v3 Subject Key Identifier');
    expect(t).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(t).toMatch(/Policy: 1\.2\.392\.200091\.100\.901\.4\s+CPS: http:\/\/ca\.example\.test\/repository\//);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0\n/);
    expect(t).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
    expect(t).toMatch(/CRL Distribution Points: \s+Full Name:\s+URI:http:\/\/ca\.example\.test\/repository\/crl\/root\.crl/);
    expect(t).toMatch(/OCSP - URI:http:\/\/ca\.example\.test\/ocsp\/root\s+CA Issuers - URI:http:\/\/ca\.example\.test\/repository\/ca\/root\.cer/);
  });

  it('verifies under the root with OpenSSL', () => {
    const r = openssl(['verify', '-CAfile', writeTemp(dir, 'r.pem', pemEncode('CERTIFICATE', rootDer)), writeTemp(dir, 'dv.pem', pemEncode('CERTIFICATE', dvDer))]);
    expect(r.out).toContain('dv.pem: OK');
  });
});

describe('production path: CA CSR and import check', () => {
  it('buildCaCsr makes a CSR OpenSSL verifies, with the issuing CA subject and key', async () => {
    const csrDer = await buildCaCsr(issuingCaSubject('dv'), dvSpki, signer, 'dv');
    const out = openssl(['req', '-inform', 'DER', '-noout', '-verify', '-subject'], csrDer).out;
    expect(out).toContain('verify OK');
    expect(out).toContain('subject=C = JP, O = "Japan Registry Services Co., Ltd.", CN = JPRS Domain Validation Authority - G4');
    const parsed = await parseAndVerifyCsr(csrDer);
    expect(Buffer.from(parsed.spkiDer).equals(Buffer.from(dvSpki))).toBe(true);
  });

  it('accepts the certificate that carries our subject and key, verifying it against the issuer', async () => {
    await expect(checkImportedCaCertificate(dvDer, dvSubjectDer, dvSpki, { issuerCertDer: rootDer })).resolves.toBeDefined();
  });

  it.each([
    ['another key (conflict)', 'conflict', async () => ({ cert: dvDer, spki: await signer.publicKeySpki('other') })],
    ['another subject (conflict)', 'conflict', async () => ({ cert: await issuingCa('ov', 'dv'), spki: dvSpki })],
  ])('refuses a certificate with %s', async (_n, kind, make) => {
    const { cert, spki } = await make();
    await expect(checkImportedCaCertificate(cert, dvSubjectDer, spki)).rejects.toMatchObject({ kind });
  });

  it('refuses a non-CA (leaf) certificate even with the right subject key (CP 7.1.2)', async () => {
    // A leaf whose subject is made equal to the CA subject, over the DV key: still not a CA certificate.
    const leaf = buildLeafTbs({
      serialHex: '01',
      issuer: { subjectDer: rootSubjectDer, keyIdentifier: rootKeyId },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      dnsNames: ['x.example.jp'],
      spkiDer: dvSpki,
      profile: 'dv',
      urls: rootUrls,
      cps: { url: 'http://x.test/', qualifier: false },
      includeSubjectKeyIdentifier: false,
      kind: 'final',
    });
    const der = await signCertificate(leaf, signer, 'root');
    await expect(checkImportedCaCertificate(der, certificateFields(der).subjectDer, dvSpki)).rejects.toMatchObject({ kind: 'unsupportedProfile' });
  });

  it('refuses a certificate whose signature does not verify with the given issuer', async () => {
    const otherRoot = await signCertificate(
      buildStandInRootTbs({ notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000), spkiDer: await signer.publicKeySpki('other') }),
      signer,
      'other',
    );
    await expect(checkImportedCaCertificate(dvDer, dvSubjectDer, dvSpki, { issuerCertDer: otherRoot })).rejects.toMatchObject({ kind: 'conflict' });
  });
});
