/**
 * Issuing CAs and the (stand-in) root: the private key stays in the HSM under keyLabel; the certificate (or, for a
 * production issuing CA awaiting the external root, the CSR) is stored here. Changes are audited (BR 5.4.1:
 * CA key and certificate lifecycle events).
 */
import { and, asc, desc, eq, isNotNull, isNull, lte, max } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { certificates, issuers } from '../schema';
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
 * every start. Without `caId` the row is its CA's first key (the id is the CA id), in use from when its certificate
 * is stored unless `activeFrom` says otherwise (CP 5.6).
 */
export async function upsertIssuer(db: DbOrTx, input: Omit<NewIssuer, 'caId'> & { caId?: string }, opts: { actor?: string } = {}): Promise<Issuer> {
  const row: NewIssuer = { ...input, caId: input.caId ?? input.id };
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
      (current.parentId ?? null) === (row.parentId ?? null) &&
      current.caId === row.caId &&
      (row.activeFrom == null || current.activeFrom?.getTime() === row.activeFrom.getTime())
    ) {
      return current;
    }
    const certDer = row.certDer ?? null;
    const generation = row.generation ?? current?.generation ?? 1;
    const values = {
      caId: row.caId,
      generation,
      // A CA's first key issues once it has its certificate; a later key only from its switch (activateIssuerKey).
      activeFrom: row.activeFrom ?? current?.activeFrom ?? (certDer && generation === 1 ? new Date() : null),
      keyLabel: row.keyLabel,
      subjectDer: row.subjectDer,
      spkiSha256: row.spkiSha256,
      keyIdentifier: row.keyIdentifier,
      certDer,
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
        caId: row.caId,
        generation: values.generation,
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

// --- CA key changeover (CP 5.6): several keys per CA, one issuing at a time ---

/** Every key of CA `caId`, oldest generation first. */
export async function keysOfCa(db: DbOrTx, caId: string): Promise<Issuer[]> {
  return db.select().from(issuers).where(eq(issuers.caId, caId)).orderBy(asc(issuers.generation));
}

/**
 * The key CA `caId` issues under at `at`: among its unretired keys with a certificate, the one with the latest
 * activeFrom ≤ at. A switch at a stated time (CP 5.6) thus takes effect at that instant, whoever reserves next.
 */
export async function issuingKeyOf(db: DbOrTx, caId: string, at: Date): Promise<Issuer> {
  const [row] = await db
    .select()
    .from(issuers)
    .where(and(eq(issuers.caId, caId), isNotNull(issuers.certDer), isNull(issuers.retiredAt), lte(issuers.activeFrom, at)))
    .orderBy(desc(issuers.activeFrom))
    .limit(1);
  if (!row) throw new CaError('invariantViolated', `issuing CA ${caId} has no key in use at ${at.toISOString()}`);
  return row;
}

/** The keys that still sign (certificates, CRLs, OCSP): issuing CAs only (not the root), certificate present, not retired. */
export async function signingIssuerKeys(db: DbOrTx): Promise<Issuer[]> {
  const rows = await db.select().from(issuers).where(and(isNotNull(issuers.certDer), isNull(issuers.retiredAt))).orderBy(asc(issuers.id));
  return rows.filter((r) => r.parentId !== null);
}

/** Stores a CA's next key (its CSR awaiting the root's certificate), once: a retried call returns the stored row. */
export async function insertNextIssuerKey(
  db: DbOrTx,
  row: Pick<NewIssuer, 'id' | 'caId' | 'generation' | 'keyLabel' | 'subjectDer' | 'spkiSha256' | 'keyIdentifier' | 'csrDer'>,
  opts: { actor: string },
): Promise<Issuer> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(issuers).where(eq(issuers.id, row.id)).for('update');
    if (current) return current;
    const [stored] = await tx.insert(issuers).values({ ...row, certDer: null, parentId: null, activeFrom: null }).returning();
    await appendAudit(tx, {
      actor: opts.actor,
      event: 'issuer.key_generated',
      data: { issuerId: row.id, caId: row.caId, generation: row.generation, keyLabel: row.keyLabel, spkiSha256: row.spkiSha256, keyIdentifier: row.keyIdentifier },
    });
    return stored!;
  });
}

/**
 * Stores the certificate the root issued for a CA's next key (CP 5.6); issuance switches to it later
 * (`activateIssuerKey`). Idempotent for the same certificate; another one for a key that has its certificate is a conflict.
 */
export async function storeIssuerKeyCertificate(
  db: DbOrTx,
  input: { issuerId: string; certDer: Uint8Array; parentId: string | null; actor: string },
): Promise<Issuer> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(issuers).where(eq(issuers.id, input.issuerId)).for('update');
    if (!current) throw new CaError('notFound', `no issuer key ${input.issuerId}`);
    if (current.certDer) {
      if (sameBytes(current.certDer, input.certDer)) return current;
      throw new CaError('conflict', `issuer key ${input.issuerId} already has its certificate`);
    }
    const [stored] = await tx
      .update(issuers)
      .set({ certDer: input.certDer, parentId: input.parentId })
      .where(eq(issuers.id, input.issuerId))
      .returning();
    await appendAudit(tx, {
      actor: input.actor,
      event: 'issuer.key_certificate_imported',
      data: { issuerId: input.issuerId, caId: current.caId, generation: current.generation, parentId: input.parentId },
    });
    return stored!;
  });
}

/** The switch (CP 5.6): from `at` on, the CA issues under this key (`issuingKeyOf`). Idempotent. */
export async function activateIssuerKey(db: DbOrTx, issuerId: string, opts: { at: Date; actor: string }): Promise<Issuer> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(issuers).where(eq(issuers.id, issuerId)).for('update');
    if (!current?.certDer) throw new CaError('invariantViolated', `issuer key ${issuerId} has no certificate: it cannot issue`);
    if (current.activeFrom) return current;
    const [stored] = await tx.update(issuers).set({ activeFrom: opts.at }).where(eq(issuers.id, issuerId)).returning();
    await appendAudit(tx, { actor: opts.actor, event: 'issuer.key_switched', data: { issuerId, caId: current.caId, generation: current.generation, activeFrom: opts.at } });
    return stored!;
  });
}

/** The latest notAfter of anything reserved or signed under a key: until then its CRLs and OCSP stay (CP 5.6). */
export async function lastNotAfterOf(db: DbOrTx, issuerId: string): Promise<Date | null> {
  const [row] = await db.select({ last: max(certificates.notAfter) }).from(certificates).where(eq(certificates.issuerId, issuerId));
  return row?.last ?? null;
}

/** The key signs nothing more (CP 5.6: its last certificate expired, its last CRL is published). Idempotent. */
export async function retireIssuerKey(db: DbOrTx, issuerId: string, opts: { at: Date; actor: string }): Promise<Issuer> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(issuers).where(eq(issuers.id, issuerId)).for('update');
    if (!current) throw new CaError('notFound', `no issuer key ${issuerId}`);
    if (current.retiredAt) return current;
    const [stored] = await tx.update(issuers).set({ retiredAt: opts.at }).where(eq(issuers.id, issuerId)).returning();
    await appendAudit(tx, { actor: opts.actor, event: 'issuer.key_retired', data: { issuerId, caId: current.caId, generation: current.generation, at: opts.at } });
    return stored!;
  });
}
