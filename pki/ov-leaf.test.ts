import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildLeafTbs, keyIdentifierOf, leafSubject, signCertificate, type LeafParams } from './certificate';
import { InMemorySigner } from './memory-signer';
import { buildNameDer } from './names';
import { opensslOk } from './test-support';

const organization = { country: 'JP', stateOrProvince: '東京都', locality: '千代田区', organizationName: '株式会社　テスト商事' };

describe('leafSubject (CP 7.1.1, BR 7.1.2.7.4, POLICY-2026 RDN order)', () => {
  it('OV: C, ST, L, O, CN in the BR 7.1.4.2 order, no OU', () => {
    expect(leafSubject({ profile: 'ov', commonName: 'www.example.jp', organization }).map(([t]) => t)).toEqual([
      'countryName', 'stateOrProvinceName', 'localityName', 'organizationName', 'commonName',
    ]);
  });
  it('DV: the CN only, whatever organization is passed', () => {
    expect(leafSubject({ profile: 'dv', commonName: 'www.example.jp', organization })).toEqual([['commonName', 'www.example.jp']]);
  });
  it('OV without the vetted organization is refused (never a subject from elsewhere)', () => {
    expect(() => leafSubject({ profile: 'ov', commonName: 'www.example.jp' })).toThrow(/vetted organization/);
  });
});

describe('OV leaf (CP 7.1.1): OpenSSL reads the vetted subject and the OV policy OID', () => {
  it('is issued under 2.23.140.1.2.2 and the CP OID, with the registered O in UTF-8', async () => {
    const signer = new InMemorySigner();
    const issuerSpki = await signer.publicKeySpki('ov');
    const spkiDer = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }));
    const params: LeafParams = {
      serialHex: '5a' + '22'.repeat(15),
      issuer: { subjectDer: buildNameDer([['countryName', 'JP'], ['commonName', 'JPRS Organization Validation Authority - G4']]), keyIdentifier: keyIdentifierOf(issuerSpki) },
      notBefore: new Date('2026-11-26T00:00:00Z'),
      notAfter: new Date('2027-06-13T23:59:59Z'),
      dnsNames: ['www.example.jp'],
      commonName: 'www.example.jp',
      spkiDer,
      profile: 'ov',
      organization,
      urls: { crl: 'http://ca.example.jp/repository/crl/ov.crl', ocsp: 'http://ca.example.jp/ocsp/ov', caIssuers: 'http://ca.example.jp/repository/ca/ov.cer' },
      cps: { url: 'http://jprs.jp/pubcert/info/repository/', qualifier: true },
      includeSubjectKeyIdentifier: true,
      kind: 'final',
    };
    const der = await signCertificate(buildLeafTbs(params), signer, 'ov');
    expect(opensslOk(['x509', '-inform', 'DER', '-noout', '-subject', '-nameopt', 'oneline,-esc_msb'], der).trim())
      .toBe('subject=C = JP, ST = 東京都, L = 千代田区, O = 株式会社　テスト商事, CN = www.example.jp');
    const text = opensslOk(['x509', '-inform', 'DER', '-noout', '-text'], der);
    expect(text).toMatch(/Policy: 2\.23\.140\.1\.2\.2/);
    expect(text).not.toMatch(/Policy: 2\.23\.140\.1\.2\.1/);
  });
});
