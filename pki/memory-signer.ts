/**
 * A Signer whose RSA-2048 keys live in process memory (node:crypto). For unit tests and for the throwaway lint key
 * of the issuance cycle (step 6: the TBS is signed by a key that is not the CA's before linting). Never for CA keys.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Signer } from './signer';

export class InMemorySigner implements Signer {
  private readonly keys = new Map<string, { privateKey: KeyObject; spki: Uint8Array }>();

  /** Generates (once) the key pair `label`. */
  ensureKey(label: string): void {
    if (this.keys.has(label)) return;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    this.keys.set(label, { privateKey, spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })) });
  }

  private key(label: string) {
    this.ensureKey(label);
    return this.keys.get(label)!;
  }

  async signSha256Rsa(label: string, data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', data, this.key(label).privateKey));
  }

  async publicKeySpki(label: string): Promise<Uint8Array> {
    return this.key(label).spki;
  }

  /** PEM of the private key, for tests that need openssl to sign something with it (kept in memory / tmp only). */
  privateKeyPem(label: string): string {
    return this.key(label).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
}
