/**
 * Signed Certificate Timestamps (RFC 6962): the TLS encodings we write ourselves — pkijs'
 * SignedCertificateTimestampList.toSchema() writes a corrupt list (TOOLCHAIN.md, PKI.js issue #293) — and the
 * verification of a log's signature over a precertificate entry (issuance cycle steps 8 and 10).
 *
 *   SCT (RFC 6962 3.2)   = version(1) ‖ logID(32) ‖ timestamp(u64 ms) ‖ u16 extLen ‖ ext ‖ hashAlg(1) ‖ sigAlg(1) ‖ u16 sigLen ‖ sig
 *   SCT list (RFC 6962 3.3) = u16 total ‖ for each SCT: u16 len ‖ SCT, carried as an OCTET STRING in the
 *   X.509 extension 1.3.6.1.4.1.11129.2.4.2.
 *   Signed data (RFC 6962 3.2) for a precert_entry = version(0) ‖ signature_type(0) ‖ timestamp(u64) ‖ entry_type(u16 = 1)
 *   ‖ issuer_key_hash(32) ‖ u24 len ‖ TBSCertificate (precertificate minus poison) ‖ u16 extLen ‖ ext.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { CaError } from '../domain/errors';
import { concat, readTlv, readUntrusted, tlv } from './der';

/** RFC 5246 7.4.1.4.1 HashAlgorithm / SignatureAlgorithm numbers used by CT logs (RFC 6962 2.1.4). */
export const tlsHash = { sha256: 4 } as const;
export const tlsSignature = { rsa: 1, ecdsa: 3 } as const;

export interface Sct {
  /** RFC 6962 v1 = 0. */
  readonly version: number;
  /** SHA-256 of the log's DER SubjectPublicKeyInfo (RFC 6962 3.2). */
  readonly logId: Uint8Array;
  /** Milliseconds since the epoch, as the log signed it. */
  readonly timestamp: number;
  readonly extensions: Uint8Array;
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  /** The signature bytes (DER ECDSA-Sig-Value for ECDSA logs). */
  readonly signature: Uint8Array;
}

function u16(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new CaError('internal', `value ${n} does not fit in uint16`);
  return Uint8Array.of(n >> 8, n & 0xff);
}

function u24(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffff) throw new CaError('internal', `value ${n} does not fit in uint24`);
  return Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
}

function u64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new CaError('internal', `timestamp ${n} is not a non-negative integer`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** RFC 6962 3.2: LogID = SHA-256 of the log's public key (DER SubjectPublicKeyInfo). */
export const logIdOf = (logSpkiDer: Uint8Array): Uint8Array => sha256(logSpkiDer);

/** One SCT in its TLS encoding (RFC 6962 3.2). */
export function encodeSct(s: Sct): Uint8Array {
  if (s.logId.length !== 32) throw new CaError('internal', 'an SCT log id is 32 bytes (SHA-256)');
  return concat([
    Uint8Array.of(s.version),
    s.logId,
    u64(s.timestamp),
    u16(s.extensions.length),
    s.extensions,
    Uint8Array.of(s.hashAlgorithm, s.signatureAlgorithm),
    u16(s.signature.length),
    s.signature,
  ]);
}

/** RFC 6962 3.3 SignedCertificateTimestampList (TLS): u16 total ‖ (u16 len ‖ SCT)+. */
export function encodeSctList(scts: readonly Sct[]): Uint8Array {
  if (scts.length === 0) throw new CaError('internal', 'an SCT list holds at least one SCT (RFC 6962 3.3)');
  const body = concat(scts.map((s) => {
    const one = encodeSct(s);
    return concat([u16(one.length), one]);
  }));
  return concat([u16(body.length), body]);
}

/** The X.509 extnValue content of 1.3.6.1.4.1.11129.2.4.2: the TLS list wrapped in an OCTET STRING (RFC 6962 3.3). */
export function sctListExtensionValue(scts: readonly Sct[]): Uint8Array {
  return tlv(0x04, encodeSctList(scts));
}

class Reader {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.at + n > this.b.length) throw new CaError('malformed', 'SCT truncated');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }
  u64(): number {
    const v = new DataView(this.take(8).slice().buffer).getBigUint64(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CaError('malformed', 'SCT timestamp out of range');
    return Number(v);
  }
  done(): boolean {
    return this.at === this.b.length;
  }
}

/** One SCT (RFC 6962 3.2) from a log or the database; CaError('malformed') if it does not decode. */
export function decodeSct(bytes: Uint8Array): Sct {
  return readUntrusted('SCT', () => sctFrom(new Reader(bytes)));
}

function sctFrom(r: Reader): Sct {
  const version = r.u8();
  const logId = r.take(32).slice();
  const timestamp = r.u64();
  const extensions = r.take(r.u16()).slice();
  const hashAlgorithm = r.u8();
  const signatureAlgorithm = r.u8();
  const signature = r.take(r.u16()).slice();
  if (!r.done()) throw new CaError('malformed', 'trailing bytes after the SCT');
  return { version, logId, timestamp, extensions, hashAlgorithm, signatureAlgorithm, signature };
}

/** Decodes the TLS SCT list (without the OCTET STRING wrapper). */
export function decodeSctList(bytes: Uint8Array): Sct[] {
  return readUntrusted('SCT list', () => {
    const r = new Reader(bytes);
    const total = r.u16();
    if (total !== bytes.length - 2) throw new CaError('malformed', 'SCT list length does not match its content');
    const out: Sct[] = [];
    while (!r.done()) out.push(sctFrom(new Reader(r.take(r.u16()))));
    if (out.length === 0) throw new CaError('malformed', 'empty SCT list');
    return out;
  });
}

/** Decodes the extnValue content (OCTET STRING ‖ TLS list) of the SCT list extension. */
export function decodeSctListExtensionValue(value: Uint8Array): Sct[] {
  const os = readUntrusted('SCT list extension', () => readTlv(value));
  if (os.tag !== 0x04 || os.end !== value.length) throw new CaError('malformed', 'SCT list extension: not an OCTET STRING');
  return decodeSctList(value.subarray(os.contentStart, os.end));
}

/**
 * Reads a log's add-pre-chain / add-chain answer (RFC 6962 4.1): `sct_version`, `id`, `timestamp`, `extensions`
 * (base64) and `signature` (base64 of the TLS DigitallySigned: hashAlg ‖ sigAlg ‖ u16 len ‖ sig).
 */
export function sctFromAddChainResponse(json: unknown): Sct {
  return readUntrusted('add-pre-chain answer', () => sctOfAnswer(json));
}

function sctOfAnswer(json: unknown): Sct {
  if (typeof json !== 'object' || json === null) throw new CaError('malformed', 'not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.sct_version !== 'number' || typeof o.id !== 'string' || typeof o.timestamp !== 'number'
    || typeof o.signature !== 'string' || (o.extensions !== undefined && typeof o.extensions !== 'string')) {
    throw new CaError('malformed', 'lacks sct_version/id/timestamp/signature');
  }
  const logId = new Uint8Array(Buffer.from(o.id, 'base64'));
  if (logId.length !== 32) throw new CaError('malformed', 'id is not 32 bytes');
  const ds = new Reader(new Uint8Array(Buffer.from(o.signature, 'base64')));
  const hashAlgorithm = ds.u8();
  const signatureAlgorithm = ds.u8();
  const signature = ds.take(ds.u16()).slice();
  if (!ds.done()) throw new CaError('malformed', 'trailing bytes after the signature');
  return {
    version: o.sct_version,
    logId,
    timestamp: o.timestamp,
    extensions: new Uint8Array(Buffer.from((o.extensions as string | undefined) ?? '', 'base64')),
    hashAlgorithm,
    signatureAlgorithm,
    signature,
  };
}

/** The add-pre-chain JSON a log answers for `s` (for the in-process fake log used in fault-injection tests). */
export function sctToAddChainResponse(s: Sct): Record<string, unknown> {
  return {
    sct_version: s.version,
    id: Buffer.from(s.logId).toString('base64'),
    timestamp: s.timestamp,
    extensions: Buffer.from(s.extensions).toString('base64'),
    signature: Buffer.from(concat([Uint8Array.of(s.hashAlgorithm, s.signatureAlgorithm), u16(s.signature.length), s.signature])).toString('base64'),
  };
}

/**
 * RFC 6962 3.2: the bytes a log signs for a precert_entry. `tbsDer` is the precertificate's TBSCertificate with the
 * poison removed; `issuerSpkiDer` is the SPKI of the CA that signed the precertificate (we never use a dedicated
 * precertificate-signing CA: banned from 2026-03-15, POLICY-2026.md), whose SHA-256 is the issuer_key_hash.
 */
export function precertSignedData(p: { timestamp: number; issuerSpkiDer: Uint8Array; tbsDer: Uint8Array; extensions: Uint8Array }): Uint8Array {
  return concat([
    Uint8Array.of(0, 0), // sct_version v1, signature_type certificate_timestamp
    u64(p.timestamp),
    u16(1), // entry_type precert_entry
    sha256(p.issuerSpkiDer),
    u24(p.tbsDer.length),
    p.tbsDer,
    u16(p.extensions.length),
    p.extensions,
  ]);
}

export type SctCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verifies one SCT for a precertificate entry against the log's public key: version v1, log id = SHA-256(key),
 * SHA-256 with ECDSA or RSA (RFC 6962 2.1.4), and the signature over precertSignedData.
 */
export function verifyPrecertSct(
  sct: Sct,
  p: { logSpkiDer: Uint8Array; issuerSpkiDer: Uint8Array; tbsDer: Uint8Array },
): SctCheck {
  if (sct.version !== 0) return { ok: false, reason: `unsupported SCT version ${sct.version}` };
  const expectedId = logIdOf(p.logSpkiDer);
  if (!Buffer.from(expectedId).equals(Buffer.from(sct.logId))) return { ok: false, reason: 'SCT log id is not the SHA-256 of the log key' };
  if (sct.hashAlgorithm !== tlsHash.sha256) return { ok: false, reason: `SCT hash algorithm ${sct.hashAlgorithm} is not SHA-256` };
  const key = createPublicKey({ key: Buffer.from(p.logSpkiDer), format: 'der', type: 'spki' });
  const expectedSig = key.asymmetricKeyType === 'ec' ? tlsSignature.ecdsa : key.asymmetricKeyType === 'rsa' ? tlsSignature.rsa : -1;
  if (sct.signatureAlgorithm !== expectedSig) return { ok: false, reason: `SCT signature algorithm ${sct.signatureAlgorithm} does not match the log key` };
  const data = precertSignedData({ timestamp: sct.timestamp, issuerSpkiDer: p.issuerSpkiDer, tbsDer: p.tbsDer, extensions: sct.extensions });
  let good = false;
  try {
    good = cryptoVerify('sha256', data, key, sct.signature);
  } catch {
    good = false;
  }
  return good ? { ok: true } : { ok: false, reason: 'SCT signature does not verify against the log key' };
}
