/**
 * Signed checkpoints of the audit chain (domain/audit-checkpoint.ts) and the verification `npm run admin -- audit
 * verify` runs: the chain (audit.ts walkAuditChain) AND every checkpoint. The chain alone catches a row changed in
 * place; only the checkpoints catch a chain rewritten and re-hashed from some entry on, or cut short: the stored
 * chain no longer reaches the head the HSM key signed. The verifier trusts only the public key it is given (from the
 * HSM or a file), never a key stored in this database.
 */
import { createHash, verify } from 'node:crypto';
import { asc, desc, eq, gt, sql } from 'drizzle-orm';
import { checkpointMessage, type AuditChainHead } from '../../domain/audit-checkpoint';
import { auditCheckpoints, auditLog } from '../schema';
import { equalBytes, walkAuditChain } from './audit';
import type { DbOrTx } from './types';

export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

/** The last entry of the chain (highest id), or null for an empty log. */
export async function auditChainHead(db: DbOrTx): Promise<AuditChainHead | null> {
  const [row] = await db.select({ sequence: auditLog.id, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  return row ?? null;
}

/** The entry a checkpoint signed still exists and holds the hash it signed. */
export async function auditEntryHolds(db: DbOrTx, head: AuditChainHead): Promise<boolean> {
  const [row] = await db.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.id, head.sequence));
  return row !== undefined && equalBytes(row.hash, head.hash);
}

export async function latestAuditCheckpoint(db: DbOrTx): Promise<AuditCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.sequence)).limit(1);
  return row ?? null;
}

/** Stores a checkpoint once per head: a retried activity (or two runs racing) gets the first stored row back. */
export async function storeAuditCheckpoint(db: DbOrTx, row: Omit<AuditCheckpoint, 'id'>): Promise<AuditCheckpoint> {
  const [inserted] = await db.insert(auditCheckpoints).values(row).onConflictDoNothing({ target: auditCheckpoints.sequence }).returning();
  if (inserted) return inserted;
  const [existing] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.sequence, row.sequence));
  return existing!;
}

/** The checkpoint's signature verifies with `publicKeySpki` (DER), and it names that key. */
export function checkpointSignatureValid(cp: AuditCheckpoint, publicKeySpki: Uint8Array): boolean {
  if (!equalBytes(cp.spkiSha256, sha256(publicKeySpki))) return false;
  const message = checkpointMessage({ sequence: cp.sequence, hash: cp.hash }, cp.signedAt);
  return verify('sha256', message, { key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' }, cp.signature);
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly checkpoints: number; readonly latestCheckpoint: { sequence: number; signedAt: Date } | null }
  | { readonly ok: false; readonly brokenAt: number; readonly reason: string; readonly checkpoints: number };

/**
 * Walks the chain and checks every checkpoint against it. `brokenAt` is the first sequence number the log can no
 * longer vouch for: the first entry whose link or hash is wrong; or, when a checkpoint's head is missing or differs
 * (the chain was rewritten and re-hashed, or entries were deleted, up to that head), the first entry after the last
 * checkpoint that still holds; or the sequence of a checkpoint whose signature does not verify.
 */
export async function verifyAuditLog(db: DbOrTx, opts: { publicKeySpki: Uint8Array; batchSize?: number }): Promise<AuditVerification> {
  const checkpoints = await db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.sequence));
  const wanted = new Set(checkpoints.map((c) => c.sequence));
  const heads = new Map<number, Uint8Array>();
  const chain = await walkAuditChain(db, {
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    visit: (e) => {
      if (wanted.has(e.id)) heads.set(e.id, e.hash);
    },
  });
  const n = checkpoints.length;
  let lastGood = 0;
  for (const cp of checkpoints) {
    if (!checkpointSignatureValid(cp, opts.publicKeySpki)) {
      return { ok: false, brokenAt: cp.sequence, reason: `checkpoint ${cp.id} (sequence ${cp.sequence}): the signature does not verify with the audit key`, checkpoints: n };
    }
    // A head the walk did not reach intact: the chain broke earlier (reported as such), or it was rewritten or cut.
    if (!chain.ok && cp.sequence >= chain.brokenAt) break;
    const head = heads.get(cp.sequence);
    if (!head || !equalBytes(head, cp.hash)) {
      const brokenAt = await firstSequenceAfter(db, lastGood);
      const what = head ? 'holds another hash' : 'is missing';
      return {
        ok: false,
        brokenAt,
        reason: `the entry signed by checkpoint ${cp.id} (sequence ${cp.sequence}, ${cp.signedAt.toISOString()}) ${what}: the log was rewritten or cut after sequence ${lastGood}`,
        checkpoints: n,
      };
    }
    lastGood = cp.sequence;
  }
  if (!chain.ok) {
    return { ok: false, brokenAt: chain.brokenAt, reason: `entry ${chain.brokenAt} does not link to the entry before it, or does not hash to its stored hash`, checkpoints: n };
  }
  const latest = checkpoints.at(-1);
  return { ok: true, entries: chain.entries, checkpoints: n, latestCheckpoint: latest ? { sequence: latest.sequence, signedAt: latest.signedAt } : null };
}

/** The first stored sequence number after `sequence` (sequence + 1 when nothing follows: everything after is gone). */
async function firstSequenceAfter(db: DbOrTx, sequence: number): Promise<number> {
  const [row] = await db.select({ id: sql<number | null>`min(${auditLog.id})` }).from(auditLog).where(gt(auditLog.id, sequence));
  return row?.id === null || row?.id === undefined ? sequence + 1 : Number(row.id);
}
