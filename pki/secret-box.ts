/**
 * Secrets kept at rest under a key from a secret file (config/secret-files.ts): AES-256-GCM (NIST SP 800-38D) with a
 * fresh 96-bit IV per value, and associated data that names what the value is for (e.g. the EAB key id), so a
 * sealed value copied into another row does not open there.
 *   sealed = version (1) ‖ IV (12) ‖ ciphertext ‖ tag (16)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CaError } from '../domain/errors';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new CaError('internal', 'a secret box key is 256 bits');
}

export function sealSecret(key: Uint8Array, plaintext: Uint8Array, associatedData: string): Uint8Array {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.of(VERSION), iv, ciphertext, cipher.getAuthTag()]));
}

/** Opens a sealed value; a wrong key, another associated data or any altered byte is refused (`invariantViolated`). */
export function openSecret(key: Uint8Array, sealed: Uint8Array, associatedData: string): Uint8Array {
  checkKey(key);
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new CaError('invariantViolated', 'a sealed secret has an unknown format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData, 'utf8')).setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]));
  } catch {
    throw new CaError('invariantViolated', 'a sealed secret does not open with this key (another key file, or altered)');
  }
}
