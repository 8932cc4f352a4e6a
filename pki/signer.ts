/**
 * The signer port: everything that signs (certificates, precertificates, CRLs, OCSP responses, CA CSRs) goes
 * through it, so the HSM (PKCS#11) and test doubles are interchangeable. Keys never leave the signer.
 */
export type IssuerKeyLabel = string;

export interface Signer {
  /** sha256WithRSAEncryption (RSASSA-PKCS1-v1_5 over SHA-256, CKM_SHA256_RSA_PKCS) of `data` with key `label`. */
  signSha256Rsa(label: IssuerKeyLabel, data: Uint8Array): Promise<Uint8Array>;
  /** The DER SubjectPublicKeyInfo of the key pair `label`. */
  publicKeySpki(label: IssuerKeyLabel): Promise<Uint8Array>;
}
