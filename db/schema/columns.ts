/**
 * Column helpers shared by the tables of db/schema/. Not tables themselves: drizzle-kit reads this folder and
 * finds nothing to migrate here.
 */
import { sql, type SQL } from 'drizzle-orm';
import { check, customType, timestamp } from 'drizzle-orm/pg-core';

/** PostgreSQL bytea as a Uint8Array (DER, hashes, keys): never a Buffer, so values compare the same everywhere. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (v) => v,
  fromDriver: (v) => new Uint8Array(v),
});

/** Every instant is a timestamptz: records are compared across machines and time zones (CP 5.4.1 event times). */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A CHECK that the text column holds one of the enum values: drizzle's text enums are TypeScript-only, so without
 * it a bad UPDATE (a psql session, a future bug) could store a state no code knows about.
 */
export const oneOf = (name: string, column: SQL, values: readonly string[]) =>
  check(name, sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`);
