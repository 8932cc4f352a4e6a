/**
 * CRLs (RFC 5280 5; CP 7.2; BR 7.2): a full CRL v2 per issuing CA, encoded straight into one buffer.
 *
 * Why a hand-written encoder instead of pkijs.CertificateRevocationList: a CRL may list a million entries
 * (docs/BENCHMARKS.md); building an object graph per entry and re-encoding it costs seconds and hundreds of MB,
 * while every entry here has the same three-field shape. The layout is computed first (sizes), then each byte is
 * written once. pkijs is still used by the tests as a second reader, and openssl/pkilint as independent ones.
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE {
 *     version INTEGER (v2 = 1), signature AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time,
 *     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *                                                crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions }
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { CaError } from '../domain/errors';
import { bytesEqual, children, concat, encodeLength, readTlv, slice, tlv } from './der';
import type { Signer } from './signer';

export interface CrlEntry {
  /** Lowercase hex, as stored (certificates.serial). */
  readonly serialHex: string;
  /** Revocation time in whole seconds since the epoch (DER times carry no fractions). */
  readonly revokedAtSeconds: number;
  /** RFC 5280 CRLReason as stored; 0 (unspecified) is written without a reasonCode extension (CP 7.2.3). */
  readonly reason: number;
}

export interface CrlParams {
  /** The issuing CA's subject DER, copied byte for byte into `issuer` (RFC 5280 5.1.2.3, BR 7.2). */
  readonly issuerDer: Uint8Array;
  /** SHA-1 key identifier of the issuing CA's key: the AKI keyIdentifier (CP 7.2, RFC 5280 5.2.1). */
  readonly keyIdentifier: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Monotonically increasing (RFC 5280 5.2.3: at most 20 octets; BR 7.2: < 2^159). */
  readonly crlNumber: bigint;
  readonly entries: readonly CrlEntry[] | CrlEntryColumns;
}

// DER constants (X.690). OIDs as full TLVs.
const SHA256_WITH_RSA = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00);
const OID_REASON_CODE = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15); // id-ce-cRLReasons 2.5.29.21
const OID_CRL_NUMBER = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x14); // id-ce-cRLNumber 2.5.29.20
const OID_AKI = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x23); // id-ce-authorityKeyIdentifier 2.5.29.35
const VERSION_V2 = Uint8Array.of(0x02, 0x01, 0x01);
const MAX_CRL_NUMBER = 1n << 159n;

/** Positive INTEGER content bytes (minimal, leading 00 when the top bit is set). */
function integerContent(hex: string): Uint8Array {
  let h = hex.replace(/^0+/, '');
  if (h.length === 0) throw new CaError('internal', 'a serial or CRL number must be positive (RFC 5280 4.1.2.2, 5.2.3)');
  if (h.length % 2) h = `0${h}`;
  const bytes = Buffer.from(h, 'hex');
  if (bytes.length * 2 !== h.length) throw new CaError('internal', `not hex: ${hex}`);
  return bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
}

/** Time (RFC 5280 5.1.2.4/5.1.2.6): UTCTime through 2049, GeneralizedTime from 2050; always Z, whole seconds. */
export function encodeTime(seconds: number): Uint8Array {
  const out = new Uint8Array(Math.floor(seconds) < GENERALIZED_TIME_FROM ? 15 : 17);
  writeTime(out, 0, Math.floor(seconds), new DayCache());
  return out;
}

/** 2050-01-01T00:00:00Z: from here on, GeneralizedTime (RFC 5280 4.1.2.5). */
const GENERALIZED_TIME_FROM = 2_524_608_000;

/** The date digits of the last day seen: revocations cluster on few days, so most entries reuse them. */
class DayCache {
  day = Number.NaN;
  readonly digits = new Uint8Array(8); // YYYYMMDD
}

/** Writes the Time TLV for `seconds` at `o`; returns the new offset. No allocation per call. */
function writeTime(out: Uint8Array, o: number, seconds: number, cache: DayCache): number {
  const day = Math.floor(seconds / 86_400);
  if (day !== cache.day) {
    const d = new Date(day * 86_400_000);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    const dd = d.getUTCDate();
    const dg = cache.digits;
    dg[0] = 48 + Math.floor(y / 1000); dg[1] = 48 + (Math.floor(y / 100) % 10); dg[2] = 48 + (Math.floor(y / 10) % 10); dg[3] = 48 + (y % 10);
    dg[4] = 48 + Math.floor(m / 10); dg[5] = 48 + (m % 10); dg[6] = 48 + Math.floor(dd / 10); dg[7] = 48 + (dd % 10);
    cache.day = day;
  }
  const generalized = seconds >= GENERALIZED_TIME_FROM;
  out[o++] = generalized ? 0x18 : 0x17;
  out[o++] = generalized ? 15 : 13;
  out.set(generalized ? cache.digits : cache.digits.subarray(2), o);
  o += generalized ? 8 : 6;
  const rem = seconds - day * 86_400;
  const hh = Math.floor(rem / 3600);
  const mm = Math.floor((rem % 3600) / 60);
  const ss = rem % 60;
  out[o++] = 48 + Math.floor(hh / 10); out[o++] = 48 + (hh % 10);
  out[o++] = 48 + Math.floor(mm / 10); out[o++] = 48 + (mm % 10);
  out[o++] = 48 + Math.floor(ss / 10); out[o++] = 48 + (ss % 10);
  out[o++] = 0x5a; // 'Z'
  return o;
}

const lengthOfLength = (n: number) => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5);

/**
 * Entries in columns (what the database read produces): serial magnitudes back to back in `serialBytes`
 * (entry i is serialBytes[serialStart[i] .. serialStart[i+1]), unsigned big-endian, no leading zero byte),
 * revocation times in whole seconds, stored reasons. A million entries are a few typed arrays, not a million objects.
 */
export interface CrlEntryColumns {
  readonly count: number;
  readonly serialBytes: Uint8Array;
  readonly serialStart: Uint32Array;
  readonly seconds: Float64Array;
  readonly reasons: Uint8Array;
}

/** Hex digit value, or -1. */
const hexValue = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** Appends the hex serial text[from, to) as bytes at pool[o]; returns the new offset. Leading zeros dropped. */
export function decodeSerialHex(text: string, from: number, to: number, pool: Uint8Array, o: number): number {
  while (from < to && text.charCodeAt(from) === 48) from++;
  if (from === to) throw new CaError('internal', 'a serial must be positive (RFC 5280 4.1.2.2)');
  if ((to - from) % 2 === 1) {
    const v = hexValue(text.charCodeAt(from++));
    if (v < 0) throw new CaError('internal', `not a hex serial: ${text.slice(from - 1, to)}`);
    pool[o++] = v;
  }
  for (; from < to; from += 2) {
    const hi = hexValue(text.charCodeAt(from));
    const lo = hexValue(text.charCodeAt(from + 1));
    if (hi < 0 || lo < 0) throw new CaError('internal', `not a hex serial: ${text.slice(from, to)}`);
    pool[o++] = (hi << 4) | lo;
  }
  return o;
}

export function columnsFromEntries(entries: readonly CrlEntry[]): CrlEntryColumns {
  const n = entries.length;
  const pool = new Uint8Array(entries.reduce((a, e) => a + Math.ceil(e.serialHex.length / 2), 0));
  const serialStart = new Uint32Array(n + 1);
  const seconds = new Float64Array(n);
  const reasons = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    serialStart[i] = o;
    o = decodeSerialHex(e.serialHex, 0, e.serialHex.length, pool, o);
    seconds[i] = Math.floor(e.revokedAtSeconds);
    reasons[i] = e.reason;
  }
  serialStart[n] = o;
  return { count: n, serialBytes: pool, serialStart, seconds, reasons };
}

/** CP 7.2.3 reasons this CA writes: 0 = no extension, else the code; anything else is refused. */
const REASON_OK = (() => {
  const ok = new Int8Array(256).fill(-2);
  ok[0] = -1;
  for (const code of [1, 3, 4, 5, 9]) ok[code] = code;
  return ok;
})();

/**
 * The revokedCertificates SEQUENCE OF, or an empty array when there are no entries (RFC 5280 5.1.2.6: the field
 * is absent, not an empty SEQUENCE). Two passes over the columns — sizes, then bytes — into one allocation.
 */
export function encodeRevokedCertificates(input: readonly CrlEntry[] | CrlEntryColumns): Uint8Array {
  const c = Array.isArray(input) ? columnsFromEntries(input as readonly CrlEntry[]) : (input as CrlEntryColumns);
  const n = c.count;
  if (n === 0) return new Uint8Array(0);
  const { serialBytes, serialStart, seconds, reasons } = c;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const start = serialStart[i]!;
    const len = serialStart[i + 1]! - start;
    if (len === 0 || len > 20) throw new CaError('internal', `serial of entry ${i} is ${len} octets (RFC 5280 4.1.2.2: 1..20)`);
    const r = REASON_OK[reasons[i]!]!;
    if (r === -2) throw new CaError('internal', `reason ${reasons[i]} is not one this CA uses (CP 7.2.3)`);
    // INTEGER (+ sign octet) + Time + (Extensions: 30 0c 30 0a 06 03 55 1d 15 04 03 0a 01 rr = 14 bytes)
    const content = 2 + len + (serialBytes[start]! & 0x80 ? 1 : 0) + (seconds[i]! >= GENERALIZED_TIME_FROM ? 17 : 15) + (r >= 0 ? 14 : 0);
    total += 2 + content; // an entry is at most 2 + 21 + 17 + 14 = 54 bytes: a one-byte length
  }
  const out = new Uint8Array(1 + lengthOfLength(total) + total);
  let o = 0;
  out[o++] = 0x30;
  const outerLen = encodeLength(total);
  out.set(outerLen, o);
  o += outerLen.length;
  const days = new DayCache();
  for (let i = 0; i < n; i++) {
    const start = serialStart[i]!;
    const len = serialStart[i + 1]! - start;
    const pad = serialBytes[start]! & 0x80 ? 1 : 0;
    const secs = seconds[i]!;
    const r = REASON_OK[reasons[i]!]!;
    out[o++] = 0x30;
    out[o++] = 2 + len + pad + (secs >= GENERALIZED_TIME_FROM ? 17 : 15) + (r >= 0 ? 14 : 0);
    out[o++] = 0x02;
    out[o++] = len + pad;
    if (pad) out[o++] = 0;
    out.set(serialBytes.subarray(start, start + len), o);
    o += len;
    o = writeTime(out, o, secs, days);
    if (r >= 0) {
      out[o++] = 0x30; out[o++] = 0x0c; // Extensions
      out[o++] = 0x30; out[o++] = 0x0a; // Extension
      out.set(OID_REASON_CODE, o);
      o += OID_REASON_CODE.length;
      out[o++] = 0x04; out[o++] = 0x03; // extnValue OCTET STRING
      out[o++] = 0x0a; out[o++] = 0x01; out[o++] = r; // ENUMERATED CRLReason
    }
  }
  if (o !== out.length) throw new CaError('internal', 'CRL entry encoding size mismatch');
  return out;
}

/** RFC 5280 5.2.1 AKI (keyIdentifier only, non-critical) and 5.2.3 cRLNumber (non-critical), in [0] EXPLICIT. */
function crlExtensions(keyIdentifier: Uint8Array, crlNumber: bigint): Uint8Array {
  const aki = tlv(0x30, concat([OID_AKI, tlv(0x04, tlv(0x30, tlv(0x80, keyIdentifier)))]));
  const number = tlv(0x30, concat([OID_CRL_NUMBER, tlv(0x04, tlv(0x02, integerContent(crlNumber.toString(16))))]));
  return tlv(0xa0, tlv(0x30, concat([aki, number])));
}

/** The DER TBSCertList. */
export function encodeTbsCertList(p: CrlParams): Uint8Array {
  if (p.crlNumber <= 0n || p.crlNumber >= MAX_CRL_NUMBER) throw new CaError('internal', 'cRLNumber must be in 1..2^159-1 (BR 7.2)');
  if (p.nextUpdate.getTime() <= p.thisUpdate.getTime()) throw new CaError('internal', 'nextUpdate must be after thisUpdate (RFC 5280 5.1.2.5)');
  const issuer = readTlv(p.issuerDer);
  if (issuer.tag !== 0x30 || issuer.end !== p.issuerDer.length) throw new CaError('internal', 'the issuer is not a DER Name');
  const revoked = encodeRevokedCertificates(p.entries);
  return tlv(
    0x30,
    concat([
      VERSION_V2,
      SHA256_WITH_RSA,
      p.issuerDer,
      encodeTime(p.thisUpdate.getTime() / 1000),
      encodeTime(p.nextUpdate.getTime() / 1000),
      revoked,
      crlExtensions(p.keyIdentifier, p.crlNumber),
    ]),
  );
}

/** CertificateList = SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING (0 unused bits) signature }. */
export function assembleCrl(tbs: Uint8Array, signature: Uint8Array): Uint8Array {
  return tlv(0x30, concat([tbs, SHA256_WITH_RSA, tlv(0x03, concat([Uint8Array.of(0), signature]))]));
}

/** Encodes and signs a CRL with the issuing CA's key in the signer (the HSM in the signing worker). */
export async function signCrl(p: CrlParams, signer: Signer, keyLabel: string): Promise<Uint8Array> {
  const tbs = encodeTbsCertList(p);
  const signature = await signer.signSha256Rsa(keyLabel, tbs);
  return assembleCrl(tbs, signature);
}

export interface CrlSummary {
  readonly tbs: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: bigint;
  readonly entryCount: number;
  readonly signature: Uint8Array;
}

function readTime(bytes: Uint8Array, t: { tag: number; contentStart: number; end: number }): Date {
  const s = Buffer.from(bytes.subarray(t.contentStart, t.end)).toString('latin1');
  const m = t.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new CaError('malformed', `bad CRL time ${s}`);
  let y = Number(m[1]);
  if (t.tag === 0x17) y += y < 50 ? 2000 : 1900;
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * Reads back what the publication check needs (issuer bytes, times, number, entry count) with the DER walker,
 * independently of the encoder above. Counting entries walks only the outer TLVs: fast on a million entries.
 */
export function readCrl(der: Uint8Array): CrlSummary {
  const outer = readTlv(der);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new CaError('malformed', 'the CRL is not one DER SEQUENCE');
  const [tbsT, algT, sigT] = children(der, outer);
  if (!tbsT || !algT || !sigT || sigT.tag !== 0x03) throw new CaError('malformed', 'not a CertificateList');
  const fields = children(der, tbsT);
  let i = 0;
  if (fields[i]?.tag === 0x02) i++; // version
  i++; // signature algorithm
  const issuerT = fields[i++]!;
  const thisT = fields[i++]!;
  let nextT: typeof thisT | undefined;
  if (fields[i] && (fields[i]!.tag === 0x17 || fields[i]!.tag === 0x18)) nextT = fields[i++];
  let entryCount = 0;
  if (fields[i]?.tag === 0x30) {
    const list = fields[i++]!;
    for (let p = list.contentStart; p < list.end; entryCount++) p = readTlv(der, p, list.end).end;
  }
  let crlNumber = -1n;
  const extsT = fields[i];
  if (extsT?.tag === 0xa0) {
    const [seq] = children(der, extsT);
    for (const ext of children(der, seq!)) {
      const [oid, ...rest] = children(der, ext);
      if (oid && bytesEqual(slice(der, oid), OID_CRL_NUMBER)) {
        const value = rest[rest.length - 1]!;
        const int = readTlv(der, value.contentStart, value.end);
        crlNumber = BigInt(`0x${Buffer.from(der.subarray(int.contentStart, int.end)).toString('hex') || '0'}`);
      }
    }
  }
  if (!nextT) throw new CaError('malformed', 'the CRL has no nextUpdate (BR 7.2 requires it)');
  return {
    tbs: slice(der, tbsT),
    issuerDer: slice(der, issuerT),
    thisUpdate: readTime(der, thisT),
    nextUpdate: readTime(der, nextT),
    crlNumber,
    entryCount,
    signature: der.subarray(sigT.contentStart + 1, sigT.end),
  };
}

/** sha256WithRSAEncryption over the TBSCertList with the issuing CA's public key (node:crypto, not our signer). */
export function verifyCrlSignature(der: Uint8Array, issuerSpkiDer: Uint8Array): boolean {
  const summary = readCrl(der);
  const key = createPublicKey({ key: Buffer.from(issuerSpkiDer), format: 'der', type: 'spki' });
  return cryptoVerify('sha256', summary.tbs, key, summary.signature);
}
