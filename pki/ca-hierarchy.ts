/**
 * CA certificates: the local stand-in root (development only), the issuing CA certificates with the CP 7.1.2
 * intermediate profile, the CSR an issuing CA key exports for the production path (signed by the real
 * Security Communication RootCA2), and the check of the certificate that comes back.
 */
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import type { Signer } from './signer';
import {
  buildSignedByCaTbs,
  buildTbs,
  keyIdentifierOf,
  parseCertificate,
  publicKeyInfoFromDer,
  signCertificate,
  type SigningCa,
} from './certificate';
import { bytesEqual, children, readTlv, readUntrustedAsync, slice } from './der';
import {
  authorityInfoAccess,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoints,
  extKeyUsage,
  keyUsage,
  keyUsageBits,
  oids,
  sha256WithRsa,
  subjectKeyIdentifier,
} from './extensions';
import { buildName, nameFromDer, nameToDer, type NameAttribute } from './names';

/**
 * Says plainly what it is: a local stand-in for Security Communication RootCA2 (CP 1.1), trusted by nobody.
 * Its certificate exists so that development and tests have a complete chain; production imports the real
 * cross certificate instead (importIssuingCaCertificate).
 */
export const standInRootSubject: readonly NameAttribute[] = [
  ['countryName', 'JP'],
  ['organizationName', 'LOCAL DEVELOPMENT STAND-IN (not SECOM Trust Systems)'],
  ['organizationalUnitName', 'Stand-in for Security Communication RootCA2'],
];

export type IssuingCaKind = 'dv' | 'ov';

/** CP 7.1.1 issuer / CP 7.1.2 subject of the two issuing CAs. */
export function issuingCaSubject(kind: IssuingCaKind): readonly NameAttribute[] {
  return [
    ['countryName', 'JP'],
    ['organizationName', 'Japan Registry Services Co., Ltd.'],
    ['commonName', kind === 'dv' ? 'JPRS Domain Validation Authority - G4' : 'JPRS Organization Validation Authority - G4'],
  ];
}

/** 159-bit positive serial from the CSPRNG (BR 7.1: >= 64 random bits, < 2^159). */
export function randomSerialHex(): string {
  const b = randomBytes(20);
  b[0] = (b[0]! & 0x7f) | 0x40; // < 2^159 and never a leading zero byte
  return b.toString('hex');
}

export interface RootParams {
  readonly serialHex?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  readonly subject?: readonly NameAttribute[];
}

/** Self-signed stand-in root (RFC 5280 4.2.1.9: basicConstraints critical cA; 4.2.1.3 keyCertSign + cRLSign). */
export function buildStandInRootTbs(p: RootParams): pkijs.Certificate {
  const subjectDer = nameToDer(buildName(p.subject ?? standInRootSubject));
  return buildTbs({
    serialHex: p.serialHex ?? randomSerialHex(),
    issuerDer: subjectDer,
    subject: nameFromDer(subjectDer),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    spkiDer: p.spkiDer,
    extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyIdentifier(keyIdentifierOf(p.spkiDer))],
  });
}

export interface IssuingCaParams {
  readonly kind: IssuingCaKind;
  readonly serialHex?: string;
  readonly issuer: SigningCa;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  /** The root's repository: CRL DP, OCSP and caIssuers of the issuer (CP 7.1.2). */
  readonly urls: { readonly crl: string; readonly ocsp?: string; readonly caIssuers: string };
  /** CPS of the root's policy (CP 7.1.2: http://repository.secomtrust.net/SC-Root2/). */
  readonly cpsUrl: string;
}

/** CP 7.1.2 intermediate profile, in the CP's field order (AKI and SKI first: buildSignedByCaTbs). */
export function buildIssuingCaTbs(p: IssuingCaParams): pkijs.Certificate {
  return buildSignedByCaTbs({ ...p, serialHex: p.serialHex ?? randomSerialHex(), subject: buildName(issuingCaSubject(p.kind)) }, [
    keyUsage(['keyCertSign', 'cRLSign']),
    certificatePolicies([{ oid: oids.secomRootCa2Policy, cpsUrl: p.cpsUrl }]),
    basicConstraints(true, 0),
    extKeyUsage([oids.id_kp_serverAuth]),
    crlDistributionPoints([p.urls.crl]),
    authorityInfoAccess({ ...(p.urls.ocsp ? { ocsp: p.urls.ocsp } : {}), caIssuers: p.urls.caIssuers }),
  ]);
}

export { signCertificate };

/** PKCS#10 request for an issuing CA key (production: the external root signs it). Returns the CSR DER. */
export async function buildCaCsr(
  subject: readonly NameAttribute[] | Uint8Array,
  spkiDer: Uint8Array,
  signer: Signer,
  keyLabel: string,
): Promise<Uint8Array> {
  const req = new pkijs.CertificationRequest();
  req.version = 0;
  req.subject = subject instanceof Uint8Array ? nameFromDer(subject) : buildName(subject);
  req.subjectPublicKeyInfo = publicKeyInfoFromDer(spkiDer);
  req.attributes = [];
  req.signatureAlgorithm = sha256WithRsa();
  const tbs = new Uint8Array((req as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
  const signature = await signer.signSha256Rsa(keyLabel, tbs);
  req.tbsView = tbs;
  req.signatureValue = new asn1js.BitString({ valueHex: signature.slice() });
  return new Uint8Array(req.toSchema(false).toBER(false));
}

/** Raw DER of the TBS fields we compare byte for byte. */
export function certificateFields(certDer: Uint8Array): { issuerDer: Uint8Array; subjectDer: Uint8Array; spkiDer: Uint8Array } {
  const cert = readTlv(certDer);
  if (cert.tag !== 0x30 || cert.end !== certDer.length) throw new CaError('malformed', 'certificate is not a DER SEQUENCE');
  const [tbs] = children(certDer, cert);
  if (!tbs) throw new CaError('malformed', 'certificate has no TBSCertificate');
  const fields = children(certDer, tbs);
  const base = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const issuer = fields[base + 2];
  const subject = fields[base + 4];
  const spki = fields[base + 5];
  if (!issuer || !subject || !spki) throw new CaError('malformed', 'TBSCertificate is truncated');
  return { issuerDer: slice(certDer, issuer), subjectDer: slice(certDer, subject), spkiDer: slice(certDer, spki) };
}

/**
 * Production path: the certificate the external root returned for our CSR must carry exactly our key and subject
 * and be a CA certificate with the CP 7.1.2 / CP 6.1.7 key usage; otherwise it is refused before it is stored.
 * When the issuer certificate is given, the signature is verified too.
 */
export async function checkImportedCaCertificate(
  certDer: Uint8Array,
  expectedSubjectDer: Uint8Array,
  expectedSpkiDer: Uint8Array,
  opts: { issuerCertDer?: Uint8Array; now?: Date } = {},
): Promise<pkijs.Certificate> {
  // The file comes from outside (the external root's answer): everything read from it goes through the guard.
  return readUntrustedAsync('imported CA certificate', async () => {
    const cert = parseCertificate(certDer);
    const f = certificateFields(certDer);
    if (!bytesEqual(f.subjectDer, expectedSubjectDer)) {
      throw new CaError('conflict', 'the imported certificate subject differs from the issuing CA subject', { rule: 'CP 7.1.2' });
    }
    if (!bytesEqual(f.spkiDer, expectedSpkiDer)) {
      throw new CaError('conflict', 'the imported certificate does not carry the issuing CA key held in the HSM', { rule: 'CP 6.1.1' });
    }
    if (cert.version !== 2) throw new CaError('unsupportedProfile', 'CA certificate must be X.509 v3', { rule: 'CP 7.1.2' });
    const exts = cert.extensions ?? [];
    const bc = exts.find((e) => e.extnID === oids.id_ce_basicConstraints);
    const bcValue = bc?.parsedValue as pkijs.BasicConstraints | undefined;
    if (!bc || !bc.critical || !bcValue?.cA) {
      throw new CaError('unsupportedProfile', 'CA certificate must have a critical basicConstraints with cA=TRUE', { rule: 'CP 7.1.2' });
    }
    const ku = exts.find((e) => e.extnID === oids.id_ce_keyUsage);
    if (!ku || !ku.critical) throw new CaError('unsupportedProfile', 'CA certificate must have a critical keyUsage', { rule: 'CP 7.1.2' });
    const kuBits = (ku.parsedValue as asn1js.BitString).valueBlock.valueHexView;
    const has = (bit: number) => ((kuBits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
    if (!has(keyUsageBits.keyCertSign) || !has(keyUsageBits.cRLSign)) {
      throw new CaError('unsupportedProfile', 'CA certificate keyUsage must include keyCertSign and cRLSign', { rule: 'CP 6.1.7' });
    }
    const now = opts.now ?? new Date();
    if (cert.notAfter.value.getTime() <= now.getTime() || cert.notBefore.value.getTime() > now.getTime() + 48 * 3600_000) {
      throw new CaError('conflict', 'the imported CA certificate is not within its validity period');
    }
    if (opts.issuerCertDer) {
      const issuer = parseCertificate(opts.issuerCertDer);
      let ok = false;
      try {
        ok = await cert.verify(issuer);
      } catch {
        ok = false;
      }
      if (!ok) throw new CaError('conflict', 'the imported CA certificate signature does not verify with the issuer certificate');
    }
    return cert;
  });
}
