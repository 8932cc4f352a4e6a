/**
 * Revocation (CP 4.9), key-compromise reports (CP 4.9.12) and CRLs (CP 4.9.7, 7.2). Every change appends to the hash-chained audit log in the
 * same transaction (BR 5.4.1: revocation and CRL signing are audited events). All writes are idempotent: their
 * callers are retried Temporal activities.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, getTableColumns, gt, inArray, ne, sql } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import type { CertificateFacts } from '../../domain/revocation';
import { revocationReasons } from '../../domain/revocation';
import { decodeSerialHex, type CrlEntryColumns } from '../../pki/crl';
import { acmeOrders, certificates, crlNumberSeq, crls, keyCompromiseReports, orders } from '../schema';
import { appendAudit } from './audit';
import { markCertificateRevoked, normalizeSerial } from './certificates';
import type { Certificate, DbOrTx } from './types';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

export type KeyCompromiseReport = typeof keyCompromiseReports.$inferSelect;
export type CrlRow = typeof crls.$inferSelect;
export type CrlMeta = Omit<CrlRow, 'der'>;

/** What domain/revocation.ts needs about a certificate, or null when the serial is unknown. */
export async function getRevocationFacts(db: DbOrTx, serialHex: string): Promise<(CertificateFacts & { serial: string; issuerId: string; certificate: Certificate }) | null> {
  let serial: string;
  try {
    serial = normalizeSerial(serialHex);
  } catch {
    return null;
  }
  const [row] = await db
    .select({ cert: certificates, providerAccountId: orders.providerAccountId, acmeAccountId: acmeOrders.acmeAccountId })
    .from(certificates)
    .innerJoin(orders, eq(orders.id, certificates.orderId))
    // ACME-issued certificates carry the ACME account they were issued to (CP 3.4 (2)).
    .leftJoin(acmeOrders, eq(acmeOrders.orderId, certificates.orderId))
    .where(eq(certificates.serial, serial))
    .limit(1);
  if (!row) return null;
  const c = row.cert;
  return {
    serial: c.serial,
    issuerId: c.issuerId,
    certificate: c,
    accountId: c.accountId,
    providerAccountId: row.providerAccountId,
    // API-issued certificates have none.
    acmeAccountId: row.acmeAccountId ?? null,
    spkiSha256Hex: hex(c.spkiSha256),
    status: c.status,
    revocationReason: c.revocationReason,
    notAfter: c.notAfter,
  };
}

/**
 * Revokes (or, for an already revoked certificate, upgrades the reason to keyCompromise — BR 7.2.2 lets the CA
 * do so when it learns of a compromise later; the revocation date stands). Idempotent: a repeat changes nothing.
 */
export async function applyRevocation(
  db: DbOrTx,
  input: { serial: string; reason: number; at: Date; actor: string; data?: Record<string, unknown> },
): Promise<{ certificate: Certificate; changed: boolean }> {
  const serial = normalizeSerial(input.serial);
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(certificates).where(eq(certificates.serial, serial)).for('update');
    if (!current) throw new CaError('notFound', `certificate ${serial} not found`);
    if (current.status === 'reserved') throw new CaError('conflict', `certificate ${serial} was never signed`);
    if (current.status !== 'revoked') {
      const row = await markCertificateRevoked(tx, serial, { reason: input.reason, at: input.at, actor: input.actor });
      if (input.data) await appendAudit(tx, { actor: input.actor, event: 'revocation.details', orderId: row.orderId, serial, data: input.data });
      return { certificate: row, changed: true };
    }
    if (input.reason === revocationReasons.keyCompromise && current.revocationReason !== revocationReasons.keyCompromise) {
      const [row] = await tx
        .update(certificates)
        .set({ revocationReason: revocationReasons.keyCompromise })
        .where(eq(certificates.serial, serial))
        .returning();
      await appendAudit(tx, {
        actor: input.actor,
        event: 'certificate.revocation_reason_changed',
        orderId: current.orderId,
        serial,
        data: { from: current.revocationReason, to: revocationReasons.keyCompromise, revokedAt: current.revokedAt, ...input.data },
      });
      return { certificate: row!, changed: true };
    }
    return { certificate: current, changed: false };
  });
}

/**
 * Audits one accepted revocation request (who, what, deadline; BR 5.4.1) — once per request: the revokeCertificate
 * workflow's recordRevocation activity writes it for the request that started the run, and the revocation entry
 * point (api/revocation-requests.ts) for a request that joined a run already under way (`joinedRunningWorkflow`).
 */
export async function recordRevocationRequest(
  db: DbOrTx,
  input: {
    serial: string;
    orderId: string;
    actor: string;
    reason: number;
    deadline: Date;
    deadlineRule: string;
    workflowId: string;
    joinedRunningWorkflow?: boolean;
  },
): Promise<void> {
  await appendAudit(db, {
    actor: input.actor,
    event: 'revocation.requested',
    orderId: input.orderId,
    serial: input.serial,
    data: {
      reason: input.reason,
      deadline: input.deadline,
      deadlineRule: input.deadlineRule,
      workflowId: input.workflowId,
      ...(input.joinedRunningWorkflow ? { joinedRunningWorkflow: true } : {}),
    },
  });
}

/**
 * One revocation as the CA records it (BR 5.4.1): the request audited, then the certificate revoked, in one
 * transaction. The revocation workflow (one certificate) and the incident workflow (many, one at a time) both use it.
 * The certificate row is locked before the audit chain's lock: every writer takes them in that order (a stored OCSP
 * response holds its certificate row through the foreign key while it appends its audit entry), so two of them
 * never wait on each other in a cycle.
 */
export async function revokeAsRequested(
  db: DbOrTx,
  input: { serial: string; orderId: string; actor: string; reason: number; at: Date; deadline: Date; deadlineRule: string; workflowId: string; data?: Record<string, unknown> },
): Promise<{ certificate: Certificate; changed: boolean }> {
  return db.transaction(async (tx) => {
    await tx.select({ serial: certificates.serial }).from(certificates).where(eq(certificates.serial, normalizeSerial(input.serial))).for('update');
    await recordRevocationRequest(tx, input);
    return applyRevocation(tx, { serial: input.serial, reason: input.reason, at: input.at, actor: input.actor, ...(input.data ? { data: input.data } : {}) });
  });
}

// --- key-compromise reports (CP 4.9.12) ---

export async function createKeyCompromiseReport(
  db: DbOrTx,
  input: {
    id: string;
    spkiDer: Uint8Array;
    proofKind: 'privateKey' | 'csr';
    proof: Uint8Array;
    proofSignature: Uint8Array | null;
    reporterContact: string | null;
    workflowId: string;
    deadline: Date;
  },
): Promise<KeyCompromiseReport> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(keyCompromiseReports)
      .values({ ...input, spkiSha256: sha256(input.spkiDer) })
      .returning();
    await appendAudit(tx, {
      actor: 'public:key-compromise-report',
      event: 'key_compromise.reported',
      data: { reportId: row!.id, spkiSha256: row!.spkiSha256, proofKind: input.proofKind, deadline: input.deadline },
    });
    return row!;
  });
}

export async function deleteKeyCompromiseReport(db: DbOrTx, id: string): Promise<void> {
  // Only used when the workflow could not be started: the report never existed for anyone (audited as such).
  await db.transaction(async (tx) => {
    await tx.delete(keyCompromiseReports).where(eq(keyCompromiseReports.id, id));
    await appendAudit(tx, { actor: 'api', event: 'key_compromise.withdrawn', data: { reportId: id, reason: 'workflow start failed' } });
  });
}

export async function getKeyCompromiseReport(db: DbOrTx, id: string): Promise<KeyCompromiseReport | null> {
  const [row] = await db.select().from(keyCompromiseReports).where(eq(keyCompromiseReports.id, id)).limit(1);
  return row ?? null;
}

export async function updateKeyCompromiseReport(
  db: DbOrTx,
  id: string,
  set: Partial<Pick<KeyCompromiseReport, 'status' | 'certificatesFound' | 'certificatesRevoked' | 'error' | 'completedAt'>>,
  audit?: { event: string; data?: Record<string, unknown> },
): Promise<KeyCompromiseReport> {
  return db.transaction(async (tx) => {
    const [row] = await tx.update(keyCompromiseReports).set(set).where(eq(keyCompromiseReports.id, id)).returning();
    if (!row) throw new CaError('notFound', `key-compromise report ${id} not found`);
    if (audit) await appendAudit(tx, { actor: `key-compromise:${id}`, event: audit.event, data: { reportId: id, ...set, ...audit.data } });
    return row;
  });
}

/**
 * Certificates (and precertificates: BR 7.1.2.9) with the key that still need a keyCompromise revocation:
 * unexpired, signed, and not already revoked for keyCompromise. Ordered by serial for stable paging.
 */
export async function certificatesToRevokeForKey(
  db: DbOrTx,
  spkiSha256: Uint8Array,
  now: Date,
  limit: number,
): Promise<Array<{ serial: string; issuerId: string }>> {
  return db
    .select({ serial: certificates.serial, issuerId: certificates.issuerId })
    .from(certificates)
    .where(
      and(
        eq(certificates.spkiSha256, spkiSha256),
        gt(certificates.notAfter, now),
        inArray(certificates.status, ['precertificate', 'issued', 'revoked']),
        sql`coalesce(${certificates.revocationReason}, -1) <> ${revocationReasons.keyCompromise}`,
      ),
    )
    .orderBy(certificates.serial)
    .limit(limit);
}

export async function countUnexpiredCertificatesWithKey(db: DbOrTx, spkiSha256: Uint8Array, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(certificates)
    .where(and(eq(certificates.spkiSha256, spkiSha256), gt(certificates.notAfter, now), ne(certificates.status, 'reserved')));
  return row?.n ?? 0;
}

/** How many unexpired certificates with the key are revoked for keyCompromise (the report's progress). */
export async function countKeyCompromiseRevoked(db: DbOrTx, spkiSha256: Uint8Array, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(certificates)
    .where(
      and(
        eq(certificates.spkiSha256, spkiSha256),
        gt(certificates.notAfter, now),
        eq(certificates.status, 'revoked'),
        eq(certificates.revocationReason, revocationReasons.keyCompromise),
      ),
    );
  return row?.n ?? 0;
}

// --- CRLs (CP 4.9.6–4.9.8, 7.2) ---

/** pg_advisory_xact_lock class of CRL generation (per issuer: the second key is hashtext(issuerId)). */
export const CRL_LOCK_CLASS = 7_230_005;

/**
 * Serializes CRL generation per issuer for the rest of the transaction: two runs (the schedule and a revocation)
 * never interleave, so a higher cRLNumber always has a later thisUpdate and sees every earlier revocation.
 */
export async function lockCrlIssuer(tx: DbOrTx, issuerId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CRL_LOCK_CLASS}, hashtext(${issuerId}))`);
}

export async function nextCrlNumber(tx: DbOrTx): Promise<bigint> {
  const rows = await tx.execute<{ n: string }>(sql`select nextval(${sql.raw(`'${crlNumberSeq.seqName}'`)})::text as n`);
  return BigInt(rows[0]!.n);
}

/** Every column but the DER (which may be tens of MB). */
function crlMetaColumns() {
  const { der: _der, ...columns } = getTableColumns(crls);
  void _der;
  return columns;
}

export async function latestCrlMeta(db: DbOrTx, issuerId: string): Promise<CrlMeta | null> {
  const columns = crlMetaColumns();
  const [row] = await db.select(columns).from(crls).where(eq(crls.issuerId, issuerId)).orderBy(desc(crls.crlNumber)).limit(1);
  return (row as CrlMeta | undefined) ?? null;
}

export async function getCrlMeta(db: DbOrTx, id: number): Promise<CrlMeta | null> {
  const columns = crlMetaColumns();
  const [row] = await db.select(columns).from(crls).where(eq(crls.id, id)).limit(1);
  return (row as CrlMeta | undefined) ?? null;
}

export async function getCrlDer(db: DbOrTx, id: number): Promise<Uint8Array | null> {
  const [row] = await db.select({ der: crls.der }).from(crls).where(eq(crls.id, id)).limit(1);
  return row?.der ?? null;
}

/**
 * The entries of the next CRL of an issuer (CP 4.9.6, BR 4.9.7): every revoked serial whose certificate has not
 * expired, plus those that expired since the previous CRL's thisUpdate — so each expired entry appears on exactly
 * one CRL issued after its expiry, then drops.
 *
 * A CRL may list a million entries: PostgreSQL aggregates them into one text value ("serial,seconds,reason;...")
 * and it is parsed straight into columns (pki/crl.ts CrlEntryColumns) — no row object per entry on either side.
 * date_part (double precision), not extract (numeric since PostgreSQL 14, markedly slower on a million rows).
 */
export async function crlEntries(tx: DbOrTx, issuerId: string, previousThisUpdate: Date | null): Promise<CrlEntryColumns> {
  const cutoff = previousThisUpdate ?? new Date(0);
  const rows = await tx.execute<{ n: number; s: string | null }>(sql`
    select count(*)::int as n,
           string_agg(serial || ',' || floor(date_part('epoch', revoked_at))::bigint || ',' || coalesce(revocation_reason, 0), ';') as s
      from ${certificates}
     where issuer_id = ${issuerId} and status = 'revoked' and not_after >= ${cutoff.toISOString()}::timestamptz`);
  const n = rows[0]?.n ?? 0;
  const text = rows[0]?.s ?? '';
  // Serials are at most 40 hex digits: half the text length bounds the serial bytes.
  const serialBytes = new Uint8Array(Math.ceil(text.length / 2));
  const serialStart = new Uint32Array(n + 1);
  const seconds = new Float64Array(n);
  const reasons = new Uint8Array(n);
  let p = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const comma1 = text.indexOf(',', p);
    serialStart[i] = o;
    o = decodeSerialHex(text, p, comma1, serialBytes, o);
    let v = 0;
    let q = comma1 + 1;
    for (let ch = text.charCodeAt(q); ch !== 44; ch = text.charCodeAt(++q)) v = v * 10 + (ch - 48);
    seconds[i] = v;
    let r = 0;
    for (let ch = text.charCodeAt(++q); q < text.length && ch !== 59; ch = text.charCodeAt(++q)) r = r * 10 + (ch - 48);
    if (r > 255) throw new CaError('internal', `revocation reason ${r} out of range`);
    reasons[i] = r;
    p = q + 1;
  }
  serialStart[n] = o;
  return { count: n, serialBytes, serialStart, seconds, reasons };
}

/** The entries as plain objects (tests, small CRLs). */
export function crlEntryList(c: CrlEntryColumns): Array<{ serialHex: string; revokedAtSeconds: number; reason: number }> {
  return Array.from({ length: c.count }, (_, i) => ({
    serialHex: hex(c.serialBytes.subarray(c.serialStart[i]!, c.serialStart[i + 1]!)).replace(/^0/, ''),
    revokedAtSeconds: c.seconds[i]!,
    reason: c.reasons[i]!,
  }));
}

export async function insertCrl(
  tx: DbOrTx,
  input: { issuerId: string; crlNumber: bigint; thisUpdate: Date; nextUpdate: Date; entryCount: number; der: Uint8Array; trigger: string; actor: string },
): Promise<CrlMeta> {
  const digest = sha256(input.der);
  const [row] = await tx
    .insert(crls)
    .values({ ...input, sha256: digest })
    .returning({ id: crls.id });
  await appendAudit(tx, {
    actor: input.actor,
    event: 'crl.signed',
    data: {
      crlId: row!.id,
      issuerId: input.issuerId,
      crlNumber: input.crlNumber.toString(),
      thisUpdate: input.thisUpdate,
      nextUpdate: input.nextUpdate,
      entries: input.entryCount,
      sha256: digest,
      trigger: input.trigger,
    },
  });
  return (await getCrlMeta(tx, row!.id))!;
}

export async function markCrlVerified(db: DbOrTx, id: number, result: { at: Date; error: string | null }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(crls).set({ verifiedAt: result.error ? null : result.at, verifyError: result.error }).where(eq(crls.id, id));
    await appendAudit(tx, { actor: 'workflow', event: result.error ? 'crl.publication_failed' : 'crl.published', data: { crlId: id, error: result.error } });
  });
}
