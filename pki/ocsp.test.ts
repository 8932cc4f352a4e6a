/**
 * OCSP DER checked by independent tools: `openssl ocsp` parses and verifies our responses (signature, delegated
 * responder chain, status, reason) and produces the requests our parser reads; `openssl x509 -text` reads the
 * responder certificate field by field against CP 7.3; pkilint lints responses and the responder certificate when
 * installed (`pip install pkilint==0.13.3`, done by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaError } from '../domain/errors';
import { keyIdentifierOf, signCertificate } from './certificate';
import { decodeDer } from './der';
import { InMemorySigner } from './memory-signer';
import {
  buildOcspRequest,
  buildOcspResponderTbs,
  buildOcspResponse,
  certIdIssuerHashes,
  ocspErrorResponse,
  parseOcspRequest,
  responderKeyHash,
  type OcspCertStatus,
} from './ocsp';
import { pemEncode } from './pem';
import { linterTestTimeoutMs, openssl, opensslOk, pkilintCabfErrors, signTestHierarchy, tempDir, writeTemp, zlintProblems } from './test-support';

const signer = new InMemorySigner();
let dir: string;
let rootPem: string;
let dvPem: string;
let dvSubjectDer: Uint8Array;
let dvSpki: Uint8Array;
let responderDer: Uint8Array;
let responderPem: string;
const now = new Date();
const hours = (h: number) => new Date(now.getTime() + h * 3600_000);

const hasPkilint = spawnSync('lint_ocsp_response', ['--help'], { stdio: 'ignore' }).status === 0;
const hasZlint = spawnSync('zlint', ['-list-lints-source'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  dir = tempDir('ocsp-test-');
  const ca = await signTestHierarchy(signer, { notBefore: hours(-48), rootNotAfter: hours(24 * 365), dvNotAfter: hours(24 * 300) });
  rootPem = writeTemp(dir, 'root.pem', pemEncode('CERTIFICATE', ca.rootDer));
  dvPem = writeTemp(dir, 'dv.pem', pemEncode('CERTIFICATE', ca.dvDer));
  ({ dvSpki, dvSubjectDer } = ca);
  const responderSpki = await signer.publicKeySpki('ocsp-dv');
  responderDer = await signCertificate(
    buildOcspResponderTbs({
      serialHex: '5a' + '01'.repeat(19),
      issuer: { subjectDer: dvSubjectDer, keyIdentifier: keyIdentifierOf(dvSpki) },
      serverName: 'dv.g4.ocsp.pubcert.jprs.jp',
      notBefore: hours(-1),
      notAfter: hours(95),
      spkiDer: responderSpki,
    }),
    signer,
    'dv',
  );
  responderPem = writeTemp(dir, 'responder.pem', pemEncode('CERTIFICATE', responderDer));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function respond(serialHex: string, certStatus: OcspCertStatus): Promise<Uint8Array> {
  const { issuerNameHash, issuerKeyHash } = certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha1');
  return buildOcspResponse(
    {
      issuerNameHash,
      issuerKeyHash,
      serialHex,
      certStatus,
      thisUpdate: now,
      nextUpdate: hours(48),
      producedAt: now,
      responder: { certDer: responderDer, keyHash: responderKeyHash(await signer.publicKeySpki('ocsp-dv')), keyLabel: 'ocsp-dv' },
    },
    signer,
  );
}

/** `openssl ocsp -respin` with the issuer and the root: verifies the signature and the delegated responder. */
function opensslCheck(der: Uint8Array, serialHex: string): string {
  const file = writeTemp(dir, `resp-${serialHex}.der`, der);
  const r = openssl(['ocsp', '-respin', file, '-issuer', dvPem, '-serial', `0x${serialHex}`, '-CAfile', rootPem, '-verify_other', dvPem, '-resp_text']);
  expect(r.status, r.out).toBe(0);
  return r.out; // stdout + stderr ("Response verify OK" goes to stderr)
}

describe('pre-signed responses (RFC 6960 4.2, RFC 5019 2.2, CP 7.3), read by openssl', () => {
  it('good: verifies with the delegated responder under the issuing CA, v1, byKey, no extensions', async () => {
    const der = await respond('7a' + 'cd'.repeat(17), { status: 'good' });
    const out = opensslCheck(der, '7a' + 'cd'.repeat(17));
    expect(out).toContain('Response verify OK');
    expect(out).toMatch(/0x7acd[0-9a-f]*: good/i);
    expect(out).toContain('OCSP Response Status: successful (0x0)');
    expect(out).toContain('Response Type: Basic OCSP Response');
    expect(out).toContain('Version: 1 (0x0)');
    expect(out).toMatch(/Responder Id: [0-9A-F]{40}/);
    expect(out).not.toMatch(/Response Extensions|Nonce/);
    expect(out).toContain('Hash Algorithm: sha1');
    expect(out).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it.each([
    ['keyCompromise (1)', 1, 'keyCompromise'],
    ['superseded (4)', 4, 'superseded'],
    ['cessationOfOperation (5)', 5, 'cessationOfOperation'],
    // OpenSSL 3.0's table stops at 8: it prints reason 9 as "(UNKNOWN) (0x9)"; the code is what matters.
    ['privilegeWithdrawn (9)', 9, '(UNKNOWN)'],
  ])('revoked with reason %s carries revocationReason', async (_n, reason, name) => {
    const serial = '6b' + '01'.repeat(10) + reason.toString(16).padStart(2, '0');
    const revokedAt = new Date('2026-11-20T10:11:12Z');
    const out = opensslCheck(await respond(serial, { status: 'revoked', revokedAt, reason }), serial);
    expect(out).toContain('Response verify OK');
    expect(out).toMatch(new RegExp(`0x${serial}: revoked`, 'i'));
    expect(out, out).toContain(`Revocation Reason: ${name} (0x${reason.toString(16)})`);
    expect(out).toMatch(/Revocation Time: Nov 20 10:11:12 2026 GMT/);
  });

  it('revoked with reason unspecified (0) has no revocationReason, as in the CRL (BR 7.2.2)', async () => {
    const serial = '6c' + '02'.repeat(12);
    const out = opensslCheck(await respond(serial, { status: 'revoked', revokedAt: now, reason: 0 }), serial);
    expect(out).toMatch(/revoked/);
    expect(out).not.toContain('Reason:');
  });

  it('refuses certificateHold (CP 4.9.13: no suspension)', async () => {
    await expect(respond('6d01', { status: 'revoked', revokedAt: now, reason: 6 })).rejects.toThrow(CaError);
  });

  it('times are whole-second GeneralizedTime; nextUpdate − thisUpdate is what was asked', async () => {
    const der = await respond('7b01', { status: 'good' });
    const out = opensslCheck(der, '7b01');
    const thisUpdate = Date.parse(/This Update: (.+)/.exec(out)![1]!);
    const nextUpdate = Date.parse(/Next Update: (.+)/.exec(out)![1]!);
    expect(nextUpdate - thisUpdate).toBe(48 * 3600_000);
    const basic = decodeDer(
      (decodeDer(der, 'OCSP response', pkijs.OCSPResponse).responseBytes!.response as asn1js.OctetString).valueBlock.valueHexView,
      'BasicOCSPResponse',
      pkijs.BasicOCSPResponse,
    );
    expect(basic.tbsResponseData.producedAt.getUTCMilliseconds()).toBe(0);
  });

  it.runIf(hasPkilint)('pkilint lint_ocsp_response reports no error or warning for good and revoked', async () => {
    for (const [name, status] of [
      ['good', { status: 'good' }],
      ['revoked', { status: 'revoked', revokedAt: hours(-2), reason: 1 }],
    ] as const) {
      const file = writeTemp(dir, `lint-${name}.der`, await respond('7c' + '03'.repeat(15), status));
      const r = spawnSync('lint_ocsp_response', ['lint', '-s', 'WARNING', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim(), name).toBe('');
      // Not vacuous: at -s ALL the same run lists the validators it applied to the decoded response.
      const all = spawnSync('lint_ocsp_response', ['lint', '-s', 'ALL', file], { encoding: 'utf8' });
      expect(all.stdout).toMatch(/basicOCSPResponse\.tbsResponseData/);
    }
  }, linterTestTimeoutMs);
});

describe('error responses (RFC 6960 4.2.1): status only, no responseBytes', () => {
  it.each([
    ['malformedRequest', 'malformedRequest', /malformedrequest \(1\)/i],
    ['unauthorized', 'unauthorized', /unauthorized \(6\)/i],
    ['internalError', 'internalError', /internalerror \(2\)/i],
  ] as const)('%s', (_n, status, pattern) => {
    const file = writeTemp(dir, `err-${status}.der`, ocspErrorResponse(status));
    const r = openssl(['ocsp', '-respin', file, '-resp_text', '-noverify']);
    expect(r.out).toMatch(pattern);
  });
});

describe('request parsing (RFC 6960 4.1.1, RFC 5019 2.1.1)', () => {
  function opensslRequest(serial: string, extra: string[] = [], digest: string[] = []): Uint8Array {
    const out = writeTemp(dir, `req-${serial}.der`, new Uint8Array());
    // openssl wants the CertID digest option before -serial.
    opensslOk(['ocsp', '-issuer', dvPem, ...digest, '-serial', `0x${serial}`, '-reqout', out, ...extra]);
    return new Uint8Array(fs.readFileSync(out));
  }

  it('reads an openssl request with a nonce (the nonce is ignored)', () => {
    const r = parseOcspRequest(opensslRequest('0a0b0c'));
    const expected = certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha1');
    expect(r.hashAlgorithm).toBe('sha1');
    expect(Buffer.from(r.issuerNameHash)).toEqual(Buffer.from(expected.issuerNameHash));
    expect(Buffer.from(r.issuerKeyHash)).toEqual(Buffer.from(expected.issuerKeyHash));
    expect(r.serialHex).toBe('a0b0c');
  });

  it('reads an openssl SHA-256 CertID (-sha256) and a request without nonce', () => {
    const r = parseOcspRequest(opensslRequest('8899', ['-no_nonce'], ['-sha256']));
    const expected = certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha256');
    expect(r.hashAlgorithm).toBe('sha256');
    expect(Buffer.from(r.issuerKeyHash)).toEqual(Buffer.from(expected.issuerKeyHash));
    expect(r.serialHex).toBe('8899');
  });

  it('the key hash equals the issuing CA key identifier (RFC 5280 4.2.1.2 method 1)', () => {
    expect(Buffer.from(certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha1').issuerKeyHash)).toEqual(Buffer.from(keyIdentifierOf(dvSpki)));
  });

  it('round-trips our own request builder, which openssl also reads', () => {
    const { issuerNameHash, issuerKeyHash } = certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha1');
    const der = buildOcspRequest({ issuerNameHash, issuerKeyHash, serialHex: '80ff' });
    expect(parseOcspRequest(der).serialHex).toBe('80ff');
    const text = opensslOk(['ocsp', '-reqin', writeTemp(dir, 'own-req.der', der), '-req_text']);
    expect(text).toMatch(/Serial Number: 80FF/);
  });

  it('a request with two CertIDs is malformed (RFC 5019 2.1.1: exactly one)', () => {
    const two = opensslRequest('01', ['-serial', '0x02']);
    expect(() => parseOcspRequest(two)).toThrow(/exactly one/);
  });

  it.each([
    ['empty body', new Uint8Array()],
    ['not DER', new TextEncoder().encode('hello, world')],
    ['truncated', () => opensslRequest('0d0e').subarray(0, 20)],
    ['trailing bytes', () => Uint8Array.from([...opensslRequest('0d0f'), 0])],
    ['a certificate instead of a request', () => responderDer],
    ['an empty requestList', Uint8Array.of(0x30, 0x04, 0x30, 0x02, 0x30, 0x00)],
  ])('malformed: %s', (_n, input) => {
    const der = typeof input === 'function' ? input() : input;
    expect(() => parseOcspRequest(der)).toThrow(CaError);
  });

  it('zero or negative serials parse but match nothing (serialHex null)', () => {
    const { issuerNameHash, issuerKeyHash } = certIdIssuerHashes(dvSubjectDer, dvSpki, 'sha1');
    const der = buildOcspRequest({ issuerNameHash, issuerKeyHash, serialHex: '01' });
    const zero = Uint8Array.from(der);
    zero[zero.length - 1] = 0; // INTEGER 1 -> INTEGER 0
    expect(parseOcspRequest(zero).serialHex).toBeNull();
    const negative = Uint8Array.from(der);
    negative[negative.length - 1] = 0xff; // INTEGER -1
    expect(parseOcspRequest(negative).serialHex).toBeNull();
  });
});

describe('delegated responder certificate (CP 7.3), field by field with openssl x509 -text', () => {
  let txt: string;
  beforeAll(() => {
    txt = opensslOk(['x509', '-in', responderPem, '-noout', '-text']);
  });

  it('v3, sha256WithRSAEncryption, issuer = the issuing CA, CP 7.3 subject, RSA 2048', () => {
    expect(txt).toContain('Version: 3 (0x2)');
    expect(txt).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(txt).toMatch(/Issuer: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?JPRS Domain Validation Authority - G4/);
    expect(txt).toMatch(/Subject: C ?= ?JP, O ?= ?"?Japan Registry Services Co\., Ltd\."?, CN ?= ?dv\.g4\.ocsp\.pubcert\.jprs\.jp\n/);
    expect(txt).toContain('Public-Key: (2048 bit)');
  });

  it('keyUsage critical digitalSignature only; EKU OCSPSigning only; ocsp-nocheck; AKI and SKI', () => {
    expect(txt).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(txt).toMatch(/X509v3 Extended Key Usage: \n\s+OCSP Signing\n/);
    expect(txt).toMatch(/OCSP No Check: ?\n/);
    expect(txt).toContain('X509v3 Authority Key Identifier');
    expect(txt).toContain('X509v3 Subject Key Identifier');
  });

  it('no certificatePolicies (CP 7.3: never from 2023-09-15), no basicConstraints CA, no CRL DP / AIA', () => {
    expect(txt).not.toContain('Certificate Policies');
    expect(txt).not.toContain('CA:TRUE');
    expect(txt).not.toContain('CRL Distribution Points');
    expect(txt).not.toContain('Authority Information Access');
  });

  it('validity of 4 days (CP 7.3 example) as built', () => {
    const start = Date.parse(/Not Before: (.+)/.exec(txt)![1]!);
    const end = Date.parse(/Not After : (.+)/.exec(txt)![1]!);
    expect(end - start).toBe(96 * 3600_000);
  });

  it('verifies under the issuing CA and the root with purpose ocsphelper', () => {
    const out = opensslOk(['verify', '-CAfile', rootPem, '-untrusted', dvPem, '-purpose', 'ocsphelper', responderPem]);
    expect(out.trim()).toBe(`${responderPem}: OK`);
  });

  it.runIf(hasPkilint)('pkilint (CA/B serverauth, OCSP responder type) reports no error', () => {
    expect(pkilintCabfErrors(responderPem, 'OCSP-RESPONDER')).toBe('');
  }, linterTestTimeoutMs);

  it.runIf(hasZlint)('zlint reports no error or warning', () => {
    expect(zlintProblems(responderPem)).toEqual([]);
  }, linterTestTimeoutMs);
});
