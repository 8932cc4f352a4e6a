/**
 * A fresh, migrated database per test file, created by the owner role next to the one the global setup provides, so
 * files never see each other's rows or audit chain. drop() closes the pool and removes the database.
 */
import { createHash, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../../config/index';
import { createDb, type DbHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { withDatabase } from '../../scripts/lib/postgres-roles';
import type { NewOrder } from '../../db/repositories/orders';

export function baseDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? loadConfig().database.url;
}

/** The owner role's URL (DATABASE_OWNER_URL of the global setup): it creates, migrates and drops test databases. */
export function ownerDatabaseUrl(): string {
  return process.env.DATABASE_OWNER_URL ?? loadConfig().database.ownerUrl;
}

/**
 * `url` and `handle` connect as the owner (tests set up and tamper with rows freely); `runtimeUrl` is the same
 * database as the services' runtime role sees it (db/migrations/0011_database_roles.sql).
 */
export async function freshDatabase(
  opts: { prefix?: string; max?: number } = {},
): Promise<{ url: string; runtimeUrl: string; name: string; handle: DbHandle; drop(): Promise<void> }> {
  const base = ownerDatabaseUrl();
  const name = `${opts.prefix ?? 'test_db'}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(base, name);
  await migrateDatabase(url);
  const handle = createDb(url, { max: opts.max ?? 5 });
  let dropped = false;
  return {
    url,
    runtimeUrl: withDatabase(baseDatabaseUrl(), name),
    name,
    handle,
    async drop() {
      if (dropped) return;
      dropped = true;
      await handle.close();
      const a = postgres(base, { max: 1, onnotice: () => {} });
      try {
        // FORCE terminates the database's other backends, but only those of roles the owner is a member of: a
        // backend without a role — an autovacuum worker analysing the fresh tables — makes it fail with
        // insufficient_privilege (42501) for the moment that worker runs. Tried again briefly.
        for (let attempt = 1; ; attempt++) {
          try {
            await a.unsafe(`drop database if exists "${name}" with (force)`);
            break;
          } catch (e) {
            if ((e as { code?: string }).code !== '42501') throw e;
            if (attempt === 20) {
              const others = await a`select pid, usename, backend_type, state, left(query, 80) as query from pg_stat_activity where datname = ${name}`;
              throw new Error(`cannot drop ${name}: ${String(e)}; still connected: ${JSON.stringify(others)}`);
            }
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** A one-name DV order with its dns-01 challenge, to store with createOrder (repository tests: no door, no CSR checks). */
export function storedDvOrder(accountId: string, name: string): NewOrder {
  const inADay = () => new Date(Date.now() + 86_400_000);
  return {
    accountId,
    profile: 'dv',
    csrDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
    spkiSha256: new Uint8Array(createHash('sha256').update(name).digest()),
    dnsNames: [name],
    validitySeconds: 199 * 86_400,
    expiresAt: inADay(),
    authorizations: [
      { fqdn: name, wildcard: false, challenge: { method: '3.2.2.4.7', recordName: `_acme-challenge.${name}`, token: randomBytes(24).toString('base64url'), expiresAt: inADay() } },
    ],
  };
}
