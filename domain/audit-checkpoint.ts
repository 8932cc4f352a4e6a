/**
 * A signed checkpoint of the hash-chained audit log (CP 5.4.3; POLICY-2026 "Records": tamper-evident): the chain head —
 * its sequence number (the audit_log id) and hash — and the time, signed by the signing worker with an HSM key used
 * for nothing else (activities/audit-checkpoint.ts). Anyone holding the public key can check that the stored chain
 * still reaches every signed head (db/repositories/audit-checkpoints.ts). Pure: the bytes that are signed.
 */

/** The chain head a checkpoint signs. */
export interface AuditChainHead {
  readonly sequence: number;
  /** SHA-256 of the head entry, as stored in audit_log.hash. */
  readonly hash: Uint8Array;
}

/** What a checkpoint run returns (the workflow's result, so the Temporal history keeps a copy of each checkpoint). */
export interface AuditCheckpointResult {
  /** false: the head was already signed (or the log is empty), nothing new was signed. */
  readonly signed: boolean;
  readonly sequence: number | null;
  readonly hash: string | null;
  readonly signedAt: string | null;
  readonly signature: string | null;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The signed message: a versioned, line-oriented text, so a verifier in any language rebuilds it exactly. The time is
 * ISO 8601 UTC with milliseconds (what the row stores).
 */
export function checkpointMessage(head: AuditChainHead, signedAt: Date): Uint8Array {
  if (!Number.isSafeInteger(head.sequence) || head.sequence < 1) throw new RangeError('checkpoint sequence must be a positive integer');
  if (head.hash.length !== 32) throw new RangeError('checkpoint hash must be 32 bytes (SHA-256)');
  const text = `jprs-ca audit checkpoint v1\nsequence ${head.sequence}\nhash ${hex(head.hash)}\nsigned-at ${signedAt.toISOString()}\n`;
  return new TextEncoder().encode(text);
}
