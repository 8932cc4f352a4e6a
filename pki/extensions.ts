/**
 * X.509 v3 extension builders (RFC 5280 4.2) shared by the leaf, CA and OCSP-responder profiles.
 * Each returns a pkijs.Extension whose extnValue is the DER of the extension value; `critical` is written only
 * when TRUE (DER omits DEFAULT FALSE, X.690 11.5).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export const oids = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  rsaEncryption: '1.2.840.113549.1.1.1',
  id_ce_subjectKeyIdentifier: '2.5.29.14',
  id_ce_keyUsage: '2.5.29.15',
  id_ce_subjectAltName: '2.5.29.17',
  id_ce_basicConstraints: '2.5.29.19',
  id_ce_cRLDistributionPoints: '2.5.29.31',
  id_ce_certificatePolicies: '2.5.29.32',
  id_ce_authorityKeyIdentifier: '2.5.29.35',
  id_ce_extKeyUsage: '2.5.29.37',
  id_pe_authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  id_ad_ocsp: '1.3.6.1.5.5.7.48.1',
  id_ad_caIssuers: '1.3.6.1.5.5.7.48.2',
  id_kp_serverAuth: '1.3.6.1.5.5.7.3.1',
  id_kp_OCSPSigning: '1.3.6.1.5.5.7.3.9',
  id_pkix_ocsp_nocheck: '1.3.6.1.5.5.7.48.1.5',
  id_qt_cps: '1.3.6.1.5.5.7.2.1',
  /** RFC 6962 3.1: precertificate poison, critical, value NULL. */
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  /** RFC 6962 3.3: embedded SignedCertificateTimestampList. */
  ctSctList: '1.3.6.1.4.1.11129.2.4.2',
  /** BR 7.1.6.1 reserved policy identifiers. */
  cabfDomainValidated: '2.23.140.1.2.1',
  cabfOrganizationValidated: '2.23.140.1.2.2',
  /** CP 1.2: this CP. */
  jprsCp: '1.3.6.1.4.1.53827.1.1.4',
  /** CP 7.1.2: the policy the (SECOM) root asserts in the issuing CA certificates. */
  secomRootCa2Policy: '1.2.392.200091.100.901.4',
} as const;

function ext(extnID: string, critical: boolean, value: asn1js.BaseBlock | Uint8Array): pkijs.Extension {
  const der = value instanceof Uint8Array ? value : new Uint8Array(value.toBER(false));
  return new pkijs.Extension({ extnID, critical, extnValue: der.slice().buffer as ArrayBuffer });
}

/** RFC 5280 4.2.1.3 named bits, bit 0 = most significant bit of the first byte. */
export const keyUsageBits = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** DER named BIT STRING: trailing zero bits removed (X.690 11.2.2), so the unused-bits count is exact. */
export function keyUsage(usages: readonly (keyof typeof keyUsageBits)[]): pkijs.Extension {
  const positions = usages.map((u) => keyUsageBits[u]);
  const highest = Math.max(...positions);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of positions) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unusedBits = 7 - (highest & 7);
  return ext(oids.id_ce_keyUsage, true, new asn1js.BitString({ valueHex: bytes, unusedBits }));
}

export function extKeyUsage(purposes: readonly string[]): pkijs.Extension {
  return ext(oids.id_ce_extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] }).toSchema());
}

export function basicConstraints(ca: boolean, pathLen?: number): pkijs.Extension {
  const bc = new pkijs.BasicConstraints(pathLen === undefined ? { cA: ca } : { cA: ca, pathLenConstraint: pathLen });
  return ext(oids.id_ce_basicConstraints, true, bc.toSchema());
}

/** RFC 5280 4.2.1.6: critical when the subject is an empty sequence. */
export function subjectAltNameDns(dnsNames: readonly string[], critical: boolean): pkijs.Extension {
  const alt = new pkijs.AltName({ altNames: dnsNames.map((value) => new pkijs.GeneralName({ type: 2, value })) });
  return ext(oids.id_ce_subjectAltName, critical, alt.toSchema());
}

export interface PolicySpec {
  readonly oid: string;
  /** An id-qt-cps qualifier (BR 7.1.2.7.9: only this qualifier, with an http(s) URL). */
  readonly cpsUrl?: string;
}

export function certificatePolicies(policies: readonly PolicySpec[]): pkijs.Extension {
  const cp = new pkijs.CertificatePolicies({
    certificatePolicies: policies.map(
      (p) =>
        new pkijs.PolicyInformation({
          policyIdentifier: p.oid,
          ...(p.cpsUrl
            ? {
                policyQualifiers: [
                  new pkijs.PolicyQualifierInfo({ policyQualifierId: oids.id_qt_cps, qualifier: new asn1js.IA5String({ value: p.cpsUrl }) }),
                ],
              }
            : {}),
        }),
    ),
  });
  return ext(oids.id_ce_certificatePolicies, false, cp.toSchema());
}

export function crlDistributionPoints(urls: readonly string[]): pkijs.Extension {
  const dp = new pkijs.CRLDistributionPoints({
    distributionPoints: urls.map((value) => new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value })] })),
  });
  return ext(oids.id_ce_cRLDistributionPoints, false, dp.toSchema());
}

export function authorityInfoAccess(a: { ocsp?: string; caIssuers?: string }): pkijs.Extension {
  const descriptions: pkijs.AccessDescription[] = [];
  if (a.ocsp) {
    descriptions.push(new pkijs.AccessDescription({ accessMethod: oids.id_ad_ocsp, accessLocation: new pkijs.GeneralName({ type: 6, value: a.ocsp }) }));
  }
  if (a.caIssuers) {
    descriptions.push(
      new pkijs.AccessDescription({ accessMethod: oids.id_ad_caIssuers, accessLocation: new pkijs.GeneralName({ type: 6, value: a.caIssuers }) }),
    );
  }
  return ext(oids.id_pe_authorityInfoAccess, false, new pkijs.InfoAccess({ accessDescriptions: descriptions }).toSchema());
}

/** BR 7.1.2.11.1: keyIdentifier only (no issuer/serial). */
export function authorityKeyIdentifier(keyIdentifier: Uint8Array): pkijs.Extension {
  const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier.slice() }) });
  return ext(oids.id_ce_authorityKeyIdentifier, false, aki.toSchema());
}

export function subjectKeyIdentifier(keyIdentifier: Uint8Array): pkijs.Extension {
  return ext(oids.id_ce_subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier.slice() }));
}

export function ocspNoCheck(): pkijs.Extension {
  return ext(oids.id_pkix_ocsp_nocheck, false, new asn1js.Null());
}

export function ctPoison(): pkijs.Extension {
  return ext(oids.ctPoison, true, new asn1js.Null());
}

/** `value` is the extension value as RFC 6962 3.3 defines it: an OCTET STRING holding the TLS-encoded list. */
export function ctSctList(value: Uint8Array): pkijs.Extension {
  return ext(oids.ctSctList, false, value);
}

export function sha256WithRsa(): pkijs.AlgorithmIdentifier {
  // RFC 4055 5: parameters MUST be NULL for sha256WithRSAEncryption.
  return new pkijs.AlgorithmIdentifier({ algorithmId: oids.sha256WithRSAEncryption, algorithmParams: new asn1js.Null() });
}
