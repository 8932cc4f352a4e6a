/**
 * PKCS#10 certificate requests (RFC 2986): parse, extract what the issuance cycle needs (step 1), and verify the
 * self-signature — the proof of possession of CP 3.2.1.
 *
 * Parsing is strict where leniency could hide a different request: trailing bytes after the outer SEQUENCE,
 * a PEM block with a label other than CERTIFICATE REQUEST, or a SAN extension that does not decode are refused as
 * `malformed`. Policy on the contents (key size, names) is the caller's (domain/).
 */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import { ensureCryptoEngine } from './engine';
import { bytesEqual, children, decodeDer, decodeSchema, encodeOid, readTlv, readUntrusted, slice, tlv, type Tlv } from './der';
import { attributeValues } from './names';
import { toDer } from './pem';

export const CSR_PEM_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] as const;

const id_pkcs9_at_extensionRequest = '1.2.840.113549.1.9.14';
const id_ce_subjectAltName = '2.5.29.17';
const rsaEncryption = '1.2.840.113549.1.1.1';

/** GeneralName CHOICE tags (RFC 5280 4.2.1.6) -> the names the caller reports when it refuses them. */
const generalNameTypes = ['otherName', 'email', 'dns', 'x400Address', 'directoryName', 'ediPartyName', 'uri', 'ip', 'registeredID'] as const;

export type CsrPublicKey =
  | { readonly kind: 'rsa'; readonly modulus: bigint; readonly exponent: bigint; readonly bits: number }
  | { readonly kind: 'other'; readonly algorithmOid: string };

export interface ParsedCsr {
  readonly der: Uint8Array;
  /** Subject commonName values, in order (a CSR may carry none, one, or — to be refused by policy — several). */
  readonly commonNames: string[];
  /** dNSName entries of the extensionRequest SAN, in CSR order, as written (the caller normalizes). */
  readonly dnsNames: string[];
  /** Other GeneralName kinds found in the SAN ('ip', 'email', 'uri', ...), deduplicated, so the caller can refuse. */
  readonly otherSanTypes: string[];
  /** Subject attribute types other than CN (OIDs), for profile checks. */
  readonly otherSubjectAttributes: string[];
  readonly spkiDer: Uint8Array;
  readonly spkiSha256: Uint8Array;
  readonly publicKey: CsrPublicKey;
  readonly signatureAlgorithmOid: string;
  /** The pkijs object, for signature verification. */
  readonly request: pkijs.CertificationRequest;
}

function bytesToBigint(bytes: Uint8Array): bigint {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex.length === 0 ? 0n : BigInt(`0x${hex}`);
}

function bitLength(n: bigint): number {
  return n <= 0n ? 0 : n.toString(2).length;
}

/** Reads an RSAPublicKey (RFC 8017 A.1.1) from the subjectPublicKey bits (raw DER: pkijs strips sign octets). */
export function rsaPublicKeyFromSpki(spki: pkijs.PublicKeyInfo): { modulus: bigint; exponent: bigint; bits: number } {
  const bits = spki.subjectPublicKey.valueBlock.valueHexView;
  const seq = readTlv(bits);
  const ints = seq.tag === 0x30 && seq.end === bits.length ? children(bits, seq) : [];
  const [n, e] = ints;
  if (ints.length !== 2 || n!.tag !== 0x02 || e!.tag !== 0x02 || n!.end === n!.contentStart || e!.end === e!.contentStart) {
    throw new CaError('malformed', 'RSA public key does not have the RSAPublicKey structure');
  }
  if (bits[n!.contentStart]! & 0x80 || bits[e!.contentStart]! & 0x80) throw new CaError('malformed', 'RSA modulus or exponent is negative');
  const modulus = bytesToBigint(bits.subarray(n!.contentStart, n!.end));
  const exponent = bytesToBigint(bits.subarray(e!.contentStart, e!.end));
  return { modulus, exponent, bits: bitLength(modulus) };
}

/** A subjectAltName extension value (RFC 5280 4.2.1.6): its dNSNames, and the types of its other names. */
export function parseSan(extnValue: Uint8Array): { dnsNames: string[]; other: Set<string> } {
  const alt = decodeDer(extnValue, 'subjectAltName', pkijs.AltName);
  const dnsNames: string[] = [];
  const other = new Set<string>();
  for (const gn of alt.altNames) {
    if (gn.type === 2) {
      if (typeof gn.value !== 'string') throw new CaError('malformed', 'dNSName is not an IA5String');
      dnsNames.push(gn.value);
    } else {
      other.add(generalNameTypes[gn.type] ?? `tag${gn.type}`);
    }
  }
  return { dnsNames, other };
}

/**
 * Parses a CSR given as DER, PEM bytes, a PEM string or base64(url) DER — untrusted input, through the guarded DER
 * reader (pki/der.ts): anything that does not decode is CaError('malformed') naming the CSR, never another error.
 */
export function parseCsr(input: Uint8Array | string): ParsedCsr {
  ensureCryptoEngine();
  const der = readUntrusted('CSR', () => new Uint8Array(toDer(input, CSR_PEM_LABELS)));
  const request = decodeDer(der, 'CSR', pkijs.CertificationRequest);
  return readUntrusted('CSR', () => {
    checkCsrShape(der);
    return csrContents(der, request);
  });
}

const id_RSASSA_PSS = '1.2.840.113549.1.1.10';

/**
 * RFC 2986 4 element counts, which pkijs's schema check does not enforce (it ignores trailing elements, so
 * `SEQUENCE { OID, OID, NULL }` would pass as an AlgorithmIdentifier where OpenSSL refuses it), and the signature
 * algorithm's parameters: absent or NULL (RFC 4055 3, RFC 5758 3.2), a SEQUENCE only for RSASSA-PSS.
 */
function checkCsrShape(der: Uint8Array): void {
  const counted = (t: Tlv, min: number, max: number, what: string) => {
    const c = children(der, t);
    if (c.length < min || c.length > max) throw new CaError('malformed', `${what} has ${c.length} elements (RFC 2986 4)`);
    return c;
  };
  const [info, signatureAlgorithm] = counted(readTlv(der), 3, 3, 'CertificationRequest');
  const [, , spki] = counted(info!, 4, 4, 'CertificationRequestInfo');
  const [spkiAlgorithm] = counted(spki!, 2, 2, 'SubjectPublicKeyInfo');
  counted(spkiAlgorithm!, 1, 2, 'the key AlgorithmIdentifier');
  const [, params] = counted(signatureAlgorithm!, 1, 2, 'the signature AlgorithmIdentifier');
  if (params && params.tag !== 0x05 && !(params.tag === 0x30 && bytesEqual(slice(der, children(der, signatureAlgorithm!)[0]!), tlv(0x06, encodeOid(id_RSASSA_PSS))))) {
    throw new CaError('malformed', 'the signature algorithm parameters are neither absent nor NULL (RFC 4055 3, RFC 5758 3.2)');
  }
}

function csrContents(der: Uint8Array, request: pkijs.CertificationRequest): ParsedCsr {
  if (request.version !== 0) throw new CaError('malformed', `CSR version ${request.version} (RFC 2986 4.1 requires v1 = 0)`);
  // A signature or a key is a whole number of octets: a BIT STRING with unused bits is read differently by
  // different verifiers (OpenSSL refuses it), so it is refused here.
  if (request.signatureValue.valueBlock.unusedBits !== 0 || request.subjectPublicKeyInfo.subjectPublicKey.valueBlock.unusedBits !== 0) {
    throw new CaError('malformed', 'the signature or the public key BIT STRING has unused bits');
  }

  let dnsNames: string[] = [];
  const otherSan = new Set<string>();
  let sanSeen = false;
  for (const attr of request.attributes ?? []) {
    if (attr.type !== id_pkcs9_at_extensionRequest) continue;
    for (const value of attr.values) {
      const exts = decodeSchema(value, 'extensionRequest', pkijs.Extensions);
      for (const ext of exts.extensions) {
        if (ext.extnID !== id_ce_subjectAltName) continue;
        if (sanSeen) throw new CaError('malformed', 'more than one subjectAltName in the extensionRequest (RFC 5280 4.2)');
        sanSeen = true;
        const parsed = parseSan(ext.extnValue.valueBlock.valueHexView);
        dnsNames = parsed.dnsNames;
        for (const t of parsed.other) otherSan.add(t);
      }
    }
  }

  const spki = request.subjectPublicKeyInfo;
  const spkiDer = new Uint8Array(spki.toSchema().toBER(false));
  const algorithmOid = spki.algorithm.algorithmId;
  const publicKey: CsrPublicKey =
    algorithmOid === rsaEncryption ? { kind: 'rsa', ...rsaPublicKeyFromSpki(spki) } : { kind: 'other', algorithmOid };

  return {
    der,
    commonNames: attributeValues(request.subject, 'commonName'),
    dnsNames,
    otherSanTypes: [...otherSan],
    otherSubjectAttributes: request.subject.typesAndValues.map((tv) => tv.type).filter((t) => t !== '2.5.4.3'),
    spkiDer,
    spkiSha256: new Uint8Array(createHash('sha256').update(spkiDer).digest()),
    publicKey,
    signatureAlgorithmOid: request.signatureAlgorithm.algorithmId,
    request,
  };
}

/** CP 3.2.1: the CSR's signature verifies with the public key it carries. Never throws: false on any failure. */
export async function verifyCsrSignature(csr: ParsedCsr): Promise<boolean> {
  ensureCryptoEngine();
  try {
    return await csr.request.verify();
  } catch {
    return false;
  }
}

/** parseCsr + verifyCsrSignature; a bad signature is CaError('badCsr', rule CP 3.2.1). */
export async function parseAndVerifyCsr(input: Uint8Array | string): Promise<ParsedCsr> {
  const csr = parseCsr(input);
  if (!(await verifyCsrSignature(csr))) {
    throw new CaError('badCsr', 'the CSR signature does not verify with the public key it carries (proof of possession)', {
      rule: 'CP 3.2.1',
    });
  }
  return csr;
}
