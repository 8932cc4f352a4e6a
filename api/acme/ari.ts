/**
 * RFC 9773 §4.1 certificate identifiers for ACME Renewal Information:
 * certID = base64url(AKI keyIdentifier) "." base64url(DER INTEGER content octets of the serial), no padding.
 */
import { serialToIntegerBytes } from '../../pki/certificate';
import { CaError } from '../../domain/errors';

export function certIdOf(issuerKeyIdentifier: Uint8Array, serialHex: string): string {
  return `${Buffer.from(issuerKeyIdentifier).toString('base64url')}.${Buffer.from(serialToIntegerBytes(serialHex)).toString('base64url')}`;
}

const b64url = /^[A-Za-z0-9_-]+$/;

/** Parses a certID; the serial comes back as lowercase hex without leading zeros (our stored form). */
export function parseCertId(certId: string): { keyIdentifier: Uint8Array; serialHex: string } {
  const parts = certId.split('.');
  if (parts.length !== 2 || !parts.every((p) => b64url.test(p))) {
    throw new CaError('malformed', 'a certID is base64url(AKI keyIdentifier) "." base64url(serial), RFC 9773 §4.1');
  }
  const keyIdentifier = new Uint8Array(Buffer.from(parts[0]!, 'base64url'));
  const serialBytes = Buffer.from(parts[1]!, 'base64url');
  if (keyIdentifier.length === 0 || serialBytes.length === 0 || serialBytes.length > 21) {
    throw new CaError('malformed', 'the certID has an empty key identifier or an impossible serial (RFC 9773 §4.1)');
  }
  // A positive serial's DER content has a leading 00 only when the next byte's top bit is set (X.690 8.3.2).
  if (serialBytes[0]! & 0x80) throw new CaError('malformed', 'the certID serial is negative');
  const serialHex = serialBytes.toString('hex').replace(/^0+/, '');
  if (serialHex === '') throw new CaError('malformed', 'the certID serial is zero');
  return { keyIdentifier, serialHex };
}
