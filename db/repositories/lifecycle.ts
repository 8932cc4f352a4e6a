/**
 * A certificate's life after issuance (CP 4.4 acceptance, 4.6–4.8 renewal, re-key and modification, 4.3.2 and 4.9
 * notices): who its notices go to, its first download as acceptance, and its succession by a renewed certificate.
 * Every change is idempotent (the callers are retried activities or repeated requests) and audited in its transaction.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Language, RenewalKind } from '../../domain/statuses';
import { accounts, acmeAccounts, acmeOrders, certificates, orders } from '../schema';
import { appendAudit } from './audit';
import { normalizeSerial } from './certificates';
import type { Certificate, DbOrTx } from './types';

export interface CertificateNoticeContext {
  readonly certificate: Certificate;
  readonly orderId: string;
  readonly viaAcme: boolean;
  readonly renewal: { readonly kind: RenewalKind; readonly predecessorSerial: string } | null;
  /** Whom the notices go to (CP 4.3.2: the designated provider that relayed the application, or the subscriber). */
  readonly recipient: { readonly accountId: string; readonly email: string | null; readonly language: Language };
}

const provider = alias(accounts, 'provider');

/** The first mailto: contact of an ACME account (RFC 8555 §7.3: contact URLs), as an address. */
function mailtoAddress(contact: readonly string[] | null): string | null {
  const first = (contact ?? []).find((c) => c.toLowerCase().startsWith('mailto:'));
  return first ? first.slice('mailto:'.length) : null;
}

/**
 * The recipient of a certificate's notices: the designated provider when it relayed the application (it manages the
 * subscriber, CP 1.3); for an ACME certificate, the ACME account's contact (RFC 8555 §7.3), else the CA account's
 * address; otherwise the subscriber account's address. The language is that recipient account's.
 */
export async function certificateNoticeContext(db: DbOrTx, serialHex: string): Promise<CertificateNoticeContext | null> {
  const [row] = await db
    .select({
      cert: certificates,
      order: { id: orders.id, predecessorSerial: orders.predecessorSerial, renewalKind: orders.renewalKind },
      account: { id: accounts.id, email: accounts.email, language: accounts.language },
      provider: { id: provider.id, email: provider.email, language: provider.language },
      acmeAccountId: acmeOrders.acmeAccountId,
      acmeContact: acmeAccounts.contact,
    })
    .from(certificates)
    .innerJoin(orders, eq(orders.id, certificates.orderId))
    .innerJoin(accounts, eq(accounts.id, orders.accountId))
    .leftJoin(provider, eq(provider.id, orders.providerAccountId))
    .leftJoin(acmeOrders, eq(acmeOrders.orderId, orders.id))
    .leftJoin(acmeAccounts, eq(acmeAccounts.id, acmeOrders.acmeAccountId))
    .where(eq(certificates.serial, normalizeSerial(serialHex)))
    .limit(1);
  if (!row) return null;
  const viaAcme = row.acmeAccountId !== null;
  const recipient = row.provider?.id
    ? { accountId: row.provider.id, email: row.provider.email, language: row.provider.language }
    : { accountId: row.account.id, email: (viaAcme ? mailtoAddress(row.acmeContact) : null) ?? row.account.email, language: row.account.language };
  const predecessorSerial = row.order.predecessorSerial;
  return {
    certificate: row.cert,
    orderId: row.order.id,
    viaAcme,
    renewal: predecessorSerial && row.order.renewalKind ? { kind: row.order.renewalKind, predecessorSerial } : null,
    recipient,
  };
}

/**
 * CP 4.4.1: the first download of the certificate (REST or ACME) is the subscriber's acceptance. Recorded once, with
 * the door and who downloaded it; later downloads change nothing. True when this call recorded it.
 */
export async function recordCertificateAcceptance(
  db: DbOrTx,
  input: { serial: string; via: 'api' | 'acme'; actor: string; at: Date },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(certificates)
      .set({ acceptedAt: input.at, acceptedVia: input.via })
      .where(and(eq(certificates.serial, input.serial), isNull(certificates.acceptedAt)))
      .returning({ orderId: certificates.orderId });
    if (!row) return false;
    await appendAudit(tx, { actor: input.actor, event: 'certificate.accepted', orderId: row.orderId, serial: input.serial, data: { via: input.via, rule: 'CP 4.4.1', acceptedAt: input.at } });
    return true;
  });
}

export interface Succession {
  readonly predecessorSerial: string;
  /** The subscriber asked for the predecessor's revocation with reason superseded (never done without asking). */
  readonly revokePredecessor: boolean;
  /** True when this call marked it (a retry finds it marked already). */
  readonly marked: boolean;
}

/**
 * CP 4.6–4.8: once the order's certificate is issued, its predecessor — the certificate it renews (REST renewals) or
 * replaces (ACME `replaces`, RFC 9773 §5) — is superseded by it. Null when the order renews nothing.
 */
export async function supersedePredecessor(db: DbOrTx, input: { orderId: string; successorSerial: string; at: Date }): Promise<Succession | null> {
  return db.transaction(async (tx) => {
    const [o] = await tx
      .select({ predecessorSerial: orders.predecessorSerial, renewalKind: orders.renewalKind, revokePredecessor: orders.revokePredecessor, replacesSerial: acmeOrders.replacesSerial })
      .from(orders)
      .leftJoin(acmeOrders, eq(acmeOrders.orderId, orders.id))
      .where(eq(orders.id, input.orderId));
    const predecessorSerial = o?.predecessorSerial ?? o?.replacesSerial ?? null;
    if (!o || !predecessorSerial) return null;
    const [row] = await tx
      .update(certificates)
      .set({ supersededBy: input.successorSerial, supersededAt: input.at })
      .where(and(eq(certificates.serial, predecessorSerial), isNull(certificates.supersededBy)))
      .returning({ orderId: certificates.orderId });
    if (row) {
      await appendAudit(tx, {
        actor: 'workflow',
        event: 'certificate.superseded',
        orderId: row.orderId,
        serial: predecessorSerial,
        data: { by: input.successorSerial, byOrderId: input.orderId, kind: o.renewalKind ?? 'acme-replaces', rule: 'CP 4.6–4.8' },
      });
    }
    return { predecessorSerial, revokePredecessor: o.revokePredecessor, marked: row !== undefined };
  });
}

/** A renewal of `serial` still under way (its order neither valid, invalid nor expired), or null. */
export async function activeRenewalOrder(db: DbOrTx, serial: string): Promise<string | null> {
  const [row] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.predecessorSerial, serial), inArray(orders.status, ['pending', 'ready', 'processing'])))
    .limit(1);
  return row?.id ?? null;
}
