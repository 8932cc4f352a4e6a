import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { CaError } from '../domain/errors';
import { checkDerStructure, decodeDer, parseDer, readUntrusted, tlv, untrustedDerLimits } from './der';

/** The CaError a call throws (fails the test when it throws anything else, or nothing). */
function refusal(fn: () => unknown): CaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaError);
    return e as CaError;
  }
  throw new Error('expected a CaError');
}

const nested = (depth: number): Uint8Array => {
  let inner: Uint8Array = Uint8Array.of(0x05, 0x00);
  for (let i = 0; i < depth; i++) inner = tlv(0x30, inner);
  return inner;
};

describe('the one way in for untrusted DER: every failure is CaError(malformed) naming the input', () => {
  it.each([
    // asn1js throws "Wrong input string for conversion" here instead of returning its error result.
    ['a malformed GeneralizedTime (asn1js throws)', Uint8Array.of(0x18, 0x03, 0x61, 0x62, 0x63)],
    ['empty input', new Uint8Array(0)],
    ['a truncated header', Uint8Array.of(0x30)],
    ['a length past the end', Uint8Array.of(0x30, 0x05, 0x02, 0x01, 0x00)],
    ['trailing bytes', Uint8Array.of(0x05, 0x00, 0x00)],
    ['an indefinite length (BER, not DER)', Uint8Array.of(0x30, 0x80, 0x05, 0x00, 0x00, 0x00)],
    ['a child running past its parent', Uint8Array.of(0x30, 0x03, 0x04, 0x05, 0x00, 0x00, 0x00)],
    ['a length of more than 4 octets', Uint8Array.of(0x04, 0x85, 0, 0, 0, 0, 1, 0)],
    ['nesting deeper than the limit', nested(untrustedDerLimits.maxDepth + 1)],
    // X.690 DER rules where lenient readers differ (OpenSSL refuses each of these).
    ['a NULL with contents', Uint8Array.of(0x30, 0x03, 0x05, 0x01, 0x00)],
    ['an INTEGER with a redundant leading zero', Uint8Array.of(0x02, 0x02, 0x00, 0x01)],
    ['an empty INTEGER', Uint8Array.of(0x02, 0x00)],
    ['a BOOLEAN that is neither 00 nor FF', Uint8Array.of(0x01, 0x01, 0x01)],
    ['a length in the long form below 128', Uint8Array.of(0x04, 0x81, 0x01, 0x00)],
    ['a length with a leading zero octet', Uint8Array.of(0x04, 0x82, 0x00, 0x81, ...new Uint8Array(0x81))],
    ['a constructed OCTET STRING', Uint8Array.of(0x24, 0x03, 0x04, 0x01, 0x00)],
    ['a BIT STRING with non-zero unused bits', Uint8Array.of(0x03, 0x02, 0x01, 0x01)],
    ['a BIT STRING claiming 8 unused bits', Uint8Array.of(0x03, 0x02, 0x08, 0x00)],
    ['an OBJECT IDENTIFIER arc with a leading 0x80', Uint8Array.of(0x06, 0x03, 0x2a, 0x80, 0x01)],
    ['a truncated OBJECT IDENTIFIER', Uint8Array.of(0x06, 0x02, 0x2a, 0x86)],
    ['a UTCTime without seconds', new Uint8Array([0x17, 0x0b, ...new TextEncoder().encode('2601010000Z')])],
    ['a GeneralizedTime with a zone offset', new Uint8Array([0x18, 0x13, ...new TextEncoder().encode('20260101000000+0900')])],
    ['an end-of-contents pair inside a SEQUENCE', Uint8Array.of(0x30, 0x02, 0x00, 0x00)],
  ])('%s', (_name, bytes) => {
    const e = refusal(() => parseDer(bytes, 'test input'));
    expect(e.kind).toBe('malformed');
    expect(e.message).toMatch(/^test input: /);
    expect(e.details.parsing).toBe('test input');
  });

  it('refuses input above the size limit before reading it', () => {
    const big = tlv(0x04, new Uint8Array(2_000));
    expect(refusal(() => parseDer(big, 'x', { ...untrustedDerLimits, maxBytes: 1_000 })).message).toContain('at most 1000');
  });

  it('refuses more elements than the node limit', () => {
    const many = tlv(0x30, new Uint8Array(200).fill(0).map((_, i) => (i % 2 === 0 ? 0x05 : 0x00)));
    expect(refusal(() => checkDerStructure(many, 'x', { ...untrustedDerLimits, maxNodes: 50 })).message).toContain('more than 50 elements');
  });

  it('accepts nesting up to the limit, high tag numbers, and the DER forms of the checked types', () => {
    expect(() => parseDer(nested(untrustedDerLimits.maxDepth - 1), 'x')).not.toThrow();
    expect(() => checkDerStructure(Uint8Array.of(0x30, 0x04, 0x9f, 0x81, 0x00, 0x00), 'x')).not.toThrow();
    const utc = new TextEncoder().encode('260101000000Z');
    const generalized = new TextEncoder().encode('20500101000000.5Z');
    const fields = [
      [0x01, 0x01, 0xff], [0x02, 0x02, 0x00, 0x80], [0x02, 0x01, 0x00], [0x05, 0x00], [0x06, 0x03, 0x2a, 0x86, 0x48],
      [0x03, 0x02, 0x04, 0xf0], [0x03, 0x01, 0x00], [0x17, utc.length, ...utc], [0x18, generalized.length, ...generalized],
    ].flat();
    expect(() => parseDer(Uint8Array.of(0x30, fields.length, ...fields), 'x')).not.toThrow();
  });

  it('checks the schema: valid DER of another structure is malformed', () => {
    const e = refusal(() => decodeDer(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), 'certificate', pkijs.Certificate));
    expect(e.kind).toBe('malformed');
    expect(e.message).toMatch(/^certificate: /);
  });

  it('readUntrusted keeps a CaError of another kind (a rule the input broke) and names the input in malformed ones', () => {
    expect(refusal(() => readUntrusted('CSR', () => {
      throw new CaError('badPublicKey', 'too small');
    })).kind).toBe('badPublicKey');
    expect(refusal(() => readUntrusted('CSR', () => {
      throw new TypeError('x is undefined');
    })).message).toBe('CSR: does not decode (x is undefined)');
  });
});
