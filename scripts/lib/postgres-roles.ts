/**
 * The CA's two database roles (docs/SECURITY.md, docs/DEPLOYMENT.md "Database roles"):
 *   - the OWNER (default `ca_owner`): owns the database and every object in it, runs the migrations
 *     (config.database.ownerUrl, DATABASE_OWNER_URL); no superuser, no CREATEROLE;
 *   - the RUNTIME login (default `ca_app`): what every service and operator CLI connects as (config.database.url,
 *     DATABASE_URL); a member of the group role `ca_runtime`, which migration 0010 grants exactly what the services use
 *     (on audit_log: SELECT and INSERT only). Not an owner, so it cannot alter a table or disable a trigger.
 * `ensureDatabaseRoles` creates them idempotently, as a cluster administrator, before the first migration; the
 * private cluster of `npm start` and the tests calls it (scripts/lib/postgres.ts), and so can any other setup
 * (`npm run stack`). A database created before the roles existed has its objects handed to the owner.
 */
import postgres from 'postgres';

/** The group role the migrations grant to (db/migrations/0011_database_roles.sql). */
export const RUNTIME_GROUP_ROLE = 'ca_runtime';

export interface DatabaseRoles {
  readonly database: string;
  readonly owner: string;
  readonly runtime: string;
  /** Development and tests only: the owner may create databases (test/support/database.ts makes one per file). */
  readonly ownerMayCreateDatabases?: boolean;
}

const identifier = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain PostgreSQL role or database name: "${name}"`);
  return `"${name}"`;
};

/** The user name of a postgres:// URL (the role it connects as). */
export function roleOfUrl(url: string): string {
  const user = decodeURIComponent(new URL(url).username);
  if (!user) throw new Error('the database URL names no user');
  return user;
}

/** The same server and user as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Creates the owner, the runtime group and the runtime login when missing (their attributes are set only at
 * creation), makes the owner own `database` and everything in its `public` and `drizzle` schemas. `adminUrl` is a
 * superuser's connection to any database of the cluster.
 */
export async function ensureDatabaseRoles(adminUrl: string, roles: DatabaseRoles): Promise<void> {
  const [owner, runtime, group, database] = [roles.owner, roles.runtime, RUNTIME_GROUP_ROLE, roles.database].map(identifier) as [string, string, string, string];
  if (roles.owner === roles.runtime) throw new Error('the owner and the runtime role must be different roles');
  const admin = postgres(withDatabase(adminUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const exists = async (name: string) => (await admin`select 1 from pg_roles where rolname = ${name}`).length > 0;
    // Two setups racing (npm start and a test run) may both try to create a role: 42710 duplicate_object is fine.
    const create = async (name: string, statement: string) => {
      if (await exists(name)) return;
      await admin.unsafe(statement).catch((e: { code?: string }) => {
        if (e.code !== '42710') throw e;
      });
    };
    await create(roles.owner, `create role ${owner} login nosuperuser nocreaterole noreplication nobypassrls ${roles.ownerMayCreateDatabases ? 'createdb' : 'nocreatedb'}`);
    await create(RUNTIME_GROUP_ROLE, `create role ${group} nologin nosuperuser nocreaterole nocreatedb noreplication nobypassrls`);
    await create(roles.runtime, `create role ${runtime} login inherit nosuperuser nocreaterole nocreatedb noreplication nobypassrls`);
    await admin.unsafe(`grant ${group} to ${runtime}`);
    await admin.unsafe(`alter database ${database} owner to ${owner}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const db = postgres(withDatabase(adminUrl, roles.database), { max: 1, onnotice: () => {} });
  try {
    // Objects made before the roles existed (the superuser ran the migrations) pass to the owner; a table's
    // serial sequences follow it, standalone sequences (e.g. crl_number_seq) are handed over on their own.
    await db.unsafe(`do $$
declare r record;
begin
  for r in
    select format('alter %s %I.%I owner to %I', case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end,
                  n.nspname, c.relname, '${roles.owner}') as stmt
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'p', 'v', 'm')
      and pg_get_userbyid(c.relowner) <> '${roles.owner}'
  loop execute r.stmt; end loop;
  for r in
    select format('alter sequence %I.%I owner to %I', n.nspname, c.relname, '${roles.owner}') as stmt
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'drizzle') and c.relkind = 'S'
      and pg_get_userbyid(c.relowner) <> '${roles.owner}'
      and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
  loop execute r.stmt; end loop;
  for r in
    select format('alter function %s owner to %I', p.oid::regprocedure, '${roles.owner}') as stmt
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> '${roles.owner}'
  loop execute r.stmt; end loop;
  if exists (select 1 from pg_namespace where nspname = 'drizzle') then
    execute format('alter schema drizzle owner to %I', '${roles.owner}');
  end if;
end $$`);
  } finally {
    await db.end({ timeout: 5 });
  }
}
