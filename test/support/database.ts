/**
 * A fresh, migrated database per test file, created next to the one the global setup provides (DATABASE_URL), so
 * files never see each other's rows or audit chain. drop() closes the pool and removes the database.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../../config/index';
import { createDb, type DbHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

export function baseDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? loadConfig().database.url;
}

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function freshDatabase(
  opts: { prefix?: string; max?: number } = {},
): Promise<{ url: string; name: string; handle: DbHandle; drop(): Promise<void> }> {
  const base = baseDatabaseUrl();
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
    name,
    handle,
    async drop() {
      if (dropped) return;
      dropped = true;
      await handle.close();
      const a = postgres(base, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}
