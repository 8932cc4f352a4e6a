/**
 * ACME (RFC 8555) persistence: accounts bound to CA accounts, the ACME view of orders, challenge responses and
 * finalization (external account binding keys: acme-eab.ts; used nonces: acme-nonces.ts). Every state change appends an audit entry in its transaction
 * (BR 5.4.1; CP 5.4.3), as the last statement where possible (see audit.ts on the chain lock).
 */
import { and, asc, desc, eq, notInArray, sql } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { DocumentVersions } from '../../domain/repository-documents';
import { accounts, acmeAccounts, acmeEabKeys, acmeOrders, authorizations, challenges, corroborations, orders, organizations } from '../schema';
import { createAccount, isUuid } from './accounts';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type AcmeAccount = typeof acmeAccounts.$inferSelect;

// --- accounts (RFC 8555 §7.3) ---

export async function getAcmeAccount(db: DbOrTx, id: string): Promise<AcmeAccount | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(acmeAccounts).where(eq(acmeAccounts.id, id)).limit(1);
  return row ?? null;
}

export async function findAcmeAccountByThumbprint(db: DbOrTx, thumbprint: string): Promise<AcmeAccount | null> {
  const [row] = await db.select().from(acmeAccounts).where(eq(acmeAccounts.jwkThumbprint, thumbprint)).limit(1);
  return row ?? null;
}

/**
 * newAccount: with an EAB key the ACME account joins the key's CA account (a designated provider, CP 1.3) and the key
 * is used up; without one a subscriber CA account is created for it (no API key is handed out: the ACME account key
 * is its only credential). One transaction: a lost race on the key thumbprint or the EAB key leaves nothing.
 */
export async function createAcmeAccount(
  db: DbOrTx,
  input: {
    jwk: Record<string, unknown>;
    thumbprint: string;
    contact: readonly string[];
    termsAgreedAt: Date | null;
    /** CP 4.1.2: the versions of the terms, CP and CPS in force when the account agreed (termsOfServiceAgreed). */
    acceptedDocuments?: DocumentVersions | null;
    eabKeyId: string | null;
    now: Date;
  },
): Promise<{ account: AcmeAccount; created: boolean }> {
  return db.transaction(async (tx) => {
    // Serialize creations of the same key (two newAccount in flight): the loser returns the winner's account.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'acme-account:' + input.thumbprint}))`);
    const existing = await findAcmeAccountByThumbprint(tx, input.thumbprint);
    if (existing) return { account: existing, created: false };
    let caAccountId: string;
    let organizationId: string | null = null;
    if (input.eabKeyId) {
      const [key] = await tx.select().from(acmeEabKeys).where(eq(acmeEabKeys.keyId, input.eabKeyId)).for('update');
      if (!key || key.boundAt || key.revokedAt) throw new CaError('unauthorized', 'the external account binding key is unknown, revoked or already used');
      caAccountId = key.accountId;
      organizationId = key.organizationId;
    } else {
      const { account } = await createAccount(tx, { name: `ACME ${input.thumbprint.slice(0, 16)}`, kind: 'subscriber', actor: 'acme' });
      caAccountId = account.id;
    }
    const [row] = await tx
      .insert(acmeAccounts)
      .values({
        accountId: caAccountId,
        jwk: input.jwk,
        jwkThumbprint: input.thumbprint,
        contact: [...input.contact],
        termsAgreedAt: input.termsAgreedAt,
        acceptedDocuments: input.acceptedDocuments ?? null,
        eabKeyId: input.eabKeyId,
        organizationId,
      })
      .returning();
    if (input.eabKeyId) {
      await tx.update(acmeEabKeys).set({ boundAt: input.now, acmeAccountId: row!.id }).where(eq(acmeEabKeys.keyId, input.eabKeyId));
    }
    await appendAudit(tx, {
      actor: `acme:${row!.id}`,
      event: 'acme.account.created',
      data: { acmeAccountId: row!.id, accountId: caAccountId, thumbprint: input.thumbprint, contact: [...input.contact], eabKeyId: input.eabKeyId, acceptedDocuments: input.acceptedDocuments ?? null, ...(organizationId ? { organizationId } : {}) },
    });
    return { account: row!, created: true };
  });
}

export async function updateAcmeAccount(
  db: DbOrTx,
  id: string,
  change: { contact?: readonly string[]; status?: 'deactivated'; agreed?: { at: Date; documents: DocumentVersions } },
): Promise<AcmeAccount> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(acmeAccounts).where(eq(acmeAccounts.id, id)).for('update');
    if (!current) throw new CaError('notFound', `no ACME account ${id}`);
    if (current.status !== 'valid') throw new CaError('unauthorized', `the account is ${current.status}`);
    const [row] = await tx
      .update(acmeAccounts)
      .set({
        ...(change.contact ? { contact: [...change.contact] } : {}),
        ...(change.status ? { status: change.status } : {}),
        // RFC 8555 §7.3.3: the client agreed (again) to the terms in force, which incorporate the CP and CPS (CP 4.1.2).
        ...(change.agreed ? { termsAgreedAt: change.agreed.at, acceptedDocuments: change.agreed.documents } : {}),
        updatedAt: new Date(),
      })
      .where(eq(acmeAccounts.id, id))
      .returning();
    await appendAudit(tx, {
      actor: `acme:${id}`,
      event: change.status === 'deactivated' ? 'acme.account.deactivated' : 'acme.account.updated',
      data: { acmeAccountId: id, ...(change.contact ? { contact: [...change.contact] } : {}), ...(change.agreed ? { acceptedDocuments: change.agreed.documents } : {}) },
    });
    // RFC 8555 §7.3.6: pending authorizations of a deactivated account are deactivated; here they expire with their
    // orders, which can no longer be finalized (no request of this account is accepted any more).
    return row!;
  });
}

/** An operator revokes an ACME account (RFC 8555 §7.3.6 "revoked": server-initiated). */
export async function revokeAcmeAccount(db: DbOrTx, id: string, opts: { actor: string }): Promise<AcmeAccount | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(acmeAccounts).set({ status: 'revoked', updatedAt: new Date() }).where(eq(acmeAccounts.id, id)).returning();
    if (!row) return null;
    await appendAudit(tx, { actor: opts.actor, event: 'acme.account.revoked', data: { acmeAccountId: id } });
    return row;
  });
}

/**
 * keyChange (RFC 8555 §7.3.5): the account's key is replaced; a key already used by another account is a 409
 * (`conflict` with that account's id, so the server can name its URL).
 */
export async function changeAcmeAccountKey(
  db: DbOrTx,
  id: string,
  input: { oldThumbprint: string; jwk: Record<string, unknown>; thumbprint: string },
): Promise<AcmeAccount> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'acme-account:' + input.thumbprint}))`);
    const other = await findAcmeAccountByThumbprint(tx, input.thumbprint);
    if (other) throw new CaError('conflict', 'the new key is already in use by an account', { existingAccountId: other.id });
    const [current] = await tx.select().from(acmeAccounts).where(eq(acmeAccounts.id, id)).for('update');
    if (!current || current.status !== 'valid') throw new CaError('unauthorized', 'the account is not valid');
    if (current.jwkThumbprint !== input.oldThumbprint) throw new CaError('unauthorized', 'oldKey is not the account key');
    const [row] = await tx
      .update(acmeAccounts)
      .set({ jwk: input.jwk, jwkThumbprint: input.thumbprint, updatedAt: new Date() })
      .where(eq(acmeAccounts.id, id))
      .returning();
    await appendAudit(tx, {
      actor: `acme:${id}`,
      event: 'acme.account.key_changed',
      data: { acmeAccountId: id, from: input.oldThumbprint, to: input.thumbprint },
    });
    return row!;
  });
}

// --- orders (RFC 8555 §7.4) ---

export async function listAcmeOrderIds(db: DbOrTx, acmeAccountId: string, opts: { limit?: number } = {}): Promise<string[]> {
  const rows = await db
    .select({ id: acmeOrders.orderId })
    .from(acmeOrders)
    .where(eq(acmeOrders.acmeAccountId, acmeAccountId))
    .orderBy(desc(acmeOrders.createdAt))
    .limit(opts.limit ?? 1000);
  return rows.map((r) => r.id);
}

/** The ACME account an order was placed by, or null for an order of the REST API (certificate download). */
export async function acmeAccountOfOrder(db: DbOrTx, orderId: string): Promise<string | null> {
  const [row] = await db.select({ id: acmeOrders.acmeAccountId }).from(acmeOrders).where(eq(acmeOrders.orderId, orderId)).limit(1);
  return row?.id ?? null;
}

/** The order an authorization or challenge belongs to, when that order is an ACME order. */
export async function acmeOrderIdOfAuthorization(db: DbOrTx, authorizationId: string): Promise<string | null> {
  if (!isUuid(authorizationId)) return null;
  const [row] = await db
    .select({ orderId: authorizations.orderId })
    .from(authorizations)
    .innerJoin(acmeOrders, eq(acmeOrders.orderId, authorizations.orderId))
    .where(eq(authorizations.id, authorizationId))
    .limit(1);
  return row?.orderId ?? null;
}

export async function acmeOrderIdOfChallenge(db: DbOrTx, challengeId: string): Promise<{ orderId: string; authorizationId: string } | null> {
  if (!isUuid(challengeId)) return null;
  const [row] = await db
    .select({ orderId: authorizations.orderId, authorizationId: authorizations.id })
    .from(challenges)
    .innerJoin(authorizations, eq(authorizations.id, challenges.authorizationId))
    .innerJoin(acmeOrders, eq(acmeOrders.orderId, authorizations.orderId))
    .where(eq(challenges.id, challengeId))
    .limit(1);
  return row ?? null;
}

/**
 * The client answers a challenge (RFC 8555 §7.5.1): the key authorization of the account's current key is fixed on
 * the challenge — what the DCV check will expect — if the challenge is still pending and unexpired and no other
 * challenge of its authorization was answered. Returns false when it had already been answered (a repeat is fine).
 */
export async function respondToChallenge(
  db: DbOrTx,
  input: { challengeId: string; keyAuthorization: string; acmeAccountId: string; now: Date },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select({ challenge: challenges, authz: authorizations, orderStatus: orders.status })
      .from(challenges)
      .innerJoin(authorizations, eq(authorizations.id, challenges.authorizationId))
      .innerJoin(orders, eq(orders.id, authorizations.orderId))
      .where(eq(challenges.id, input.challengeId))
      .for('update', { of: challenges });
    if (!found) throw new CaError('notFound', 'no such challenge');
    const { challenge, authz } = found;
    if (challenge.keyAuthorization !== null) return false;
    // Already valid without this challenge (BR 4.2.1 reuse of an earlier validation): nothing to answer.
    if (authz.status === 'valid') return false;
    if (found.orderStatus !== 'pending' || authz.status !== 'pending' || challenge.status !== 'pending') {
      throw new CaError('conflict', `the challenge is ${challenge.status} in a ${authz.status} authorization of a ${found.orderStatus} order`, { identifier: authz.fqdn });
    }
    if (challenge.expiresAt.getTime() <= input.now.getTime()) {
      throw new CaError('orderExpired', 'the challenge has expired (CP 3.2.2.4: 25 days)', { identifier: authz.fqdn });
    }
    const siblings = await tx
      .select({ id: challenges.id })
      .from(challenges)
      .where(and(eq(challenges.authorizationId, authz.id), sql`${challenges.keyAuthorization} is not null`));
    if (siblings.length > 0) {
      throw new CaError('conflict', 'another challenge of this authorization is already being validated', { identifier: authz.fqdn });
    }
    await tx.update(challenges).set({ keyAuthorization: input.keyAuthorization }).where(eq(challenges.id, input.challengeId));
    await appendAudit(tx, {
      actor: `acme:${input.acmeAccountId}`,
      event: 'acme.challenge.responded',
      orderId: authz.orderId,
      data: { challengeId: challenge.id, authorizationId: authz.id, fqdn: authz.fqdn, method: challenge.method },
    });
    return true;
  });
}

/** Undo of respondToChallenge when the workflow could not be told (nothing half-done stays behind). */
export async function clearChallengeResponse(db: DbOrTx, challengeId: string): Promise<void> {
  await db.update(challenges).set({ keyAuthorization: null }).where(and(eq(challenges.id, challengeId), eq(challenges.status, 'pending')));
}

/**
 * finalize (RFC 8555 §7.4): the accepted CSR is written to the ready order, which becomes processing; the same
 * checks as the API's step 1 ran before (api/accept.ts). Refused (orderNotReady) unless the order is ready.
 */
export async function finalizeAcmeOrder(
  db: DbOrTx,
  input: { orderId: string; acmeAccountId: string; csrDer: Uint8Array; spkiSha256: Uint8Array; validitySeconds: number; now: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(orders).where(eq(orders.id, input.orderId)).for('update');
    if (!current) throw new CaError('notFound', 'no such order');
    if (current.status !== 'ready') throw new CaError('orderNotReady', `the order is ${current.status}, not ready`);
    await tx
      .update(orders)
      .set({ csrDer: input.csrDer, spkiSha256: input.spkiSha256, validitySeconds: input.validitySeconds, status: 'processing', updatedAt: input.now })
      .where(eq(orders.id, input.orderId));
    await tx.update(acmeOrders).set({ finalizedAt: input.now }).where(eq(acmeOrders.orderId, input.orderId));
    await appendAudit(tx, {
      actor: `acme:${input.acmeAccountId}`,
      event: 'acme.order.finalized',
      orderId: input.orderId,
      data: { from: current.status, to: 'processing', spkiSha256: input.spkiSha256, validitySeconds: input.validitySeconds },
    });
  });
}

/** Undo of finalizeAcmeOrder when the workflow could not be signalled: the order is ready again, without a CSR. */
export async function unfinalizeAcmeOrder(db: DbOrTx, input: { orderId: string; reason: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(orders)
      .set({ csrDer: new Uint8Array(0), spkiSha256: new Uint8Array(0), status: 'ready', updatedAt: new Date() })
      .where(and(eq(orders.id, input.orderId), eq(orders.status, 'processing')))
      .returning({ id: orders.id });
    if (!row) return;
    await tx.update(acmeOrders).set({ finalizedAt: null }).where(eq(acmeOrders.orderId, input.orderId));
    await appendAudit(tx, { actor: 'acme', event: 'acme.order.finalize_aborted', orderId: input.orderId, data: { reason: input.reason } });
  });
}

/**
 * Authorizations of the order whose domain validation passed multi-perspective corroboration (BR 3.2.2.9; every
 * round is stored in `corroborations`). The ACME server shows an authorization valid only then.
 */
export async function corroboratedAuthorizationIds(db: DbOrTx, orderId: string): Promise<Set<string>> {
  const rows = await db
    .select({ id: corroborations.authorizationId })
    .from(corroborations)
    .where(and(eq(corroborations.orderId, orderId), eq(corroborations.check, 'dcv'), eq(corroborations.result, 'pass')));
  return new Set(rows.map((r) => r.id).filter((id): id is string => id !== null));
}

// --- renewal (RFC 9773) ---

/**
 * RFC 9773 §5: is this certificate already being replaced by another order of the account that has not failed?
 * (Such a second `replaces` is answered with alreadyReplaced.)
 */
export async function activeReplacementOrder(db: DbOrTx, serial: string): Promise<string | null> {
  const [row] = await db
    .select({ id: acmeOrders.orderId })
    .from(acmeOrders)
    .innerJoin(orders, eq(orders.id, acmeOrders.orderId))
    .where(and(eq(acmeOrders.replacesSerial, serial), notInArray(orders.status, ['invalid', 'expired'])))
    .orderBy(asc(acmeOrders.createdAt))
    .limit(1);
  return row?.id ?? null;
}
