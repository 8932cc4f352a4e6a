import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaError } from '../domain/errors';
import { parseAndVerifyCsr, parseCsr, verifyCsrSignature } from './csr';
import { children, concat, readTlv, slice, tlv } from './der';
import { pemEncode } from './pem';
import { openssl, opensslOk, tempDir, writeTemp } from './test-support';

// CSRs are made by OpenSSL (an independent encoder), from keys generated here and kept in a temp dir.
let dir: string;
let rsaKeyFile: string;
let ecKeyFile: string;
let rsaModulus: bigint;

let counter = 0;
function opensslCsr(keyFile: string, subj: string, san?: string): Uint8Array {
  const out = writeTemp(dir, `csr-${counter++}.der`, '');
  const args = ['req', '-new', '-key', keyFile, '-subj', subj, '-outform', 'DER', '-sha256', '-out', out];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  opensslOk(args);
  return new Uint8Array(fs.readFileSync(out));
}

let plain: Uint8Array;

/** The CSR with its CertificationRequestInfo replaced by `edit(fields)` (the signature no longer matters: parsing comes first). */
function withInfo(der: Uint8Array, edit: (info: Uint8Array, fields: ReturnType<typeof children>) => Uint8Array[]): Uint8Array {
  const outer = readTlv(der);
  const [info, alg, sig] = children(der, outer);
  const infoDer = slice(der, info!);
  return tlv(0x30, concat([tlv(0x30, concat(edit(infoDer, children(infoDer, readTlv(infoDer))))), slice(der, alg!), slice(der, sig!)]));
}

/** An extra attribute (RFC 2986 4.1) of type 1.2.3.4 whose one value is `value`. */
function withAttribute(der: Uint8Array, value: Uint8Array): Uint8Array {
  const attribute = tlv(0x30, concat([Uint8Array.of(0x06, 0x03, 0x2a, 0x03, 0x04), tlv(0x31, value)]));
  return withInfo(der, (info, fields) =>
    fields.map((f) => (f.tag === 0xa0 ? tlv(0xa0, concat([info.subarray(f.contentStart, f.end), attribute])) : slice(info, f))),
  );
}

/** The subject replaced by one RDN whose commonName value is `value`. */
function withSubjectValue(der: Uint8Array, value: Uint8Array): Uint8Array {
  const cn = tlv(0x30, tlv(0x31, tlv(0x30, concat([Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03), value]))));
  return withInfo(der, (info, fields) => fields.map((f, i) => (i === 1 ? cn : slice(info, f))));
}

beforeAll(() => {
  dir = tempDir('csr-test-');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  rsaKeyFile = writeTemp(dir, 'rsa.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const jwk = rsa.publicKey.export({ format: 'jwk' });
  rsaModulus = BigInt(`0x${Buffer.from(jwk.n!, 'base64url').toString('hex')}`);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  ecKeyFile = writeTemp(dir, 'ec.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  plain = opensslCsr(rsaKeyFile, '/CN=www.example.jp', 'DNS:www.example.jp,DNS:example.jp');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaError);
    expect((e as CaError).kind).toBe('malformed');
    return;
  }
  throw new Error('expected CaError(malformed)');
}

describe('parseCsr: input forms (RFC 2986, RFC 7468)', () => {
  it.each([
    ['DER bytes', () => plain],
    ['PEM string', () => pemEncode('CERTIFICATE REQUEST', plain)],
    ['PEM bytes', () => new TextEncoder().encode(pemEncode('CERTIFICATE REQUEST', plain))],
    ['PEM with CRLF and stray whitespace (RFC 7468 lax)', () => `\r\n  ${pemEncode('CERTIFICATE REQUEST', plain).replace(/\n/g, '\r\n  ')}`],
    ['legacy NEW CERTIFICATE REQUEST label', () => pemEncode('NEW CERTIFICATE REQUEST', plain)],
    ['base64url DER (ACME finalize, RFC 8555 7.4)', () => Buffer.from(plain).toString('base64url')],
  ])('accepts %s', (_name, input) => {
    const csr = parseCsr(input());
    expect(Buffer.from(csr.der).equals(Buffer.from(plain))).toBe(true);
    expect(csr.commonNames).toEqual(['www.example.jp']);
  });

  it.each([
    ['garbage bytes', () => new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])],
    ['garbage text', () => 'this is not a CSR!'],
    ['empty input', () => new Uint8Array()],
    ['truncated DER', () => plain.subarray(0, plain.length - 10)],
    ['trailing bytes after the CSR', () => new Uint8Array([...plain, 0x00])],
    ['PEM with the wrong label (a certificate is not a CSR)', () => pemEncode('CERTIFICATE', plain)],
    ['PEM with mismatched BEGIN/END labels', () => pemEncode('CERTIFICATE REQUEST', plain).replace('END CERTIFICATE REQUEST', 'END X509 CRL')],
    ['a DER SEQUENCE that is not a CertificationRequest', () => new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
    // asn1js throws on these instead of returning its error result.
    ['a malformed GeneralizedTime instead of a CSR', () => Uint8Array.of(0x18, 0x03, 0x61, 0x62, 0x63)],
    ['a CSR carrying a malformed GeneralizedTime in an attribute', () => withAttribute(plain, tlv(0x18, new TextEncoder().encode('abc')))],
    ['a CSR carrying a malformed GeneralizedTime in its subject', () => withSubjectValue(plain, tlv(0x18, new TextEncoder().encode('20xx')))],
  ])('refuses %s as malformed', (_name, input) => {
    expectMalformed(() => parseCsr(input()));
  });
});

describe('parseCsr: contents', () => {
  it('extracts the SAN dNSNames in CSR order, the CN, the SPKI and its SHA-256', () => {
    const csr = parseCsr(plain);
    expect(csr.dnsNames).toEqual(['www.example.jp', 'example.jp']);
    expect(csr.otherSanTypes).toEqual([]);
    // SPKI as OpenSSL extracts it from the same CSR.
    const spkiPem = opensslOk(['req', '-inform', 'DER', '-noout', '-pubkey'], plain);
    const spkiDer = Buffer.from(spkiPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    expect(Buffer.from(csr.spkiDer).equals(spkiDer)).toBe(true);
    expect(Buffer.from(csr.spkiSha256).toString('hex')).toBe(createHash('sha256').update(spkiDer).digest('hex'));
  });

  it('reports an RSA key with modulus, exponent and bit size (CP 6.1.5 input)', () => {
    const csr = parseCsr(plain);
    expect(csr.publicKey).toEqual({ kind: 'rsa', modulus: rsaModulus, exponent: 65537n, bits: 2048 });
  });

  it('reports an EC key as kind "other" with its algorithm OID (CP 6.1.5: RSA only, caller refuses)', () => {
    const csr = parseCsr(opensslCsr(ecKeyFile, '/CN=ec.example.jp', 'DNS:ec.example.jp'));
    expect(csr.publicKey).toEqual({ kind: 'other', algorithmOid: '1.2.840.10045.2.1' });
  });

  it('lists ip, email and uri SAN entries so the caller can refuse them (CP 7.1.1: dNSName only)', () => {
    const csr = parseCsr(opensslCsr(rsaKeyFile, '/CN=a.example.jp', 'DNS:a.example.jp,IP:192.0.2.1,email:x@example.jp,URI:http://example.jp/'));
    expect(csr.dnsNames).toEqual(['a.example.jp']);
    expect([...csr.otherSanTypes].sort()).toEqual(['email', 'ip', 'uri']);
  });

  it('a CSR without extensionRequest has no dnsNames (CN only)', () => {
    const csr = parseCsr(opensslCsr(rsaKeyFile, '/CN=only-cn.example.jp'));
    expect(csr.dnsNames).toEqual([]);
    expect(csr.commonNames).toEqual(['only-cn.example.jp']);
  });
});

describe('proof of possession (CP 3.2.1)', () => {
  it('a CSR signed by its own key verifies (RSA and ECDSA)', async () => {
    expect(await verifyCsrSignature(parseCsr(plain))).toBe(true);
    expect(await verifyCsrSignature(parseCsr(opensslCsr(ecKeyFile, '/CN=ec.example.jp')))).toBe(true);
  });

  it('a CSR whose signature was altered does not verify, and parseAndVerifyCsr throws badCsr citing CP 3.2.1', async () => {
    const bad = new Uint8Array(plain);
    bad[bad.length - 1]! ^= 0x01;
    // OpenSSL 3.0 exits 0 either way: read its verdict.
    expect(openssl(['req', '-inform', 'DER', '-noout', '-verify'], plain).out).toContain('verify OK');
    expect(openssl(['req', '-inform', 'DER', '-noout', '-verify'], bad).out).toContain('verify failure');
    expect(await verifyCsrSignature(parseCsr(bad))).toBe(false);
    await expect(parseAndVerifyCsr(bad)).rejects.toMatchObject({ kind: 'badCsr', details: { rule: 'CP 3.2.1' } });
  });

  it('a CSR whose signed content was altered (subject) does not verify', async () => {
    const bad = new Uint8Array(plain);
    const at = Buffer.from(bad).indexOf(Buffer.from('www.example.jp'));
    bad[at] = 'x'.charCodeAt(0);
    const csr = parseCsr(bad);
    expect(csr.commonNames).toEqual(['xww.example.jp']);
    expect(await verifyCsrSignature(csr)).toBe(false);
  });
});
