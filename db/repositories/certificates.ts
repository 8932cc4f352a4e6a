/**
 * Certificate records. The row is created at the serial reservation (issuance cycle step 5), before anything is
 * signed (ARCHITECTURE.md convention 6: persist before signing), and fixes notBefore/notAfter so the
 * precertificate and the final certificate share one TBS (RFC 6962 3.2). Every write is idempotent because the
 * callers are retried Temporal activities: the first stored value wins, later calls return it unchanged.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { certificates, orders } from '../schema';
import { appendAudit } from './audit';
import type { Certificate, DbOrTx } from './types';

const sha256Hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

/** Lowercase hex without leading zeros, the stored form of a serial. */
export function normalizeSerial(serialHex: string): string {
  const s = serialHex.toLowerCase().replace(/^0+/, '');
  if (!/^[0-9a-f]+$/.test(s)) throw new CaError('malformed', `not a positive hexadecimal serial: ${serialHex}`);
  return s;
}

/**
 * Reserves the serial for the order. The caller draws a fresh serial from the CSPRNG on every attempt
 * (BR 7.1: >= 64 bits of CSPRNG output); only the first insert for an order wins
 * (INSERT ... ON CONFLICT (order_id) DO NOTHING, then SELECT), so a retried activity or two concurrent attempts
 * end with exactly one reserved serial, and every caller gets that one.
 */
export async function reserveSerial(
  db: DbOrTx,
  input: { orderId: string; issuerId: string; serialHex: string; notBefore: Date; notAfter: Date; actor?: string },
): Promise<Certificate> {
  const serial = normalizeSerial(input.serialHex);
  return db.transaction(async (tx) => {
    const [order] = await tx
      .select({ accountId: orders.accountId, spkiSha256: orders.spkiSha256, dnsNames: orders.dnsNames })
      .from(orders)
      .where(eq(orders.id, input.orderId));
    if (!order) throw new CaError('notFound', `order ${input.orderId} not found`);
    const inserted = await tx
      .insert(certificates)
      .values({
        serial,
        orderId: input.orderId,
        accountId: order.accountId,
        issuerId: input.issuerId,
        spkiSha256: order.spkiSha256,
        dnsNames: order.dnsNames,
        notBefore: input.notBefore,
        notAfter: input.notAfter,
      })
      .onConflictDoNothing({ target: certificates.orderId })
      .returning();
    if (inserted[0]) {
      await appendAudit(tx, {
        actor: input.actor ?? 'system',
        event: 'certificate.serial_reserved',
        orderId: input.orderId,
        serial,
        data: { issuerId: input.issuerId, notBefore: input.notBefore, notAfter: input.notAfter, dnsNames: order.dnsNames },
      });
      return inserted[0];
    }
    // Lost the race (or a retry): the committed row of the winner is visible to this new statement.
    const [existing] = await tx.select().from(certificates).where(eq(certificates.orderId, input.orderId));
    return existing!;
  });
}

async function lockBySerial(tx: DbOrTx, serial: string): Promise<Certificate> {
  const [row] = await tx.select().from(certificates).where(eq(certificates.serial, serial)).for('update');
  if (!row) throw new CaError('notFound', `certificate ${serial} not found`);
  return row;
}

/** Stores the precertificate (RFC 6962 3.1) once; a second call keeps the first DER and returns the row. */
export async function storePrecertificate(
  db: DbOrTx,
  serialHex: string,
  der: Uint8Array,
  opts: { actor?: string } = {},
): Promise<Certificate> {
  const serial = normalizeSerial(serialHex);
  return db.transaction(async (tx) => {
    const current = await lockBySerial(tx, serial);
    if (current.precertDer) return current;
    if (current.status !== 'reserved') {
      throw new CaError('conflict', `certificate ${serial} is ${current.status}; no precertificate can be stored`);
    }
    const [row] = await tx
      .update(certificates)
      .set({ precertDer: der, status: 'precertificate' })
      .where(eq(certificates.serial, serial))
      .returning();
    await appendAudit(tx, {
      actor: opts.actor ?? 'system',
      event: 'certificate.precertificate_signed',
      orderId: current.orderId,
      serial,
      data: { sha256: sha256Hex(der), issuerId: current.issuerId },
    });
    return row!;
  });
}

/** Stores the final certificate once (status 'issued'); a second call keeps the first DER and returns the row. */
export async function storeCertificate(
  db: DbOrTx,
  serialHex: string,
  der: Uint8Array,
  opts: { actor?: string } = {},
): Promise<Certificate> {
  const serial = normalizeSerial(serialHex);
  return db.transaction(async (tx) => {
    const current = await lockBySerial(tx, serial);
    if (current.certDer) return current;
    if (current.status === 'revoked') {
      throw new CaError('conflict', `certificate ${serial} is revoked; the final certificate is not stored`);
    }
    const [row] = await tx
      .update(certificates)
      .set({ certDer: der, status: 'issued' })
      .where(eq(certificates.serial, serial))
      .returning();
    await appendAudit(tx, {
      actor: opts.actor ?? 'system',
      event: 'certificate.issued',
      orderId: current.orderId,
      serial,
      data: { sha256: sha256Hex(der), issuerId: current.issuerId, notBefore: current.notBefore, notAfter: current.notAfter },
    });
    return row!;
  });
}

export async function getCertificateByOrder(db: DbOrTx, orderId: string): Promise<Certificate | null> {
  const [row] = await db.select().from(certificates).where(eq(certificates.orderId, orderId)).limit(1);
  return row ?? null;
}

export async function getCertificateBySerial(db: DbOrTx, serialHex: string): Promise<Certificate | null> {
  let serial: string;
  try {
    serial = normalizeSerial(serialHex);
  } catch {
    return null;
  }
  const [row] = await db.select().from(certificates).where(eq(certificates.serial, serial)).limit(1);
  return row ?? null;
}

/**
 * Marks the certificate (or precertificate: RFC 6962 3 makes a precertificate binding, BR 7.1.2.9) revoked with
 * an RFC 5280 5.3.1 reason code. Also the compensation seam of the issuance saga. Idempotent: an already revoked
 * certificate is returned unchanged (the first revocation time and reason stand, as in CRLs and OCSP).
 */
export async function markCertificateRevoked(
  db: DbOrTx,
  serialHex: string,
  input: { reason: number; at: Date; actor: string },
): Promise<Certificate> {
  const serial = normalizeSerial(serialHex);
  return db.transaction(async (tx) => {
    const current = await lockBySerial(tx, serial);
    if (current.status === 'revoked') return current;
    const [row] = await tx
      .update(certificates)
      .set({ status: 'revoked', revokedAt: input.at, revocationReason: input.reason })
      .where(eq(certificates.serial, serial))
      .returning();
    await appendAudit(tx, {
      actor: input.actor,
      event: 'certificate.revoked',
      orderId: current.orderId,
      serial,
      data: { reason: input.reason, revokedAt: input.at, previousStatus: current.status },
    });
    return row!;
  });
}
