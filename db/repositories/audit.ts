/**
 * The hash-chained audit log (BR 5.4.1, 5.5; CP 5.4.3, 5.5.2; POLICY-2026 "Records": append-only and
 * tamper-evident). Each entry's hash = SHA-256(prevHash || canonical JSON of {at, actor, event, orderId, serial,
 * data}); the first entry's prevHash is 32 zero bytes. Rows cannot be updated or deleted (trigger in migration
 * 0001); a row changed behind the trigger's back breaks the chain, which verifyAuditChain reports.
 *
 * Appends are serialized with a transaction-scoped advisory lock: the chain is a single sequence, so two
 * concurrent transactions must not both read the same "last hash". The lock is held until the caller's
 * transaction commits, so repositories append as the LAST step of a transaction to keep that window short.
 */
import { createHash } from 'node:crypto';
import { asc, gt, sql, type SQL } from 'drizzle-orm';
import type { IndexColumn, PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import { CaError } from '../../domain/errors';
import type { Db } from '../client';
import { auditLog } from '../schema';
import type { AuditEntry, DbOrTx } from './types';

/** pg_advisory_xact_lock key of the audit chain (an arbitrary constant, distinct from the migration lock). */
export const AUDIT_CHAIN_LOCK_KEY = 7_230_002;

const ZERO_HASH = new Uint8Array(32);

export interface AuditInput {
  /** Who caused it: 'account:<uuid>', 'workflow:<id>', 'admin:<name>', 'system'. */
  readonly actor: string;
  /** Dotted event name, e.g. 'order.created', 'certificate.issued'. */
  readonly event: string;
  readonly orderId?: string | null;
  readonly serial?: string | null;
  readonly data?: Record<string, unknown>;
}

/**
 * Turns a value into plain JSON data the way it will come back from jsonb: bytes become lowercase hex, Dates ISO
 * strings, undefined members are dropped. Hashing the normalized value (not the caller's object) is what lets
 * verification recompute the same bytes from the stored row.
 */
export function toJsonData(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toJsonData(v)));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // Not retryable: the same data fails on every attempt (JSON has no NaN or Infinity).
    if (!Number.isFinite(value)) throw new CaError('invariantViolated', 'audit data: non-finite number');
    return value;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toJsonData(v);
    }
    return out;
  }
  return value;
}

/** JSON with object keys sorted recursively (by UTF-16 code units, JSON.stringify's escaping for strings). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hashed text of an entry: canonical JSON of {at, actor, event, orderId, serial, data}. */
export function auditEntryBody(entry: { at: Date; actor: string; event: string; orderId: string | null; serial: string | null; data: unknown }): string {
  return canonicalJson({
    at: entry.at.toISOString(),
    actor: entry.actor,
    event: entry.event,
    orderId: entry.orderId,
    serial: entry.serial,
    data: entry.data,
  });
}

export function auditEntryHash(
  prevHash: Uint8Array,
  entry: { at: Date; actor: string; event: string; orderId: string | null; serial: string | null; data: unknown },
): Uint8Array {
  return new Uint8Array(createHash('sha256').update(prevHash).update(auditEntryBody(entry), 'utf8').digest());
}

/**
 * Appends one entry. Pass the transaction that makes the change being recorded, so both commit or neither. One
 * statement (function audit_append, migration 0020): the chain's lock, the head, the insert chained to it — the lock
 * held until the caller's transaction commits, or until the statement ends when called with the plain database.
 */
export async function appendAudit(tx: DbOrTx, input: AuditInput): Promise<AuditEntry> {
  // Millisecond precision: what a JS Date carries, so the stored timestamp reads back exactly.
  const at = new Date();
  const data = (toJsonData(input.data ?? {}) ?? {}) as Record<string, unknown>;
  const orderId = input.orderId ?? null;
  const serial = input.serial ?? null;
  const body = auditEntryBody({ at, actor: input.actor, event: input.event, orderId, serial, data });
  const rows = await tx.execute<AppendedRow>(
    sql`select * from audit_append(${AUDIT_CHAIN_LOCK_KEY}, ${at.toISOString()}::timestamptz, ${input.actor}, ${input.event}, ${orderId}::uuid, ${serial},
      ${JSON.stringify(data)}::jsonb, ${body})`,
  );
  const row = rows[0]!;
  return {
    id: Number(row.id),
    at: new Date(row.at),
    actor: row.actor,
    event: row.event,
    orderId: row.order_id,
    serial: row.serial,
    data: row.data,
    prevHash: new Uint8Array(row.prev_hash),
    hash: new Uint8Array(row.hash),
  };
}

/** A row of audit_log as the driver returns it (bigint as text, timestamptz as Date or text). */
interface AppendedRow extends Record<string, unknown> {
  id: string | number;
  at: Date | string;
  actor: string;
  event: string;
  order_id: string | null;
  serial: string | null;
  data: Record<string, unknown>;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

/**
 * An insert that happens once however often it is retried (the callers are retried Temporal activities): the first
 * insert wins (INSERT ... ON CONFLICT (`conflictTarget`) DO NOTHING ... RETURNING) and is audited in the same
 * transaction; a retry, or the loser of a race, gets the winner's committed row (`existing` selects it).
 */
export async function insertOnce<T extends PgTable>(
  tx: DbOrTx,
  table: T,
  write: { values: PgInsertValue<T>; conflictTarget: IndexColumn | IndexColumn[]; existing: SQL | undefined; audit: AuditInput },
): Promise<T['$inferSelect']> {
  const [inserted] = (await tx.insert(table).values(write.values).onConflictDoNothing({ target: write.conflictTarget }).returning()) as T['$inferSelect'][];
  if (inserted) {
    await appendAudit(tx, write.audit);
    return inserted;
  }
  const [existing] = (await tx.select().from(table as PgTable).where(write.existing)) as T['$inferSelect'][];
  return existing!;
}

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Walks the chain in id order, recomputing every hash: from the start (prevHash of the first entry = 32 zero bytes),
 * or from a known entry `after` (a signed checkpoint's head). Returns the id of the first entry whose prevHash does not
 * link to its predecessor or whose content does not hash to its stored hash. `visit` sees every entry that verified.
 */
export async function walkAuditChain(
  db: DbOrTx,
  opts: { batchSize?: number; after?: { id: number; hash: Uint8Array }; visit?: (entry: AuditEntry) => void } = {},
): Promise<{ ok: true; entries: number; lastId: number } | { ok: false; brokenAt: number }> {
  const batchSize = opts.batchSize ?? 1000;
  let prev: Uint8Array = opts.after?.hash ?? ZERO_HASH;
  let lastId = opts.after?.id ?? 0;
  let entries = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.id, lastId))
      .orderBy(asc(auditLog.id))
      .limit(batchSize);
    for (const row of rows) {
      const recomputed = auditEntryHash(prev, row);
      if (!equalBytes(row.prevHash, prev) || !equalBytes(row.hash, recomputed)) return { ok: false, brokenAt: row.id };
      opts.visit?.(row);
      prev = row.hash;
      lastId = row.id;
      entries++;
    }
    if (rows.length < batchSize) return { ok: true, entries, lastId };
  }
}

/** The whole chain from its first entry (see walkAuditChain); signed checkpoints: audit-checkpoints.ts. */
export async function verifyAuditChain(
  db: Db,
  opts: { batchSize?: number } = {},
): Promise<{ ok: true; entries: number } | { ok: false; brokenAt: number }> {
  const walked = await walkAuditChain(db, opts);
  return walked.ok ? { ok: true, entries: walked.entries } : walked;
}

/** The audit entries of one order, oldest first (for the admin API and tests). */
export async function listAuditForOrder(db: DbOrTx, orderId: string): Promise<AuditEntry[]> {
  return db.select().from(auditLog).where(sql`${auditLog.orderId} = ${orderId}`).orderBy(asc(auditLog.id));
}
