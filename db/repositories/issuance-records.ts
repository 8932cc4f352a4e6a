/**
 * What the issuance gate reads (domain/issuance-gate.ts; activities/issuance-gate.ts assembles the facts): the order,
 * its accounts, the certificate row, every authorization of the order with the validation it rests on (its own valid
 * challenge, or the earlier authorization it reused, BR 4.2.1) and that validation's latest DCV corroboration round,
 * the latest CAA round of each name, and for OV the vetted organization record the order pinned and the CA of the key
 * the serial was reserved under. Reads only; one consistent snapshot (REPEATABLE READ).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { accounts, acmeAccounts, acmeOrders, authorizations, certificates, challenges, corroborations, issuers, orders, vettedOrganizations } from '../schema';

export interface ValidationRecord {
  readonly authorizationId: string;
  readonly accountId: string;
  readonly fqdn: string;
  readonly wildcard: boolean;
  readonly status: string;
  readonly method: string | null;
  readonly validatedAt: Date | null;
  readonly dcvCorroboration: 'pass' | 'fail' | null;
}

export interface IssuanceRecords {
  readonly order: { id: string; status: string; accountId: string; providerAccountId: string | null; dnsNames: string[]; profile: string; organizationId: string | null };
  readonly accounts: ReadonlyArray<{ id: string; status: string; kind: string }>;
  readonly acmeAccount: { id: string; status: string; accountId: string } | null;
  readonly certificate: { serial: string; orderId: string; status: string; hasPrecertificate: boolean; issuerCaId: string | null } | null;
  /** OV: the vetted organization record the order pinned at step 4. */
  readonly vettedRecord: { id: string; organizationId: string; validFrom: Date; validUntil: Date } | null;
  readonly authorizations: ReadonlyArray<{ id: string; fqdn: string; wildcard: boolean; status: string; accountId: string; basisId: string }>;
  /** By authorization id: the authorizations of the order and those they reused. */
  readonly validations: ReadonlyMap<string, ValidationRecord>;
  readonly caa: ReadonlyArray<{ fqdn: string; result: 'pass' | 'fail'; checkedAt: Date; validUntil: Date | null }>;
}

export async function loadIssuanceRecords(db: Db, input: { orderId: string; serial: string }): Promise<IssuanceRecords | null> {
  return db.transaction(
    async (tx) => {
      const [order] = await tx
        .select({
          id: orders.id,
          status: orders.status,
          accountId: orders.accountId,
          providerAccountId: orders.providerAccountId,
          dnsNames: orders.dnsNames,
          profile: orders.profile,
          organizationId: orders.organizationId,
          vettedOrganizationId: orders.vettedOrganizationId,
        })
        .from(orders)
        .where(eq(orders.id, input.orderId));
      if (!order) return null;
      // The reads below depend on the order only: sent together (postgres.js pipelines them on the transaction's
      // connection), then the validations of the authorizations found.
      const accountIds = [order.accountId, ...(order.providerAccountId ? [order.providerAccountId] : [])];
      const [accountRows, [acme], [cert], [vettedRecord], own, caa] = await Promise.all([
        tx.select({ id: accounts.id, status: accounts.status, kind: accounts.kind }).from(accounts).where(inArray(accounts.id, accountIds)),
        tx
          .select({ id: acmeAccounts.id, status: acmeAccounts.status, accountId: acmeAccounts.accountId })
          .from(acmeOrders)
          .innerJoin(acmeAccounts, eq(acmeAccounts.id, acmeOrders.acmeAccountId))
          .where(eq(acmeOrders.orderId, order.id)),
        tx
          .select({
            serial: certificates.serial,
            orderId: certificates.orderId,
            status: certificates.status,
            hasPrecertificate: sql<boolean>`${certificates.precertDer} is not null`,
            issuerCaId: issuers.caId,
          })
          .from(certificates)
          .leftJoin(issuers, eq(issuers.id, certificates.issuerId))
          .where(eq(certificates.serial, input.serial)),
        order.vettedOrganizationId
          ? tx
              .select({ id: vettedOrganizations.id, organizationId: vettedOrganizations.organizationId, validFrom: vettedOrganizations.validFrom, validUntil: vettedOrganizations.validUntil })
              .from(vettedOrganizations)
              .where(eq(vettedOrganizations.id, order.vettedOrganizationId))
          : Promise.resolve([]),
        tx
          .select({
            id: authorizations.id,
            fqdn: authorizations.fqdn,
            wildcard: authorizations.wildcard,
            status: authorizations.status,
            accountId: authorizations.accountId,
            reusedFrom: authorizations.reusedFromAuthorizationId,
          })
          .from(authorizations)
          .where(eq(authorizations.orderId, order.id)),
        tx
          .selectDistinctOn([corroborations.fqdn], {
            fqdn: corroborations.fqdn,
            result: corroborations.result,
            checkedAt: corroborations.checkedAt,
            validUntil: corroborations.caaValidUntil,
          })
          .from(corroborations)
          .where(and(eq(corroborations.orderId, order.id), eq(corroborations.check, 'caa')))
          .orderBy(corroborations.fqdn, desc(corroborations.checkedAt)),
      ]);
      const basisIds = [...new Set(own.map((a) => a.reusedFrom ?? a.id))];
      const validations = new Map<string, ValidationRecord>();
      if (basisIds.length > 0) {
        const [rows, rounds] = await Promise.all([
          tx
            .select({
              authorizationId: authorizations.id,
              accountId: authorizations.accountId,
              fqdn: authorizations.fqdn,
              wildcard: authorizations.wildcard,
              status: authorizations.status,
              method: challenges.method,
              validatedAt: challenges.validatedAt,
            })
            .from(authorizations)
            .leftJoin(challenges, and(eq(challenges.authorizationId, authorizations.id), eq(challenges.status, 'valid')))
            .where(inArray(authorizations.id, basisIds)),
          tx
            .selectDistinctOn([corroborations.authorizationId], { authorizationId: corroborations.authorizationId, result: corroborations.result })
            .from(corroborations)
            .where(and(inArray(corroborations.authorizationId, basisIds), eq(corroborations.check, 'dcv')))
            .orderBy(corroborations.authorizationId, desc(corroborations.checkedAt)),
        ]);
        const dcv = new Map(rounds.map((r) => [r.authorizationId, r.result]));
        // One row per authorization (left join): its validated challenge, or none (method null).
        for (const r of rows) validations.set(r.authorizationId, { ...r, dcvCorroboration: dcv.get(r.authorizationId) ?? null });
      }
      const { vettedOrganizationId: _pinned, ...orderFacts } = order;
      return {
        order: orderFacts,
        vettedRecord: vettedRecord ?? null,
        accounts: accountRows,
        acmeAccount: acme ?? null,
        certificate: cert ?? null,
        authorizations: own.map(({ reusedFrom, ...a }) => ({ ...a, basisId: reusedFrom ?? a.id })),
        validations,
        caa,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
