/**
 * What a PostgreSQL error means to a retried activity, read from its SQLSTATE (PostgreSQL documentation,
 * Appendix A) — never from its text. Most database errors are transient (the server restarts, a connection drops,
 * a serialization failure or deadlock, a unique violation another writer won and the retry will read back); those
 * are retried with backoff. A statement the database refuses for what it IS — a NULL in a NOT NULL column, a CHECK,
 * a foreign key, bad data, an unknown column or a missing privilege — fails the same way on every attempt: retrying
 * it forever keeps an order waiting for nothing. Such an error becomes `invariantViolated` (not retryable), so the
 * workflow records the failure instead (docs/RELIABILITY.md).
 */
import postgres from 'postgres';
import { CaError } from '../domain/errors';

/** SQLSTATEs of a statement that cannot succeed by being sent again. */
export function isPermanentSqlState(code: string): boolean {
  return (
    code.startsWith('22') || // data exception (invalid text representation, value too long, ...)
    code === '23502' || // not_null_violation
    code === '23503' || // foreign_key_violation
    code === '23514' || // check_violation
    code === '23P01' || // exclusion_violation
    code.startsWith('42') // syntax error or access rule violation (undefined column, insufficient privilege, ...)
  );
}

/** The PostgresError an error is or wraps (drizzle wraps it as `cause` of a DrizzleQueryError). */
function postgresErrorIn(err: unknown): postgres.PostgresError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof postgres.PostgresError) return e;
  }
  return null;
}

/** The non-retryable CaError for a database error that can never succeed, or null for anything else. */
export function permanentDatabaseFailure(err: unknown): CaError | null {
  const pg = postgresErrorIn(err);
  if (!pg || !isPermanentSqlState(pg.code)) return null;
  const where = [pg.table_name, pg.column_name ?? pg.constraint_name].filter(Boolean).join('.');
  return new CaError('invariantViolated', `the database refuses the write${where ? ` (${where})` : ''}: ${pg.message} [SQLSTATE ${pg.code}]`, {
    sqlstate: pg.code,
    ...(pg.table_name ? { table: pg.table_name } : {}),
    ...(pg.column_name ? { column: pg.column_name } : {}),
    ...(pg.constraint_name ? { constraint: pg.constraint_name } : {}),
  });
}
