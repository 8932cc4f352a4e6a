/**
 * OCSP records (CP 4.9.9, 7.3): delegated responder certificates and the current pre-signed response per serial.
 * Every signing is audited (POLICY-2026 "Records": OCSP signing is in the audit log), one entry per batch.
 */
import { and, desc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { certificates, ocspResponders, ocspResponses } from '../schema';
import { appendAudit } from './audit';
import { normalizeSerial, storedSerialOrNull } from './certificates';
import type { DbOrTx } from './types';

/**
 * NOTIFY channel: the serials whose response changed (comma-separated), or '*' for "many": API processes LISTEN and
 * drop those from their in-memory caches, so a revocation is served within moments, not after a cache TTL.
 */
export const OCSP_NOTIFY_CHANNEL = 'ocsp_responses';
/** NOTIFY payloads must stay below 8000 bytes. */
const MAX_NOTIFY_PAYLOAD = 7000;

export type OcspResponder = typeof ocspResponders.$inferSelect;
export type OcspResponseRow = typeof ocspResponses.$inferSelect;
export type NewOcspResponse = Omit<typeof ocspResponses.$inferInsert, 'updatedAt'>;

/** The responder of `issuerId` valid at `now` that stays valid the longest, if it lasts until `validUntil`. */
export async function currentOcspResponder(db: DbOrTx, issuerId: string, now: Date, validUntil: Date): Promise<OcspResponder | null> {
  const [row] = await db
    .select()
    .from(ocspResponders)
    .where(and(eq(ocspResponders.issuerId, issuerId), lte(ocspResponders.notBefore, now), gte(ocspResponders.notAfter, validUntil)))
    .orderBy(desc(ocspResponders.notAfter))
    .limit(1);
  return row ?? null;
}

export async function insertOcspResponder(db: DbOrTx, row: Omit<typeof ocspResponders.$inferInsert, 'createdAt'>, opts: { actor: string }): Promise<OcspResponder> {
  return db.transaction(async (tx) => {
    const [stored] = await tx.insert(ocspResponders).values(row).returning();
    await appendAudit(tx, {
      actor: opts.actor,
      event: 'ocsp.responder_issued',
      data: { issuerId: row.issuerId, responderSerial: row.serial, keyLabel: row.keyLabel, notBefore: row.notBefore, notAfter: row.notAfter },
    });
    return stored!;
  });
}

/**
 * Stores freshly signed responses. A stored response is replaced only by a newer one, and a `revoked` one never by
 * `good` (CP 4.9.13: no suspension, revocation is final) — so a refresh that read the status just before a
 * revocation cannot overwrite the revocation's response, whatever order the writes land in.
 */
export async function storeOcspResponses(db: DbOrTx, rows: readonly NewOcspResponse[], opts: { actor: string }): Promise<number> {
  if (rows.length === 0) return 0;
  return db.transaction(async (tx) => {
    const stored = await tx
      .insert(ocspResponses)
      .values(rows.map((r) => ({ ...r, updatedAt: new Date() })))
      .onConflictDoUpdate({
        target: ocspResponses.serial,
        set: {
          issuerId: sql`excluded.issuer_id`,
          certStatus: sql`excluded.cert_status`,
          thisUpdate: sql`excluded.this_update`,
          nextUpdate: sql`excluded.next_update`,
          responderSerial: sql`excluded.responder_serial`,
          responseDer: sql`excluded.response_der`,
          updatedAt: sql`excluded.updated_at`,
        },
        setWhere: sql`excluded.this_update >= ${ocspResponses.thisUpdate}
          and not (${ocspResponses.certStatus} = 'revoked' and excluded.cert_status = 'good')`,
      })
      .returning({ serial: ocspResponses.serial });
    const revoked = rows.filter((r) => r.certStatus === 'revoked').map((r) => r.serial);
    // Delivered at commit (and only if it commits): the API caches then drop exactly these serials.
    const changed = stored.map((r) => r.serial).join(',');
    if (stored.length > 0) {
      await tx.execute(sql`select pg_notify(${OCSP_NOTIFY_CHANNEL}, ${changed.length <= MAX_NOTIFY_PAYLOAD ? changed : '*'})`);
    }
    await appendAudit(tx, {
      actor: opts.actor,
      event: 'ocsp.responses_signed',
      serial: rows.length === 1 ? rows[0]!.serial : null,
      data: {
        count: rows.length,
        stored: stored.length,
        responderSerials: [...new Set(rows.map((r) => r.responderSerial))],
        thisUpdate: rows[0]!.thisUpdate,
        revoked,
        // Large refresh batches are summarized; the responses themselves are in ocsp_responses.
        serials: rows.length <= 20 ? rows.map((r) => r.serial) : undefined,
      },
    });
    return stored.length;
  });
}

export async function getOcspResponse(db: DbOrTx, serialHex: string): Promise<OcspResponseRow | null> {
  const serial = storedSerialOrNull(serialHex);
  if (serial === null) return null;
  const [row] = await db.select().from(ocspResponses).where(eq(ocspResponses.serial, serial)).limit(1);
  return row ?? null;
}

/** What a response is signed from: the certificate's status, issuer and revocation details. */
export async function certificateStatusesFor(db: DbOrTx, serials: readonly string[]) {
  if (serials.length === 0) return [];
  return db
    .select({
      serial: certificates.serial,
      issuerId: certificates.issuerId,
      status: certificates.status,
      revokedAt: certificates.revokedAt,
      revocationReason: certificates.revocationReason,
    })
    .from(certificates)
    .where(inArray(certificates.serial, serials.map(normalizeSerial)));
}

/**
 * Serials whose response must be (re-)signed now: every precertificate or certificate that has not expired and has
 * no response, a response produced before `refreshBefore`, or a response whose status disagrees with the database
 * (e.g. a revocation whose immediate re-signing failed). Reserved serials are never served (nothing was signed).
 */
export async function listOcspRefreshDue(db: DbOrTx, input: { now: Date; refreshBefore: Date; limit: number }): Promise<string[]> {
  const rows = await db
    .select({ serial: certificates.serial })
    .from(certificates)
    .leftJoin(ocspResponses, eq(ocspResponses.serial, certificates.serial))
    .where(
      and(
        inArray(certificates.status, ['precertificate', 'issued', 'revoked']),
        gte(certificates.notAfter, input.now),
        or(
          isNull(ocspResponses.serial),
          lte(ocspResponses.thisUpdate, input.refreshBefore),
          sql`${ocspResponses.certStatus} <> (case when ${certificates.status} = 'revoked' then 'revoked' else 'good' end)`,
        ),
      ),
    )
    .orderBy(sql`${ocspResponses.thisUpdate} asc nulls first`)
    .limit(input.limit);
  return rows.map((r) => r.serial);
}
