/**
 * The subscriber certificate profiles (CP 7.1.1, DV and OV) with the BR adjustments of POLICY-2026.md, built as an
 * unsigned pkijs.Certificate, signed through the Signer port (HSM), and the RFC 6962 precertificate/final
 * correspondence helpers (issuance cycle steps 6, 7 and 10).
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import type { Signer } from './signer';
import { bytesEqual, children, concat, decodeDer, encodeOid, readTlv, slice, tlv } from './der';
import './engine';
import {
  authorityInfoAccess,
  authorityKeyIdentifier,
  certificatePolicies,
  crlDistributionPoints,
  ctPoison,
  ctSctList,
  extKeyUsage,
  keyUsage,
  oids,
  sha256WithRsa,
  subjectAltNameDns,
  subjectKeyIdentifier,
  type PolicySpec,
} from './extensions';
import { parseSan } from './csr';
import { buildName, nameFromDer, type NameAttribute } from './names';

export interface LeafParams {
  /** Serial as hex (BR 7.1: positive, < 2^159, >= 64 bits of CSPRNG output; chosen by the caller). */
  readonly serialHex: string;
  readonly issuer: SigningCa;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: readonly string[];
  /** BR 7.1.4.3: when present, a copy of one of the SAN entries. DV subject = this CN only (CP 7.1.1). */
  readonly commonName?: string;
  readonly spkiDer: Uint8Array;
  readonly profile: 'dv' | 'ov';
  /** OV only (CP 7.1.1, BR 7.1.2.7.4): the vetted organization's C, ST, L and O; never from the CSR. */
  readonly organization?: OrganizationSubject;
  readonly urls: { readonly crl: string; readonly ocsp: string; readonly caIssuers: string };
  /** CP 7.1.1 CPS qualifier on the CP OID; BR 7.1.2.7.9 makes it NOT RECOMMENDED, hence the switch. */
  readonly cps: { readonly url: string; readonly qualifier: boolean };
  /** BR 7.1.2.7.6: SKI is NOT RECOMMENDED in leaves (CP 7.1.1 lists it): configurable. */
  readonly includeSubjectKeyIdentifier: boolean;
  readonly kind: 'precertificate' | 'final';
  /** Final certificate only: the RFC 6962 3.3 extension value (OCTET STRING-wrapped TLS SCT list). */
  readonly sctListExtensionValue?: Uint8Array;
}

export interface OrganizationSubject {
  readonly country: string;
  readonly stateOrProvince: string;
  readonly locality: string;
  readonly organizationName: string;
}

/**
 * The leaf subject: DV = CN only; OV = C, ST, L, O, CN in the BR 7.1.4.2 RDN order (DC, C, ST, L, postalCode, street,
 * O, OU, CN) with both ST and L (CP 7.1.1 requires both) and never an OU (BR 7.1.2.7.4, CP 7.1.1 since 2021-11-18).
 */
export function leafSubject(p: Pick<LeafParams, 'profile' | 'commonName' | 'organization'>): NameAttribute[] {
  const cn: NameAttribute[] = p.commonName !== undefined ? [['commonName', p.commonName]] : [];
  if (p.profile === 'dv') return cn;
  const o = p.organization;
  if (!o) throw new CaError('invariantViolated', 'an OV certificate needs the vetted organization (CP 7.1.1)');
  return [['countryName', o.country], ['stateOrProvinceName', o.stateOrProvince], ['localityName', o.locality], ['organizationName', o.organizationName], ...cn];
}

/** Hex serial -> positive DER INTEGER content (X.690 8.3: minimal, leading 00 when the top bit is set). */
export function serialToIntegerBytes(serialHex: string): Uint8Array {
  let hex = serialHex.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]+$/.test(hex)) throw new CaError('internal', `serial is not hex: ${serialHex}`);
  hex = hex.replace(/^0+/, '');
  if (hex.length === 0) throw new CaError('internal', 'serial must be positive (RFC 5280 4.1.2.2)');
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length > 20) throw new CaError('internal', 'serial longer than 20 octets (RFC 5280 4.1.2.2)');
  return new Uint8Array(bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes);
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds (no fractions in DER). */
export function x509Time(d: Date): pkijs.Time {
  const value = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value (without the unused-bits octet). */
export function keyIdentifierOf(spkiDer: Uint8Array): Uint8Array {
  const spki = readTlv(spkiDer);
  if (spki.tag !== 0x30 || spki.end !== spkiDer.length) throw new CaError('malformed', 'SubjectPublicKeyInfo is not a DER SEQUENCE');
  const [alg, bits] = children(spkiDer, spki);
  if (!alg || !bits || bits.tag !== 0x03 || bits.end === bits.contentStart) throw new CaError('malformed', 'SubjectPublicKeyInfo has no BIT STRING');
  return new Uint8Array(createHash('sha1').update(spkiDer.subarray(bits.contentStart + 1, bits.end)).digest());
}

export function publicKeyInfoFromDer(spkiDer: Uint8Array): pkijs.PublicKeyInfo {
  return decodeDer(spkiDer, 'SubjectPublicKeyInfo', pkijs.PublicKeyInfo);
}

export interface TbsCommon {
  readonly serialHex: string;
  readonly issuerDer: Uint8Array;
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  readonly extensions: readonly pkijs.Extension[];
}

/**
 * A v3 TBSCertificate with sha256WithRSAEncryption. The signature algorithm is set here, before anything encodes
 * the TBS (TOOLCHAIN.md: otherwise the TBS the CT log saw differs from the one we sign and SCTs do not verify).
 */
export function buildTbs(c: TbsCommon): pkijs.Certificate {
  if (c.notAfter.getTime() <= c.notBefore.getTime()) throw new CaError('internal', 'notAfter must be after notBefore');
  const cert = new pkijs.Certificate();
  cert.version = 2; // v3
  cert.serialNumber = new asn1js.Integer({ valueHex: serialToIntegerBytes(c.serialHex) });
  cert.signature = sha256WithRsa();
  cert.signatureAlgorithm = sha256WithRsa();
  // RFC 5280 4.1.2.4 / BR 7.1.4.1: the issuer name is the issuer's subject, byte for byte.
  cert.issuer = nameFromDer(c.issuerDer);
  cert.notBefore = x509Time(c.notBefore);
  cert.notAfter = x509Time(c.notAfter);
  cert.subject = c.subject;
  cert.subjectPublicKeyInfo = publicKeyInfoFromDer(c.spkiDer);
  cert.extensions = [...c.extensions];
  return cert;
}

/** The CA whose key signs a certificate: its subject (the new certificate's issuer name) and its key identifier. */
export interface SigningCa {
  readonly subjectDer: Uint8Array;
  readonly keyIdentifier: Uint8Array;
}

export interface SignedByCaParams {
  readonly serialHex: string;
  readonly issuer: SigningCa;
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  /** Whether the subject key identifier is included (default yes; BR 7.1.2.7.6 makes it optional in leaves). */
  readonly includeSubjectKeyIdentifier?: boolean;
}

/**
 * A certificate signed by a CA key (every profile but the self-signed root): the issuer is the CA's subject, byte
 * for byte; the authority key identifier (RFC 5280 4.2.1.1) and the subject key identifier (4.2.1.2) come first,
 * then the profile's own extensions in the order its CP section lists them.
 */
export function buildSignedByCaTbs(p: SignedByCaParams, profileExtensions: readonly pkijs.Extension[]): pkijs.Certificate {
  return buildTbs({
    serialHex: p.serialHex,
    issuerDer: p.issuer.subjectDer,
    subject: p.subject,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    spkiDer: p.spkiDer,
    extensions: [
      authorityKeyIdentifier(p.issuer.keyIdentifier),
      ...(p.includeSubjectKeyIdentifier === false ? [] : [subjectKeyIdentifier(keyIdentifierOf(p.spkiDer))]),
      ...profileExtensions,
    ],
  });
}

/**
 * CP 7.1.1 DV or OV leaf. Extension order is fixed and identical for the precertificate and the final certificate, with
 * the poison / SCT list last, so that final TBS minus SCT list == precertificate TBS minus poison (RFC 6962 3.2).
 */
export function buildLeafTbs(p: LeafParams): pkijs.Certificate {
  if (p.profile !== 'dv' && p.profile !== 'ov') throw new CaError('unsupportedProfile', `profile ${String(p.profile)} is not supported by buildLeafTbs`);
  if (p.dnsNames.length === 0) throw new CaError('internal', 'a server certificate needs at least one dNSName (CP 7.1.1)');
  if (p.commonName !== undefined && !p.dnsNames.includes(p.commonName)) {
    throw new CaError('internal', 'the CN must be one of the SAN dNSNames (BR 7.1.4.3)', { rule: 'BR 7.1.4.3' });
  }
  if (p.kind === 'precertificate' && p.sctListExtensionValue) throw new CaError('internal', 'a precertificate carries no SCT list (RFC 6962 3.1)');
  const subjectAttributes = leafSubject(p);
  const subject = buildName(subjectAttributes);
  const subjectEmpty = subjectAttributes.length === 0;

  // BR 7.1.2.7.9: exactly one CA/B reserved OID (DV or OV); CP 7.1.1 also asserts the CP OID with its CPS qualifier.
  const policies: PolicySpec[] = [
    { oid: p.profile === 'ov' ? oids.cabfOrganizationValidated : oids.cabfDomainValidated },
    p.cps.qualifier ? { oid: oids.jprsCp, cpsUrl: p.cps.url } : { oid: oids.jprsCp },
  ];

  const extensions: pkijs.Extension[] = [
    keyUsage(['digitalSignature', 'keyEncipherment']),
    // Chrome / BR 7.1.2.7.10: serverAuth only.
    extKeyUsage([oids.id_kp_serverAuth]),
    subjectAltNameDns(p.dnsNames, subjectEmpty),
    certificatePolicies(policies),
    crlDistributionPoints([p.urls.crl]),
    authorityInfoAccess({ ocsp: p.urls.ocsp, caIssuers: p.urls.caIssuers }),
  ];
  if (p.kind === 'precertificate') extensions.push(ctPoison());
  else if (p.sctListExtensionValue) extensions.push(ctSctList(p.sctListExtensionValue));

  return buildSignedByCaTbs({ ...p, subject }, extensions);
}

/**
 * What a built TBS certifies, read back from the structure that is about to be signed: the dNSNames of its
 * subjectAltName and its SubjectPublicKeyInfo. The signer's issuance gate checks these, not what its caller meant to
 * put in (domain/issuance-gate.ts).
 */
export function certifiedByTbs(tbs: pkijs.Certificate): { dnsNames: string[]; spkiDer: Uint8Array; publicKeyInfo: pkijs.PublicKeyInfo } {
  const sans = (tbs.extensions ?? []).filter((e) => e.extnID === oids.id_ce_subjectAltName);
  if (sans.length > 1) throw new CaError('invariantViolated', 'the TBS carries more than one subjectAltName (RFC 5280 4.2)');
  const dnsNames = sans[0] ? parseSan(sans[0].extnValue.valueBlock.valueHexView).dnsNames : [];
  return { dnsNames, spkiDer: new Uint8Array(tbs.subjectPublicKeyInfo.toSchema().toBER(false)), publicKeyInfo: tbs.subjectPublicKeyInfo };
}

/** The DER of the TBSCertificate as it will be signed. */
export function encodeTbs(tbs: pkijs.Certificate): Uint8Array {
  // encodeTBS is protected in the typings; it is what pkijs' own sign() uses.
  return new Uint8Array((tbs as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
}

/**
 * Signs the TBS's bytes with `keyLabel` (sha256WithRSAEncryption) and returns the certificate DER. `tbsDer`: the TBS
 * as the caller already encoded it to check it (lint report, gate, precertificate correspondence) — those exact bytes
 * are signed and embedded; encoded here when not given.
 */
export async function signCertificate(tbs: pkijs.Certificate, signer: Signer, keyLabel: string, tbsDer: Uint8Array = encodeTbs(tbs)): Promise<Uint8Array> {
  if (tbs.signature.algorithmId !== oids.sha256WithRSAEncryption || tbs.signatureAlgorithm.algorithmId !== oids.sha256WithRSAEncryption) {
    throw new CaError('internal', 'certificates are signed with sha256WithRSAEncryption only (CP 7.1.1)');
  }
  const signature = await signer.signSha256Rsa(keyLabel, tbsDer);
  tbs.tbsView = tbsDer;
  tbs.signatureValue = new asn1js.BitString({ valueHex: signature.slice() });
  return new Uint8Array(tbs.toSchema(false).toBER(false));
}

/** An X.509 certificate (RFC 5280 4.1) through the guarded DER reader: CaError('malformed') if it does not decode. */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  return decodeDer(der, 'certificate', pkijs.Certificate);
}

/** The TBSCertificate DER exactly as it appears inside `certDer`. */
export function tbsOf(certDer: Uint8Array): Uint8Array {
  const cert = readTlv(certDer);
  if (cert.tag !== 0x30 || cert.end !== certDer.length) throw new CaError('malformed', 'certificate is not a DER SEQUENCE');
  const [tbs] = children(certDer, cert);
  if (!tbs || tbs.tag !== 0x30) throw new CaError('malformed', 'certificate has no TBSCertificate');
  return slice(certDer, tbs);
}

const poisonOid = tlv(0x06, encodeOid(oids.ctPoison));
const sctListOid = tlv(0x06, encodeOid(oids.ctSctList));

/**
 * RFC 6962 3.2 / BR 7.1.2.9: the TBS with the poison and SCT-list extensions removed, byte-exact otherwise (raw
 * TLV surgery, no re-encoding), for the check "final certificate corresponds to the logged precertificate".
 */
export function tbsWithoutCtExtensions(certDer: Uint8Array): Uint8Array {
  return tbsDerWithoutCtExtensions(tbsOf(certDer));
}

/** The same surgery on a bare TBSCertificate DER (e.g. encodeTbs() of a TBS not signed yet). */
export function tbsDerWithoutCtExtensions(tbsDer: Uint8Array): Uint8Array {
  const tbs = readTlv(tbsDer);
  const parts: Uint8Array[] = [];
  for (const field of children(tbsDer, tbs)) {
    if (field.tag !== 0xa3) {
      parts.push(slice(tbsDer, field));
      continue;
    }
    const [seq] = children(tbsDer, field);
    if (!seq || seq.tag !== 0x30) throw new CaError('malformed', 'extensions field is not a SEQUENCE');
    const kept = children(tbsDer, seq).filter((e) => {
      const [oid] = children(tbsDer, e);
      if (!oid) throw new CaError('malformed', 'empty Extension');
      const oidDer = slice(tbsDer, oid);
      return !bytesEqual(oidDer, poisonOid) && !bytesEqual(oidDer, sctListOid);
    });
    // RFC 5280 4.1: extensions, when present, is a SEQUENCE SIZE (1..MAX): drop the field if nothing is left.
    if (kept.length > 0) parts.push(tlv(0xa3, tlv(0x30, concat(kept.map((e) => slice(tbsDer, e))))));
  }
  return tlv(0x30, concat(parts));
}

/**
 * Issuance cycle step 10 (RFC 6962 §3.1, BR 7.1.2.9): the final certificate is the logged precertificate plus SCTs,
 * nothing else. Checked on the final TBS before it is signed (activities/signing.ts), so a mismatch signs nothing.
 */
export function finalCorrespondsToPrecert(precertDer: Uint8Array, finalTbsDer: Uint8Array): boolean {
  return bytesEqual(tbsWithoutCtExtensions(precertDer), tbsDerWithoutCtExtensions(finalTbsDer));
}
