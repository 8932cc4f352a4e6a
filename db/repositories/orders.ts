/**
 * Orders with their authorizations (one per FQDN, CP 3.2.2.4) and challenges. Every state change appends an
 * audit entry in the same transaction (BR 5.4.1), as the last statement of the transaction (see audit.ts).
 */
import { and, asc, desc, eq, getTableColumns, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { AcceptanceRecord } from '../../domain/repository-documents';
import type { RenewalKind } from '../../domain/statuses';
import { orderWorkflowId } from '../../domain/workflow-ids';
import { acmeOrders, authorizations, certificates, challenges, orders } from '../schema';
import { isUuid, requireActiveApplicant } from './accounts';
import { appendAudit } from './audit';
import type { Authorization, Certificate, Challenge, DbOrTx, Order, OrderStatus } from './types';

/** One challenge to store: a CP 3.2.2.4 method and its own random value (CP 3.2.2.4: ≥ 112 bits, 25 days). */
export interface NewChallenge {
  readonly method: string;
  /** The DNS change's TXT name (3.2.2.4.7) or the web file's path (3.2.2.4.18); null for the other methods. */
  readonly recordName: string | null;
  readonly token: string;
  readonly expiresAt: Date;
}

/** The ACME door's part of an order (RFC 8555 §7.1.3; RFC 9773 §5 `replaces`): the acme_orders row. */
export type AcmeOrderPart = typeof acmeOrders.$inferSelect;

export interface NewOrder {
  readonly accountId: string;
  /**
   * Designated providers: the provider account that relayed this application for `accountId` (CP 1.3, 3.4 (1));
   * the caller has checked that it manages that subscriber. It may then read the order and revoke (CP 4.9.2).
   */
  readonly providerAccountId?: string | null;
  readonly profile: Order['profile'];
  readonly csrDer: Uint8Array;
  readonly spkiSha256: Uint8Array;
  readonly dnsNames: readonly string[];
  readonly validitySeconds: number;
  readonly expiresAt: Date;
  /** Defaults to `order-<id>` (ARCHITECTURE.md convention 8: workflow ids from business keys). */
  readonly workflowId?: string;
  readonly authorizations: ReadonlyArray<{
    readonly fqdn: string;
    readonly wildcard: boolean;
    /** The authorization's default challenge: the one the workflow checks unless another is called ready. */
    readonly challenge: NewChallenge;
    /**
     * Further challenges (other CP 3.2.2.4 methods policy(now) allows for the name) the applicant may answer
     * instead; each with its own random value.
     */
    readonly moreChallenges?: readonly NewChallenge[];
  }>;
  /**
   * ACME orders (RFC 8555 §7.4): the ACME account that placed it and, for a renewal, the certificate it replaces
   * (RFC 9773 §5). Stored in the same transaction as the order.
   */
  readonly acme?: { readonly acmeAccountId: string; readonly replaces: { readonly certId: string; readonly serial: string } | null };
  /** OV (CP 7.1.1): the organization whose vetted record gives the subject; the door checked it is the applicant's. */
  readonly organizationId?: string | null;
  /** CP 4.1.2: the versions of the terms, CP and CPS the applicant accepted (checked by the door). */
  readonly acceptance?: AcceptanceRecord | null;
  /** CP 4.6–4.8: the certificate this order renews, re-keys or modifies, and whether to revoke it once replaced. */
  readonly renewal?: { readonly predecessorSerial: string; readonly kind: RenewalKind; readonly revokePredecessor: boolean } | null;
  /** Audit actor; defaults to `account:<accountId>`. */
  readonly actor?: string;
}

export interface AuthorizationDetail extends Authorization {
  readonly challenges: Challenge[];
}

export interface OrderDetail extends Order {
  readonly authorizations: AuthorizationDetail[];
  /** The certificate row's summary once a serial is reserved (issuance cycle step 5), else null. */
  readonly certificate: Pick<Certificate, 'serial' | 'status' | 'issuerId' | 'notBefore' | 'notAfter' | 'revokedAt'> | null;
  /** The ACME door's part (an ACME order), or null for an order of the REST API. */
  readonly acme: AcmeOrderPart | null;
}

/**
 * Stores the order, its authorizations and challenges (and, for ACME, the acme_orders row) with their audit entries
 * in one transaction: any failing row (e.g. a token collision on challenges_token_uq) leaves nothing behind.
 * The id comes from the database (gen_random_uuid) and is fetched first so workflow_id can be written with it.
 * Returns the stored order as getOrderDetail reads it (the one read of the request that created it).
 */
export async function createOrder(db: DbOrTx, input: NewOrder): Promise<OrderDetail> {
  const orderId = await db.transaction(async (tx) => {
    await requireActiveApplicant(tx, input);
    const idRes = await tx.execute<{ id: string }>(sql`select gen_random_uuid()::text as id`);
    const id = idRes[0]!.id;
    const workflowId = input.workflowId ?? orderWorkflowId(id);
    await tx.insert(orders).values({
      id,
      accountId: input.accountId,
      providerAccountId: input.providerAccountId ?? null,
      profile: input.profile,
      csrDer: input.csrDer,
      spkiSha256: input.spkiSha256,
      dnsNames: [...input.dnsNames],
      validitySeconds: input.validitySeconds,
      expiresAt: input.expiresAt,
      workflowId,
      organizationId: input.organizationId ?? null,
      acceptance: input.acceptance ?? null,
      predecessorSerial: input.renewal?.predecessorSerial ?? null,
      renewalKind: input.renewal?.kind ?? null,
      revokePredecessor: input.renewal?.revokePredecessor ?? false,
    });
    const authzIds: string[] = [];
    for (const a of input.authorizations) {
      const [authz] = await tx
        .insert(authorizations)
        .values({ orderId: id, accountId: input.accountId, fqdn: a.fqdn, wildcard: a.wildcard })
        .returning({ id: authorizations.id });
      authzIds.push(authz!.id);
      // One statement per authorization; the default challenge first (getOrderDetail keeps that order).
      await tx.insert(challenges).values(
        [a.challenge, ...(a.moreChallenges ?? [])].map((c) => ({
          authorizationId: authz!.id,
          method: c.method,
          recordName: c.recordName,
          token: c.token,
          expiresAt: c.expiresAt,
        })),
      );
    }
    const acme = input.acme
      ? { acmeAccountId: input.acme.acmeAccountId, replaces: input.acme.replaces?.certId ?? null, replacesSerial: input.acme.replaces?.serial ?? null }
      : null;
    if (acme) await tx.insert(acmeOrders).values({ orderId: id, ...acme });
    await appendAudit(tx, {
      actor: input.actor ?? `account:${input.accountId}`,
      event: 'order.created',
      orderId: id,
      data: {
        accountId: input.accountId,
        ...(input.providerAccountId ? { providerAccountId: input.providerAccountId } : {}),
        profile: input.profile,
        ...(input.organizationId ? { organizationId: input.organizationId } : {}),
        dnsNames: [...input.dnsNames],
        spkiSha256: input.spkiSha256,
        validitySeconds: input.validitySeconds,
        expiresAt: input.expiresAt,
        workflowId,
        ...(input.acceptance ? { acceptance: input.acceptance } : {}),
        ...(input.renewal ? { renewal: input.renewal } : {}),
        authorizations: input.authorizations.map((a, i) => ({
          id: authzIds[i],
          fqdn: a.fqdn,
          wildcard: a.wildcard,
          method: a.challenge.method,
        })),
      },
    });
    if (acme) await appendAudit(tx, { actor: input.actor ?? `account:${input.accountId}`, event: 'acme.order.created', orderId: id, data: acme });
    return id;
  });
  return (await getOrderDetail(db, orderId))!;
}

/**
 * Removes an order whose workflow could not be started, so the API leaves nothing half-stored (the client got an
 * error and will retry with a new order). The audit log is append-only, so 'order.created' stays; an
 * 'order.aborted' entry in the same transaction records why the order no longer exists. Refuses once a
 * certificate row exists: from then on the order is part of the issuance record (CP 5.4.3) and is never deleted.
 */
export async function deleteOrder(
  db: DbOrTx,
  orderId: string,
  opts: { actor?: string; reason?: string } = {},
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [cert] = await tx.select({ serial: certificates.serial }).from(certificates).where(eq(certificates.orderId, orderId));
    if (cert) throw new CaError('conflict', 'an order with a certificate record cannot be deleted', { rule: 'CP 5.4.3' });
    // authorizations, challenges and validation evidence go with it (ON DELETE CASCADE).
    const deleted = await tx.delete(orders).where(eq(orders.id, orderId)).returning({ id: orders.id, accountId: orders.accountId });
    if (deleted.length === 0) return false;
    await appendAudit(tx, {
      actor: opts.actor ?? 'system',
      event: 'order.aborted',
      orderId,
      data: { reason: opts.reason ?? 'workflow could not be started', accountId: deleted[0]!.accountId },
    });
    return true;
  });
}

/**
 * The order with its authorizations, challenges, certificate summary and ACME part; null if unknown (or not a UUID)
 * or if `accountId` is neither the order's account nor the designated provider that relayed it (CP 3.4 (1)): both
 * may read it.
 */
export async function getOrderDetail(db: DbOrTx, orderId: string, accountId?: string): Promise<OrderDetail | null> {
  if (!isUuid(orderId)) return null;
  const [row] = await db
    .select({ order: orders, acme: getTableColumns(acmeOrders) })
    .from(orders)
    .leftJoin(acmeOrders, eq(acmeOrders.orderId, orders.id))
    .where(eq(orders.id, orderId))
    .limit(1);
  const order = row?.order;
  if (!order || (accountId !== undefined && order.accountId !== accountId && order.providerAccountId !== accountId)) return null;
  const authzs = await db
    .select()
    .from(authorizations)
    .where(eq(authorizations.orderId, orderId))
    .orderBy(asc(authorizations.createdAt), asc(authorizations.fqdn));
  // Keep the CSR's FQDN order (dnsNames), which createdAt alone cannot guarantee within one transaction.
  // A wildcard's authorization may be stored under the base name (RFC 8555 7.1.4), so try '*.' first for those.
  const rank = new Map(order.dnsNames.map((n, i) => [n, i] as const));
  const rankOf = (a: Authorization) => (a.wildcard ? rank.get(`*.${a.fqdn}`) : undefined) ?? rank.get(a.fqdn) ?? 1e9;
  authzs.sort((a, b) => rankOf(a) - rankOf(b));
  const chs = authzs.length
    ? await db
        .select()
        .from(challenges)
        .where(inArray(challenges.authorizationId, authzs.map((a) => a.id)))
        // Challenges stored in one transaction share created_at: the DNS change (3.2.2.4.7, the authorization's
        // first challenge in every door) comes first, then the others by method.
        .orderBy(asc(challenges.createdAt), sql`${challenges.method} <> '3.2.2.4.7'`, asc(challenges.method))
    : [];
  const [cert] = await db
    .select({
      serial: certificates.serial,
      status: certificates.status,
      issuerId: certificates.issuerId,
      notBefore: certificates.notBefore,
      notAfter: certificates.notAfter,
      revokedAt: certificates.revokedAt,
    })
    .from(certificates)
    .where(eq(certificates.orderId, orderId))
    .limit(1);
  return {
    ...order,
    authorizations: authzs.map((a) => ({ ...a, challenges: chs.filter((c) => c.authorizationId === a.id) })),
    certificate: cert ?? null,
    acme: row.acme,
  };
}

/** Sets the order status (and error, when given) with an 'order.status' audit entry recording from -> to. */
export async function setOrderStatus(
  db: DbOrTx,
  orderId: string,
  status: OrderStatus,
  opts: { error?: Order['error']; actor: string },
): Promise<Order> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (!current) throw new CaError('notFound', `order ${orderId} not found`);
    const [row] = await tx
      .update(orders)
      .set({ status, updatedAt: new Date(), ...(opts.error !== undefined ? { error: opts.error } : {}) })
      .where(eq(orders.id, orderId))
      .returning();
    await appendAudit(tx, {
      actor: opts.actor,
      event: 'order.status',
      orderId,
      data: { from: current.status, to: status, ...(opts.error ? { error: opts.error } : {}) },
    });
    return row!;
  });
}

/**
 * The account's orders, newest first (without authorizations; use getOrderDetail for one order): its own and,
 * for a designated provider, those it relayed for its subscribers (CP 3.4 (1)).
 */
export async function listOrders(db: DbOrTx, accountId: string, opts: { limit?: number } = {}): Promise<Order[]> {
  return db
    .select()
    .from(orders)
    .where(or(eq(orders.accountId, accountId), eq(orders.providerAccountId, accountId)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(opts.limit ?? 100);
}

/**
 * Pending orders created in [since, before) without a certificate row, oldest first: the candidates of the doors'
 * sweep of orders whose workflow never started (api/order-intake.ts).
 */
export async function listPendingOrdersCreatedBetween(db: DbOrTx, since: Date, before: Date, opts: { limit?: number } = {}): Promise<Array<Pick<Order, 'id' | 'createdAt'>>> {
  return db
    .select({ id: orders.id, createdAt: orders.createdAt })
    .from(orders)
    .where(
      and(
        eq(orders.status, 'pending'),
        gte(orders.createdAt, since),
        lt(orders.createdAt, before),
        sql`not exists (select 1 from ${certificates} c where c.order_id = ${orders.id})`,
      ),
    )
    .orderBy(asc(orders.createdAt))
    .limit(opts.limit ?? 1000);
}
