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
import { appendAudit, insertOnce, type AuditInput } from './audit';
import type { Certificate, DbOrTx } from './types';

const sha256Hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

/** Lowercase hex without leading zeros, the stored form of a serial. */
export function normalizeSerial(serialHex: string): string {
  const s = serialHex.toLowerCase().replace(/^0+/, '');
  if (!/^[0-9a-f]+$/.test(s)) throw new CaError('malformed', `not a positive hexadecimal serial: ${serialHex}`);
  return s;
}

/** The audit entry of an event on certificate `serial` of order `orderId`: by `actor`, else by the system. */
export function certificateAudit(
  event: string,
  on: { orderId: string; serial: string; actor?: string },
  data: Record<string, unknown>,
): AuditInput {
  return { actor: on.actor ?? 'system', event, orderId: on.orderId, serial: on.serial, data };
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
    return insertOnce(tx, certificates, {
      values: {
        serial,
        orderId: input.orderId,
        accountId: order.accountId,
        issuerId: input.issuerId,
        spkiSha256: order.spkiSha256,
        dnsNames: order.dnsNames,
        notBefore: input.notBefore,
        notAfter: input.notAfter,
      },
      conflictTarget: certificates.orderId,
      existing: eq(certificates.orderId, input.orderId),
      audit: certificateAudit('certificate.serial_reserved', { ...input, serial }, {
        issuerId: input.issuerId,
        notBefore: input.notBefore,
        notAfter: input.notAfter,
        dnsNames: order.dnsNames,
      }),
    });
  });
}

/**
 * One idempotent change of a certificate row, under a row lock: a change already made returns the row unchanged
 * (the first value wins: the callers are retried activities), a state that forbids the change is a conflict, and
 * otherwise the row is updated and the change audited in the same transaction.
 */
async function changeCertificate(
  db: DbOrTx,
  serialHex: string,
  change: {
    done(current: Certificate): boolean;
    refused?(current: Certificate): string | null;
    set: Partial<typeof certificates.$inferInsert>;
    audit(current: Certificate): Omit<AuditInput, 'orderId' | 'serial'>;
  },
): Promise<Certificate> {
  const serial = normalizeSerial(serialHex);
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(certificates).where(eq(certificates.serial, serial)).for('update');
    if (!current) throw new CaError('notFound', `certificate ${serial} not found`);
    if (change.done(current)) return current;
    const refusal = change.refused?.(current);
    if (refusal) throw new CaError('conflict', `certificate ${serial} is ${current.status}; ${refusal}`);
    const [row] = await tx.update(certificates).set(change.set).where(eq(certificates.serial, serial)).returning();
    await appendAudit(tx, { ...change.audit(current), orderId: current.orderId, serial });
    return row!;
  });
}

/** Stores the precertificate (RFC 6962 3.1) once; a second call keeps the first DER and returns the row. */
export function storePrecertificate(db: DbOrTx, serialHex: string, der: Uint8Array, opts: { actor?: string } = {}): Promise<Certificate> {
  return changeCertificate(db, serialHex, {
    done: (c) => c.precertDer !== null,
    refused: (c) => (c.status !== 'reserved' ? 'no precertificate can be stored' : null),
    set: { precertDer: der, status: 'precertificate' },
    audit: (c) => ({
      actor: opts.actor ?? 'system',
      event: 'certificate.precertificate_signed',
      data: { sha256: sha256Hex(der), issuerId: c.issuerId },
    }),
  });
}

/** Stores the final certificate once (status 'issued'); a second call keeps the first DER and returns the row. */
export function storeCertificate(db: DbOrTx, serialHex: string, der: Uint8Array, opts: { actor?: string } = {}): Promise<Certificate> {
  return changeCertificate(db, serialHex, {
    done: (c) => c.certDer !== null,
    refused: (c) => (c.status === 'revoked' ? 'the final certificate is not stored' : null),
    set: { certDer: der, status: 'issued' },
    audit: (c) => ({
      actor: opts.actor ?? 'system',
      event: 'certificate.issued',
      data: { sha256: sha256Hex(der), issuerId: c.issuerId, notBefore: c.notBefore, notAfter: c.notAfter },
    }),
  });
}

export async function getCertificateByOrder(db: DbOrTx, orderId: string): Promise<Certificate | null> {
  const [row] = await db.select().from(certificates).where(eq(certificates.orderId, orderId)).limit(1);
  return row ?? null;
}

/** The stored form of a serial, or null when the text is not one: a lookup of such input finds nothing. */
export function storedSerialOrNull(serialHex: string): string | null {
  try {
    return normalizeSerial(serialHex);
  } catch {
    return null;
  }
}

export async function getCertificateBySerial(db: DbOrTx, serialHex: string): Promise<Certificate | null> {
  const serial = storedSerialOrNull(serialHex);
  if (serial === null) return null;
  const [row] = await db.select().from(certificates).where(eq(certificates.serial, serial)).limit(1);
  return row ?? null;
}

/**
 * Marks the certificate (or precertificate: RFC 6962 3 makes a precertificate binding, BR 7.1.2.9) revoked with
 * an RFC 5280 5.3.1 reason code. Also the compensation seam of the issuance saga. Idempotent: an already revoked
 * certificate is returned unchanged (the first revocation time and reason stand, as in CRLs and OCSP).
 */
export function markCertificateRevoked(
  db: DbOrTx,
  serialHex: string,
  input: { reason: number; at: Date; actor: string },
): Promise<Certificate> {
  return changeCertificate(db, serialHex, {
    done: (c) => c.status === 'revoked',
    set: { status: 'revoked', revokedAt: input.at, revocationReason: input.reason },
    audit: (c) => ({
      actor: input.actor,
      event: 'certificate.revoked',
      data: { reason: input.reason, revokedAt: input.at, previousStatus: c.status },
    }),
  });
}
