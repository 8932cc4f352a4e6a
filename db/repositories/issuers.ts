/**
 * Issuing CAs and the (stand-in) root: the private key stays in the HSM under keyLabel; the certificate (or, for a
 * production issuing CA awaiting the external root, the CSR) is stored here. Changes are audited (BR 5.4.1:
 * CA key and certificate lifecycle events).
 */
import { asc, eq } from 'drizzle-orm';
import { issuers } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx, Issuer, NewIssuer } from './types';

export async function getIssuer(db: DbOrTx, id: string): Promise<Issuer | null> {
  const [row] = await db.select().from(issuers).where(eq(issuers.id, id)).limit(1);
  return row ?? null;
}

export async function listIssuers(db: DbOrTx): Promise<Issuer[]> {
  return db.select().from(issuers).orderBy(asc(issuers.id));
}

const sameBytes = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined) =>
  a == null || b == null ? a == b : a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Inserts or replaces the issuer row. Unchanged rows are left alone (no audit entry), so callers may upsert on
 * every start.
 */
export async function upsertIssuer(db: DbOrTx, row: NewIssuer, opts: { actor?: string } = {}): Promise<Issuer> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(issuers).where(eq(issuers.id, row.id)).for('update');
    if (
      current &&
      current.keyLabel === row.keyLabel &&
      sameBytes(current.subjectDer, row.subjectDer) &&
      sameBytes(current.spkiSha256, row.spkiSha256) &&
      sameBytes(current.keyIdentifier, row.keyIdentifier) &&
      sameBytes(current.certDer, row.certDer ?? null) &&
      sameBytes(current.csrDer, row.csrDer ?? null) &&
      (current.parentId ?? null) === (row.parentId ?? null)
    ) {
      return current;
    }
    const values = {
      keyLabel: row.keyLabel,
      subjectDer: row.subjectDer,
      spkiSha256: row.spkiSha256,
      keyIdentifier: row.keyIdentifier,
      certDer: row.certDer ?? null,
      csrDer: row.csrDer ?? null,
      parentId: row.parentId ?? null,
    };
    const [stored] = await tx
      .insert(issuers)
      .values({ id: row.id, ...values })
      .onConflictDoUpdate({ target: issuers.id, set: values })
      .returning();
    await appendAudit(tx, {
      actor: opts.actor ?? 'system',
      event: current ? 'issuer.updated' : 'issuer.created',
      data: {
        issuerId: row.id,
        keyLabel: row.keyLabel,
        spkiSha256: row.spkiSha256,
        keyIdentifier: row.keyIdentifier,
        hasCertificate: values.certDer !== null,
        parentId: values.parentId,
      },
    });
    return stored!;
  });
}
