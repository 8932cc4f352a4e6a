/**
 * OCSP (RFC 6960, profiled by RFC 5019 and CP 7.3): the delegated responder certificate profile, pre-signed
 * BasicOCSPResponses (pkijs; signed through the Signer port, i.e. in the HSM), the fixed error responses, and a
 * strict, allocation-light parser of OCSPRequests for the serving path (raw DER TLVs: no schema matching per request).
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import { buildSignedByCaTbs, keyIdentifierOf, serialToIntegerBytes, type SigningCa } from './certificate';
import { checkDerStructure, children, concat, encodeOid, readTlv, readUntrusted, slice, tlv, toHex, untrustedDerLimits, type Tlv } from './der';
import { extKeyUsage, keyUsage, ocspNoCheck, oids, sha256WithRsa } from './extensions';
import { buildName, type NameAttribute } from './names';
import type { Signer } from './signer';
import './engine';

export const ocspOids = {
  /** RFC 6960 4.2.1: id-pkix-ocsp-basic. */
  basic: '1.3.6.1.5.5.7.48.1.1',
  /** RFC 6960 4.4.1: id-pkix-ocsp-nonce (ignored: RFC 5019 pre-signed responses carry none). */
  nonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** RFC 6960 4.2.1 OCSPResponseStatus. */
export const ocspResponseStatus = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspErrorStatus = Exclude<keyof typeof ocspResponseStatus, 'successful'>;

/** OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } — no responseBytes for the error statuses (RFC 6960 4.2.1). */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  return Uint8Array.of(0x30, 0x03, 0x0a, 0x01, ocspResponseStatus[status]);
}

const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

export type OcspHashAlgorithm = 'sha1' | 'sha256';

/** The value of the subjectPublicKey BIT STRING (without the unused-bits octet) of an SPKI. */
function subjectPublicKeyBits(spkiDer: Uint8Array): Uint8Array {
  const spki = readTlv(spkiDer);
  const [, bits] = children(spkiDer, spki);
  if (!bits || bits.tag !== 0x03) throw new CaError('malformed', 'SubjectPublicKeyInfo has no BIT STRING');
  return spkiDer.subarray(bits.contentStart + 1, bits.end);
}

/**
 * RFC 6960 4.1.1 CertID hashes of an issuer: the hash of its DER subject Name and of its subjectPublicKey value.
 * (With SHA-1 the key hash equals the RFC 5280 4.2.1.2 method-1 key identifier, i.e. the leaves' AKI.)
 */
export function certIdIssuerHashes(issuerSubjectDer: Uint8Array, issuerSpkiDer: Uint8Array, alg: OcspHashAlgorithm) {
  const h = alg === 'sha1' ? sha1 : sha256;
  return { issuerNameHash: h(issuerSubjectDer), issuerKeyHash: h(subjectPublicKeyBits(issuerSpkiDer)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

export interface ParsedOcspRequest {
  /** null when the CertID uses a hash algorithm we do not answer for (then: unauthorized, not malformed). */
  readonly hashAlgorithm: OcspHashAlgorithm | null;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Lowercase hex without leading zeros (the stored form); null for a zero or negative serial (never issued). */
  readonly serialHex: string | null;
}

/** RFC 6960 A.1: one CertID is ~100 bytes; a signed request with its certificates stays far below this. */
const ocspRequestLimits = { ...untrustedDerLimits, maxBytes: 16 * 1024 };

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new CaError('malformed', `${what} expected`);
  return t;
}

const sha1Oid = tlv(0x06, Uint8Array.of(0x2b, 0x0e, 0x03, 0x02, 0x1a));
const sha256Oid = tlv(0x06, Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01));

function hashAlgorithmOf(der: Uint8Array, alg: Tlv): OcspHashAlgorithm | null {
  const [oid, params, extra] = children(der, alg);
  expectTag(oid, 0x06, 'hash algorithm OID');
  // AlgorithmIdentifier parameters: absent or NULL for SHA-1/SHA-256 (RFC 5754 2).
  if (extra || (params && !(params.tag === 0x05 && params.end === params.contentStart))) {
    throw new CaError('malformed', 'unexpected hash algorithm parameters');
  }
  const o = slice(der, oid!);
  if (o.length === sha1Oid.length && o.every((v, i) => v === sha1Oid[i])) return 'sha1';
  if (o.length === sha256Oid.length && o.every((v, i) => v === sha256Oid[i])) return 'sha256';
  return null;
}

/**
 * Parses an OCSPRequest (RFC 6960 4.1.1). RFC 5019 2.1.1: exactly one Request; anything else, trailing bytes, or
 * broken DER is `malformedRequest`. requestorName, the nonce and other extensions, and an optional signature are
 * ignored (CP 7.3: no OCSP extensions; pre-signed responses cannot echo a nonce).
 */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  // Untrusted (an unauthenticated door): the guarded structural check first (pki/der.ts), then this walk of the TLVs.
  checkDerStructure(der, 'OCSP request', ocspRequestLimits);
  return readUntrusted('OCSP request', () => ocspRequestFields(der));
}

function ocspRequestFields(der: Uint8Array): ParsedOcspRequest {
  const outer = expectTag(readTlv(der), 0x30, 'OCSPRequest SEQUENCE');
  const [tbs, signature, extra] = children(der, outer);
  expectTag(tbs, 0x30, 'TBSRequest');
  if (extra || (signature && signature.tag !== 0xa0)) throw new CaError('malformed', 'unexpected field after TBSRequest');
  const fields = children(der, tbs!);
  let i = 0;
  if (fields[i]?.tag === 0xa0) {
    const [v] = children(der, fields[i]!);
    const value = expectTag(v, 0x02, 'version INTEGER');
    if (value.end - value.contentStart !== 1 || der[value.contentStart] !== 0) throw new CaError('malformed', 'only v1 is defined');
    i++;
  }
  if (fields[i]?.tag === 0xa1) i++; // requestorName
  const list = expectTag(fields[i], 0x30, 'requestList');
  i++;
  if (fields[i]?.tag === 0xa2) i++; // requestExtensions (nonce, ...): ignored
  if (i !== fields.length) throw new CaError('malformed', 'unexpected field in TBSRequest');
  const requests = children(der, list);
  if (requests.length !== 1) throw new CaError('malformed', `${requests.length} requests (RFC 5019 2.1.1: exactly one)`);
  const [certId, singleExts, more] = children(der, expectTag(requests[0], 0x30, 'Request'));
  if (more || (singleExts && singleExts.tag !== 0xa0)) throw new CaError('malformed', 'unexpected field in Request');
  const [alg, nameHash, keyHash, serial, trailing] = children(der, expectTag(certId, 0x30, 'CertID'));
  if (trailing) throw new CaError('malformed', 'unexpected field in CertID');
  const hashAlgorithm = hashAlgorithmOf(der, expectTag(alg, 0x30, 'hashAlgorithm'));
  const n = expectTag(nameHash, 0x04, 'issuerNameHash');
  const k = expectTag(keyHash, 0x04, 'issuerKeyHash');
  const s = expectTag(serial, 0x02, 'serialNumber INTEGER');
  const issuerNameHash = der.slice(n.contentStart, n.end);
  const issuerKeyHash = der.slice(k.contentStart, k.end);
  const expectedLength = hashAlgorithm === 'sha1' ? 20 : hashAlgorithm === 'sha256' ? 32 : null;
  if (expectedLength !== null && (issuerNameHash.length !== expectedLength || issuerKeyHash.length !== expectedLength)) {
    throw new CaError('malformed', 'hash length does not match the hash algorithm');
  }
  const serialBytes = der.subarray(s.contentStart, s.end);
  if (serialBytes.length === 0 || serialBytes.length > 21) throw new CaError('malformed', 'bad serialNumber length');
  let serialHex: string | null = null;
  if ((serialBytes[0]! & 0x80) === 0) {
    const hex = toHex(serialBytes).replace(/^0+/, '');
    serialHex = hex.length > 0 ? hex : null;
  }
  return { hashAlgorithm, issuerNameHash, issuerKeyHash, serialHex };
}

/** An OCSPRequest for one certificate (tests, the benchmark's load generator). No nonce, unsigned. */
export function buildOcspRequest(p: { issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array; serialHex: string; hashAlgorithm?: OcspHashAlgorithm }): Uint8Array {
  const alg = tlv(0x30, concat([(p.hashAlgorithm ?? 'sha1') === 'sha1' ? sha1Oid : sha256Oid, Uint8Array.of(0x05, 0x00)]));
  const certId = tlv(0x30, concat([alg, tlv(0x04, p.issuerNameHash), tlv(0x04, p.issuerKeyHash), tlv(0x02, serialToIntegerBytes(p.serialHex))]));
  return tlv(0x30, tlv(0x30, tlv(0x30, tlv(0x30, certId))));
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

export type OcspCertStatus =
  | { readonly status: 'good' }
  /** reason: RFC 5280 5.3.1 CRLReason; 0 (unspecified) is written as an absent revocationReason, as in the CRL (BR 7.2.2). */
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: number };

export interface OcspResponderRef {
  /** The delegated responder certificate, carried in `certs` so clients can verify it (RFC 6960 4.2.2.2). */
  readonly certDer: Uint8Array;
  /** SHA-1 of its subjectPublicKey: ResponderID byKey (RFC 6960 4.2.2.3, RFC 5019 2.2.3). */
  readonly keyHash: Uint8Array;
  readonly keyLabel: string;
}

export interface OcspResponseParams {
  /** SHA-1 CertID hashes of the issuing CA (RFC 5019 2.1.1: SHA-1 is what clients send). */
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serialHex: string;
  readonly certStatus: OcspCertStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly producedAt: Date;
  readonly responder: OcspResponderRef;
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
/** DER GeneralizedTime without fractional seconds (RFC 5280 4.1.2.5.2, which pkilint applies to OCSP too). */
const generalizedTime = (d: Date) => new asn1js.GeneralizedTime({ valueDate: wholeSeconds(d) });

function certStatusSchema(s: OcspCertStatus): asn1js.BaseBlock {
  if (s.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }); // [0] IMPLICIT NULL
  const value: asn1js.BaseBlock[] = [generalizedTime(s.revokedAt)];
  if (s.reason !== 0) {
    if (!Number.isInteger(s.reason) || s.reason < 0 || s.reason > 10 || s.reason === 7 || s.reason === 6) {
      // 6 = certificateHold: CP 4.9.13 (no suspension); 7 is unassigned in RFC 5280.
      throw new CaError('internal', `revocation reason ${s.reason} is not allowed (CP 7.2.3)`);
    }
    value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: s.reason })] }));
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value }); // [1] IMPLICIT RevokedInfo
}

/**
 * A successful OCSPResponse with one SingleResponse, version v1 (DEFAULT, omitted), responderID byKey, no
 * extensions (CP 7.3), sha256WithRSAEncryption, the responder certificate in `certs`; the ResponseData is signed
 * with the responder key through the Signer (HSM).
 */
export async function buildOcspResponse(p: OcspResponseParams, signer: Signer): Promise<Uint8Array> {
  if (p.nextUpdate.getTime() <= p.thisUpdate.getTime()) throw new CaError('internal', 'nextUpdate must be after thisUpdate');
  const single = new pkijs.SingleResponse({
    certID: new pkijs.CertID({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: ocspOids.sha1, algorithmParams: new asn1js.Null() }),
      issuerNameHash: new asn1js.OctetString({ valueHex: p.issuerNameHash.slice() }),
      issuerKeyHash: new asn1js.OctetString({ valueHex: p.issuerKeyHash.slice() }),
      serialNumber: new asn1js.Integer({ valueHex: serialToIntegerBytes(p.serialHex) }),
    }),
    certStatus: certStatusSchema(p.certStatus),
    thisUpdate: wholeSeconds(p.thisUpdate),
    nextUpdate: wholeSeconds(p.nextUpdate),
  });
  const data = new pkijs.ResponseData({
    // TOOLCHAIN.md: pass the bare key-hash OCTET STRING; pkijs writes the [2] byKey wrapper.
    responderID: new asn1js.OctetString({ valueHex: p.responder.keyHash.slice() }),
    producedAt: wholeSeconds(p.producedAt),
    responses: [single],
  });
  const tbsDer = new Uint8Array(data.toSchema(true).toBER(false));
  const signature = await signer.signSha256Rsa(p.responder.keyLabel, tbsDer);
  // The envelope around the signed ResponseData is assembled from DER directly: the responder certificate is
  // embedded byte for byte, and re-parsing it with pkijs for every response cost more than the HSM signature.
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT
  // SEQUENCE OF Certificate }
  const basicDer = tlv(0x30, concat([tbsDer, sha256WithRsaDer, tlv(0x03, concat([Uint8Array.of(0), signature])), tlv(0xa0, tlv(0x30, p.responder.certDer))]));
  // OCSPResponse ::= SEQUENCE { responseStatus successful, responseBytes [0] EXPLICIT { id-pkix-ocsp-basic, OCTET STRING } }
  return tlv(0x30, concat([Uint8Array.of(0x0a, 0x01, ocspResponseStatus.successful), tlv(0xa0, tlv(0x30, concat([basicOid, tlv(0x04, basicDer)])))]));
}

const sha256WithRsaDer = new Uint8Array(sha256WithRsa().toSchema().toBER(false));
const basicOid = tlv(0x06, encodeOid(ocspOids.basic));

// ---------------------------------------------------------------------------------------------------------------
// The delegated responder certificate (CP 7.3)

/** CP 7.3 subject: C=JP, O=Japan Registry Services Co., Ltd., CN=<OCSP server name>. */
export function ocspResponderSubject(serverName: string): readonly NameAttribute[] {
  return [
    ['countryName', 'JP'],
    ['organizationName', 'Japan Registry Services Co., Ltd.'],
    ['commonName', serverName],
  ];
}

/** "The OCSP server name" of CP 7.3: the host of the issuing CA's OCSP URL (e.g. dv.g4.ocsp.pubcert.jprs.jp). */
export function ocspServerName(ocspUrl: string): string {
  return new URL(ocspUrl).hostname;
}

export interface OcspResponderParams {
  readonly serialHex: string;
  readonly issuer: SigningCa;
  readonly serverName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
}

/**
 * CP 7.3 profile: v3, sha256WithRSAEncryption, issuer = the issuing CA, AKI, SKI, keyUsage critical
 * digitalSignature, extKeyUsage id-kp-OCSPSigning only (BR 7.1.2.8.2), id-pkix-ocsp-nocheck (NULL), and no
 * certificatePolicies (CP 7.3: never from 2023-09-15). No basicConstraints (BR 7.1.2.8.2: MAY; CP 7.3 lists none).
 */
export function buildOcspResponderTbs(p: OcspResponderParams): pkijs.Certificate {
  return buildSignedByCaTbs({ ...p, subject: buildName(ocspResponderSubject(p.serverName)) }, [
    keyUsage(['digitalSignature']),
    extKeyUsage([oids.id_kp_OCSPSigning]),
    ocspNoCheck(),
  ]);
}

/** SHA-1 of the responder key: ResponderID byKey. */
export const responderKeyHash = keyIdentifierOf;

export { sha1 as sha1Digest };
