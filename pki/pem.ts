/**
 * PEM (RFC 7468) encoding and decoding of any label, and DER/PEM detection for inputs that may be either.
 * Decoding is tolerant of whitespace and CRLF line ends (RFC 7468 §3 "lax" parsing) but strict about the label:
 * a CSR endpoint must not accept a "CERTIFICATE" block as a CSR.
 */
import { CaError } from '../domain/errors';

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/;

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** Decodes the first PEM block of `text`. Throws CaError('malformed') on a broken block or a label mismatch. */
export function pemDecode(text: string, expectedLabels?: readonly string[]): PemBlock {
  const m = PEM_RE.exec(text);
  if (!m) throw new CaError('malformed', 'no PEM block found');
  const [, begin, body, end] = m as unknown as [string, string, string, string];
  if (begin !== end) throw new CaError('malformed', `PEM BEGIN label "${begin}" does not match END label "${end}"`);
  if (expectedLabels && !expectedLabels.includes(begin)) {
    throw new CaError('malformed', `PEM label "${begin}" is not one of: ${expectedLabels.join(', ')}`);
  }
  // RFC 7468 §2: headers (e.g. "Proc-Type:") are not allowed in the strict forms we accept.
  if (body.includes(':')) throw new CaError('malformed', 'PEM headers are not supported');
  const b64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new CaError('malformed', 'PEM body is not valid base64');
  }
  const der = new Uint8Array(Buffer.from(b64, 'base64'));
  if (der.length === 0) throw new CaError('malformed', 'empty PEM body');
  return { label: begin, der };
}

/** Decodes every PEM block in `text` (e.g. a chain file). */
export function pemDecodeAll(text: string, expectedLabels?: readonly string[]): PemBlock[] {
  const out: PemBlock[] = [];
  const re = new RegExp(PEM_RE.source, 'g');
  for (const m of text.matchAll(re)) out.push(pemDecode(m[0], expectedLabels));
  return out;
}

/** True when the bytes look like text PEM rather than DER (DER of any structure we take starts with SEQUENCE 0x30). */
export function looksLikePem(input: Uint8Array | string): boolean {
  if (typeof input === 'string') return input.includes('-----BEGIN ');
  if (input.length > 0 && input[0] === 0x30) return false;
  return Buffer.from(input.buffer, input.byteOffset, Math.min(input.byteLength, 4096)).toString('latin1').includes('-----BEGIN ');
}

/**
 * Accepts DER bytes, PEM bytes or a PEM string and returns DER. A string that is not PEM is taken as base64 or
 * base64url DER (the ACME finalize "csr" field is base64url DER, RFC 8555 §7.4).
 */
export function toDer(input: Uint8Array | string, expectedLabels: readonly string[]): Uint8Array {
  if (typeof input === 'string') {
    if (looksLikePem(input)) return pemDecode(input, expectedLabels).der;
    const s = input.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) throw new CaError('malformed', 'input is neither PEM nor base64 DER');
    const der = new Uint8Array(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
    if (der.length === 0) throw new CaError('malformed', 'empty input');
    return der;
  }
  if (looksLikePem(input)) {
    return pemDecode(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1'), expectedLabels).der;
  }
  if (input.length === 0) throw new CaError('malformed', 'empty input');
  return input;
}

/** Alias of pemEncode (the name the API layer uses). */
export const toPem = pemEncode;
