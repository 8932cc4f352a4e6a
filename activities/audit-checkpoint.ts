/**
 * Signed audit checkpoints (domain/audit-checkpoint.ts), on the SIGNING task queue: the only process holding the HSM
 * signs the head of the audit chain with a key used for nothing else (`audit-checkpoint`, RSA 2048, generated in the
 * token and never leaving it, CP 6.1.1, 6.2). Before it signs, it re-walks the chain from the previous checkpoint (whose
 * own signature it checks first): a checkpoint never vouches for a chain that does not extend the last one.
 * Idempotent: a head already signed is not signed again.
 */
import type { Db } from '../db/client';
import { walkAuditChain } from '../db/repositories/audit';
import { auditChainHead, auditEntryHolds, checkpointSignatureValid, latestAuditCheckpoint, storeAuditCheckpoint } from '../db/repositories/audit-checkpoints';
import { checkpointMessage, type AuditCheckpointResult } from '../domain/audit-checkpoint';
import { CaError } from '../domain/errors';
import type { Hsm } from '../pki/hsm';
import { sha256 } from '../pki/sct';
import type { Signer } from '../pki/signer';

/** The label of the audit checkpoint key in the token (created like the CA keys: scripts/lib/ca-hierarchy.ts). */
export const auditCheckpointKeyLabel = 'audit-checkpoint';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Generates the checkpoint key unless the token holds it. */
export async function ensureAuditCheckpointKey(keys: Pick<Hsm, 'hasKeyPair' | 'generateRsaKeyPair'>): Promise<void> {
  if (!(await keys.hasKeyPair(auditCheckpointKeyLabel))) await keys.generateRsaKeyPair(auditCheckpointKeyLabel);
}

export interface AuditCheckpointDeps {
  readonly db: Db;
  readonly signer: Signer;
  readonly keys: Pick<Hsm, 'hasKeyPair' | 'generateRsaKeyPair'>;
  readonly clock: () => Date;
}

export function createAuditCheckpointActivities({ db, signer, keys, clock }: AuditCheckpointDeps) {
  return {
    async signAuditCheckpoint(): Promise<AuditCheckpointResult> {
      const head = await auditChainHead(db);
      if (!head) return { signed: false, sequence: null, hash: null, signedAt: null, signature: null };
      const previous = await latestAuditCheckpoint(db);
      const asResult = (signed: boolean, cp: NonNullable<typeof previous>): AuditCheckpointResult => ({
        signed,
        sequence: cp.sequence,
        hash: hex(cp.hash),
        signedAt: cp.signedAt.toISOString(),
        signature: hex(cp.signature),
      });
      if (previous && previous.sequence === head.sequence) return asResult(false, previous);
      await ensureAuditCheckpointKey(keys);
      const spki = await signer.publicKeySpki(auditCheckpointKeyLabel);
      if (previous && !checkpointSignatureValid(previous, spki)) {
        throw new CaError('invariantViolated', `the latest audit checkpoint (sequence ${previous.sequence}) does not verify with the audit key`, { rule: 'CP 5.4.3' });
      }
      // From the signed head on: the entry it signed still holds its hash, and the entries after it link to it.
      if (previous && !(await auditEntryHolds(db, previous))) {
        throw new CaError('invariantViolated', `audit entry ${previous.sequence} no longer holds the hash its checkpoint signed`, { rule: 'CP 5.4.3' });
      }
      const walked = await walkAuditChain(db, previous ? { after: { id: previous.sequence, hash: previous.hash } } : {});
      if (!walked.ok) {
        throw new CaError('invariantViolated', `the audit chain is broken at entry ${walked.brokenAt}: no checkpoint is signed over it`, { rule: 'CP 5.4.3' });
      }
      const signedAt = clock();
      const signature = await signer.signSha256Rsa(auditCheckpointKeyLabel, checkpointMessage(head, signedAt));
      const stored = await storeAuditCheckpoint(db, {
        sequence: head.sequence,
        hash: head.hash,
        signedAt,
        keyLabel: auditCheckpointKeyLabel,
        spkiSha256: sha256(spki),
        signature,
      });
      return asResult(true, stored);
    },
  };
}
