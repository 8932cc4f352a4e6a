/**
 * DER, two ways:
 *  - the one way in for untrusted DER (`decodeDer`, `parseDer`, `checkDerStructure`, `readUntrusted`): a size limit,
 *    a structural walk (definite lengths, children filling their parent exactly, a nesting-depth and a node limit),
 *    then asn1js inside a guard, then the schema (a pkijs type). asn1js throws on some malformed primitive values
 *    (a GeneralizedTime, a string) instead of returning its error result; every throw and every error result becomes
 *    one `malformed` CaError naming what was being parsed, so a door answers its 4xx problem, never a 500. Nothing
 *    else in the code base calls asn1js's `fromBER` (eslint.config.js enforces it);
 *  - a minimal TLV reader/writer for byte-exact surgery that must not depend on a library's re-encoding: removing
 *    the CT extensions from a TBSCertificate (RFC 6962 3.2 correspondence check), reading the subjectPublicKey bits
 *    of an SPKI (RFC 5280 4.2.1.2 key identifiers), OCSP requests. Definite lengths only (DER).
 */
import * as asn1js from 'asn1js';
import { CaError, isCaError } from '../domain/errors';

// ---------------------------------------------------------------------------------------------------------------
// Untrusted input

/** Limits on one untrusted DER input; the defaults leave room above the largest legitimate input of every door. */
export interface DerLimits {
  /** Bytes; a larger input is refused before anything reads it (the doors' body limit is 64 KiB). */
  readonly maxBytes: number;
  /** Nesting depth of constructed TLVs (a CSR or a certificate nests about 10 deep). */
  readonly maxDepth: number;
  /** TLVs in all (a CSR with 100 SANs has about 150). */
  readonly maxNodes: number;
}

export const untrustedDerLimits: DerLimits = { maxBytes: 64 * 1024, maxDepth: 24, maxNodes: 4096 };

/** A pkijs type: its constructor checks the schema of the parsed ASN.1 (and throws when it does not match). */
export type SchemaType<T> = new (params: { schema: asn1js.AsnType }) => T;

function malformed(what: string, detail: string): CaError {
  return new CaError('malformed', `${what}: ${detail}`, { parsing: what });
}

/**
 * Runs `read` over untrusted input. A CaError of another kind passes unchanged (a rule the input broke); a malformed
 * one is prefixed with `what`; anything else it throws (asn1js, pkijs, a TypeError deep inside) becomes
 * CaError('malformed') naming `what`.
 */
export function readUntrusted<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw asMalformed(what, e);
  }
}

/** readUntrusted for a reader that awaits (e.g. a signature check inside the parse). */
export async function readUntrustedAsync<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw asMalformed(what, e);
  }
}

function asMalformed(what: string, e: unknown): CaError {
  if (isCaError(e)) return e.kind === 'malformed' ? new CaError('malformed', `${what}: ${e.message}`, { ...e.details, parsing: what }) : e;
  const text = e instanceof Error ? e.message : String(e);
  return malformed(what, `does not decode (${text.slice(0, 160)})`);
}

/** One TLV header, with high tag numbers (X.690 8.1.2.4); lengths definite and minimal (X.690 10.1: DER). */
function header(bytes: Uint8Array, offset: number, limit: number): { tag: number; constructed: boolean; contentStart: number; end: number } {
  const first = bytes[offset]!;
  let p = offset + 1;
  if ((first & 0x1f) === 0x1f) {
    for (let n = 1; ; n++) {
      if (p >= limit || n > 4) throw new CaError('malformed', 'truncated or oversized tag');
      if (bytes[p++]! < 0x80) break;
    }
  }
  if (p >= limit) throw new CaError('malformed', 'truncated header');
  let len = bytes[p++]!;
  if (len === 0x80) throw new CaError('malformed', 'indefinite length (not DER)');
  if (len > 0x80) {
    const n = len - 0x80;
    if (n > 4 || p + n > limit) throw new CaError('malformed', 'truncated or oversized length');
    if (bytes[p] === 0) throw new CaError('malformed', 'a length with leading zero octets (not DER)');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p + i]!;
    if (len < 0x80) throw new CaError('malformed', 'a short length in the long form (not DER)');
    p += n;
  }
  if (p + len > limit) throw new CaError('malformed', `a length runs ${p + len - limit} bytes past its container`);
  return { tag: first, constructed: (first & 0x20) !== 0, contentStart: p, end: p + len };
}

const universal = { boolean: 0x01, integer: 0x02, bitString: 0x03, null: 0x05, oid: 0x06, enumerated: 0x0a, utcTime: 0x17, generalizedTime: 0x18 };

/**
 * The DER rules on the contents of the universal primitive types a certificate, CSR or OCSP request uses (X.690
 * 8.2, 8.3, 8.6, 8.8, 8.19, 10, 11; RFC 5280 4.1.2.5 for the times): what a lenient library would read one way and
 * OpenSSL or Go another. Other contents are the schema's business.
 */
function checkUniversalPrimitive(bytes: Uint8Array, tag: number, start: number, end: number): void {
  const len = end - start;
  const b0 = bytes[start]!;
  const fail = (what: string) => {
    throw new CaError('malformed', `${what} (X.690 DER)`);
  };
  switch (tag) {
    case universal.boolean:
      if (len !== 1 || (b0 !== 0 && b0 !== 0xff)) fail('a BOOLEAN is one octet, 00 or FF');
      break;
    case universal.integer:
    case universal.enumerated:
      if (len === 0) fail('an empty INTEGER');
      if (len > 1 && ((b0 === 0 && bytes[start + 1]! < 0x80) || (b0 === 0xff && bytes[start + 1]! >= 0x80))) fail('an INTEGER with a redundant leading octet');
      break;
    case universal.null:
      if (len !== 0) fail('a NULL with contents');
      break;
    case universal.oid:
      if (len === 0 || bytes[end - 1]! & 0x80) fail('an OBJECT IDENTIFIER is empty or truncated');
      for (let i = start; i < end; i++) if (bytes[i] === 0x80 && (i === start || !(bytes[i - 1]! & 0x80))) fail('an OBJECT IDENTIFIER arc with a leading 0x80');
      break;
    case universal.bitString:
      if (len === 0 || b0 > 7 || (len === 1 && b0 !== 0)) fail('a BIT STRING with a bad unused-bits count');
      if (len > 1 && bytes[end - 1]! & ((1 << b0) - 1)) fail('a BIT STRING whose unused bits are not zero');
      break;
    case universal.utcTime:
    case universal.generalizedTime: {
      const text = String.fromCharCode(...bytes.subarray(start, end));
      if (!(tag === universal.utcTime ? /^\d{12}Z$/ : /^\d{14}(\.\d*[1-9])?Z$/).test(text)) fail(`a ${tag === universal.utcTime ? 'UTCTime' : 'GeneralizedTime'} not in the form YY(YY)MMDDHHMMSSZ`);
      break;
    }
  }
}

/**
 * The structure of untrusted DER, without a library: one TLV filling the input exactly, definite minimal lengths,
 * each constructed TLV filled exactly by its children, at most `maxDepth` deep and `maxNodes` in all; universal types
 * constructed only for SEQUENCE and SET, and the DER rules on the primitive contents above. Other primitive contents
 * (e.g. an OCTET STRING that holds an extension) are the schema's business.
 */
export function checkDerStructure(bytes: Uint8Array, what: string, limits: DerLimits = untrustedDerLimits): void {
  readUntrusted(what, () => {
    if (bytes.length === 0) throw new CaError('malformed', 'empty');
    if (bytes.length > limits.maxBytes) throw new CaError('malformed', `${bytes.length} bytes; at most ${limits.maxBytes} are read`);
    const top = header(bytes, 0, bytes.length);
    if (top.end !== bytes.length) throw new CaError('malformed', `${bytes.length - top.end} trailing bytes`);
    // Ends of the constructed TLVs being walked, outermost first; `p` walks the children of the innermost.
    const open: number[] = [];
    let end = bytes.length;
    let p = 0;
    let nodes = 0;
    for (;;) {
      if (p === end) {
        if (open.length === 0) return;
        end = open.pop()!;
        continue;
      }
      const h = header(bytes, p, end);
      if (++nodes > limits.maxNodes) throw new CaError('malformed', `more than ${limits.maxNodes} elements`);
      if (h.tag < 0x40 && (h.tag & 0x1f) !== 0x1f) {
        // Universal class (X.690 10.2: string types primitive in DER; tag 0 is end-of-contents, BER only).
        if ((h.tag & 0x1f) === 0) throw new CaError('malformed', 'an end-of-contents octet pair (not DER)');
        if (h.constructed && h.tag !== 0x30 && h.tag !== 0x31) throw new CaError('malformed', `a constructed universal type ${h.tag & 0x1f} (not DER)`);
        if (!h.constructed) checkUniversalPrimitive(bytes, h.tag, h.contentStart, h.end);
      }
      if (h.constructed) {
        open.push(end);
        if (open.length > limits.maxDepth) throw new CaError('malformed', `nested more than ${limits.maxDepth} deep`);
        end = h.end;
        p = h.contentStart;
      } else {
        p = h.end;
      }
    }
  });
}

/**
 * The one way in for untrusted DER: checkDerStructure, then asn1js inside the guard (with the same limits; an error
 * result is refused like a throw). Returns the parsed ASN.1; use decodeDer to check a schema too.
 */
export function parseDer(bytes: Uint8Array, what: string, limits: DerLimits = untrustedDerLimits): asn1js.AsnType {
  checkDerStructure(bytes, what, limits);
  return readUntrusted(what, () => {
    // asn1js also parses primitive OCTET/BIT STRING contents that look like DER (its "embedded" values): its
    // depth and node counts include those, hence the room above our structural limits.
    const asn = asn1js.fromBER(bytes, { maxDepth: limits.maxDepth * 2, maxNodes: limits.maxNodes * 4, maxContentLength: limits.maxBytes });
    if (asn.offset === -1) throw new CaError('malformed', `not valid DER (${asn.result.error || 'decode error'})`);
    if (asn.offset !== bytes.byteLength) throw new CaError('malformed', `${bytes.byteLength - asn.offset} trailing bytes`);
    return asn.result;
  });
}

/** parseDer, then the schema: `type` (a pkijs class) built from the parsed ASN.1, inside the guard. */
export function decodeDer<T>(bytes: Uint8Array, what: string, type: SchemaType<T>, limits: DerLimits = untrustedDerLimits): T {
  const asn = parseDer(bytes, what, limits);
  return readUntrusted(what, () => new type({ schema: asn }));
}

/** decodeDer for an ASN.1 value already parsed by this module (e.g. an attribute value inside a CSR). */
export function decodeSchema<T>(asn: asn1js.AsnType, what: string, type: SchemaType<T>): T {
  return readUntrusted(what, () => new type({ schema: asn }));
}

// ---------------------------------------------------------------------------------------------------------------
// TLV surgery (trusted or already checked input)

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset after the last content byte. */
  readonly end: number;
}

export function readTlv(bytes: Uint8Array, offset = 0, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new CaError('malformed', 'DER truncated (header)');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new CaError('malformed', 'DER high tag numbers are not supported');
  let len = bytes[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new CaError('malformed', 'DER indefinite or oversized length');
    if (p + n > limit) throw new CaError('malformed', 'DER truncated (length)');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new CaError('malformed', 'DER truncated (content)');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The TLVs directly inside a constructed TLV. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const c = readTlv(bytes, p, parent.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export function slice(bytes: Uint8Array, t: Tlv): Uint8Array {
  return bytes.subarray(t.start, t.end);
}

/** Dotted OID -> DER content bytes (for comparisons against raw extension OIDs). */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`bad OID ${oid}`);
  const out: number[] = [];
  const push = (v: bigint) => {
    const stack: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) stack.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...stack);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
