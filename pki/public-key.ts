/**
 * The SubjectPublicKeyInfo (RFC 5280 4.1.2.7) a PEM block from outside carries — a certificate's, a PUBLIC KEY
 * itself, or a PKCS#1 RSA PUBLIC KEY (RFC 8017 A.1.1) wrapped as one — read through the guarded DER reader
 * (pki/der.ts): a block that does not decode is CaError('malformed') naming `what`.
 */
import { createPublicKey } from 'node:crypto';
import * as pkijs from 'pkijs';
import { CaError } from '../domain/errors';
import { certificateFields } from './ca-hierarchy';
import { decodeDer, parseDer, readUntrusted } from './der';
import type { PemBlock } from './pem';

/** The PEM labels spkiOfPemBlock reads. */
export const PUBLIC_KEY_PEM_LABELS = ['CERTIFICATE', 'PUBLIC KEY', 'RSA PUBLIC KEY'] as const;

export function spkiOfPemBlock(block: PemBlock, what: string): Uint8Array {
  switch (block.label) {
    case 'CERTIFICATE':
      decodeDer(block.der, what, pkijs.Certificate);
      return readUntrusted(what, () => certificateFields(block.der).spkiDer);
    case 'PUBLIC KEY':
      decodeDer(block.der, what, pkijs.PublicKeyInfo);
      return block.der;
    case 'RSA PUBLIC KEY':
      parseDer(block.der, what);
      return readUntrusted(what, () =>
        new Uint8Array(createPublicKey({ key: Buffer.from(block.der), format: 'der', type: 'pkcs1' }).export({ type: 'spki', format: 'der' })),
      );
    default:
      throw new CaError('malformed', `${what}: a PEM block labelled ${block.label} carries no public key we read (${PUBLIC_KEY_PEM_LABELS.join(', ')})`, { parsing: what });
  }
}
