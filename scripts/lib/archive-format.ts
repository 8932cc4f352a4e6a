/**
 * The archive bundle of CP 5.5.1–5.5.2 (`npm run admin -- archive export|verify`): a folder of
 *   manifest.json   what the bundle holds: the period, every file with its SHA-256 and size, the audit segment's ends,
 *                   the workflow histories fetched and those Temporal no longer had, and the signer's public key
 *   manifest.sig    the Ed25519 signature (base64) of manifest.json's bytes
 *   records/*.jsonl the rows, one JSON object per line (bytes as lowercase hex, instants as ISO-8601), among them
 *                   audit.jsonl (the audit log's segment) and audit-checkpoints.jsonl (its signed checkpoints)
 *   histories/*.json the Temporal workflow histories (Temporal's JSON form, replayable by the SDK)
 *
 * Signed with an operator key file, not an HSM key: the CA keys sign certificates and CRLs only (CP 6.1.7 key usage),
 * the signing worker signs nothing it cannot rebuild from the database itself (docs/ARCHITECTURE.md, "The signer
 * verifies") — an archive signature there would make it sign caller-supplied bytes —, and an archive kept 7 years must
 * verify offline with a public key alone, after the HSM and its keys are long retired.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export const ARCHIVE_FORMAT = 'jprs-ca-archive/1';
export const MANIFEST = 'manifest.json';
export const AUDIT_FILE = 'records/audit.jsonl';
export const CHECKPOINTS_FILE = 'records/audit-checkpoints.jsonl';
export const SIGNATURE = 'manifest.sig';

export interface ArchiveFileEntry {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Lines (records) of a JSON Lines file. */
  readonly records?: number;
}

export interface ArchiveManifest {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly period: { readonly from: string; readonly to: string };
  readonly createdAt: string;
  readonly files: readonly ArchiveFileEntry[];
  /** The segment of the hash-chained audit log (CP 5.4.3) in records/audit.jsonl. */
  readonly audit: {
    readonly entries: number;
    readonly firstId: number | null;
    readonly lastId: number | null;
    /** The prevHash of the first entry: where the segment links into the chain before the period. */
    readonly prevHash: string | null;
    readonly lastHash: string | null;
    /**
     * The signed checkpoints of chain heads inside the segment (records/audit-checkpoints.jsonl, CP 5.4.3), and the
     * public key of the HSM key that signed them (PEM; verify with the one the CA publishes, `audit public-key`).
     */
    readonly checkpoints: { readonly entries: number; readonly publicKey: string | null; readonly spkiSha256: string | null };
  };
  readonly histories: { readonly fetched: number; readonly missing: ReadonlyArray<{ readonly workflowId: string; readonly reason: string }> };
  readonly signer: { readonly algorithm: 'Ed25519'; readonly publicKey: string; readonly spkiSha256: string };
}

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

export function spkiSha256Of(key: KeyObject): string {
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

/** The operator's Ed25519 private key (PKCS#8 PEM) and its public half. */
export function loadSigningKey(pem: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the archive signing key must be an Ed25519 key (npm run admin -- archive keygen)');
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
