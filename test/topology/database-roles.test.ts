/**
 * PostgreSQL's boundary in the production topology (docs/DEPLOYMENT.md, boundary 3; migration 0011_database_roles):
 * every CA process, and the operator's CLI, logs in as a role of its own with the password from its own file; each is
 * a member of the group ca_runtime and holds nothing else — on the audit log it may SELECT and INSERT but never
 * UPDATE, DELETE or TRUNCATE (CP 5.4.4), it creates no table, and it cannot connect to Temporal's databases. The owner
 * ran the migrations and owns every object of the schema; the Temporal role cannot connect to the CA's database.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { OPERATOR_ROLE } from '../../scripts/lib/stack/database';
import { caProcesses, serviceUsers, stackLayout, stackPorts } from '../../scripts/lib/stack/layout';
import { state } from './stack-client';

const layout = stackLayout();
const opened: postgres.Sql[] = [];

/** A connection as `role`, its password read from `passwordFile` (as the process reads DATABASE_PASSWORD_FILE). */
function login(role: string, passwordFile: string, database = 'ca'): postgres.Sql {
  const password = encodeURIComponent(readFileSync(passwordFile, 'utf8').trim());
  const sql = postgres(`postgres://${role}:${password}@127.0.0.1:${stackPorts.postgres}/${database}`, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  opened.push(sql);
  return sql;
}

/** The error message of a statement that must fail, or null when it succeeded. */
const refusal = (query: Promise<unknown>) => query.then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));

afterAll(async () => {
  await Promise.all(opened.map((sql) => sql.end({ timeout: 5 })));
});

const logins = [
  ...caProcesses.filter((p) => p.dbRole).map((p) => ({ role: p.dbRole!, passwordFile: path.join(layout.secretsOf(p.user), 'db-password') })),
  { role: OPERATOR_ROLE, passwordFile: path.join(layout.secretsOf('operator'), 'pg-operator') },
];

describe('the CA\'s database logins', () => {
  it.each(logins.map((l) => [l.role, l] as const))('%s: a member of ca_runtime only; audit_log SELECT and INSERT, never UPDATE, DELETE or TRUNCATE', async (role, l) => {
    const sql = login(role, l.passwordFile);
    const [me] = await sql`select current_user as role, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
      array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1) as member_of
      from pg_roles r where r.rolname = current_user`;
    expect(me).toEqual({ role, rolsuper: false, rolcreaterole: false, rolcreatedb: false, member_of: ['ca_runtime'] });

    const [privileges] = await sql`select array(select p from unnest(${['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']}::text[]) p
      where has_table_privilege('audit_log', p)) as held`;
    expect(privileges!.held).toEqual(['SELECT', 'INSERT']);
    await sql`select count(*) from audit_log`;
    // Refused by the privilege check itself, before any row (or the append-only trigger) is involved.
    expect(await refusal(sql`update audit_log set actor = actor where false`)).toMatch(/permission denied for table audit_log/);
    expect(await refusal(sql`delete from audit_log where false`)).toMatch(/permission denied for table audit_log/);
    expect(await refusal(sql`truncate audit_log`)).toMatch(/permission denied for table audit_log/);
    expect(await refusal(sql`create table topology_probe (i int)`)).toMatch(/permission denied for schema public/);
    expect(await refusal(login(role, l.passwordFile, 'temporal')`select 1`)).toMatch(/permission denied for database "temporal"/);
  });
});

describe('the owner and the Temporal role', () => {
  it('ca_owner ran the migrations and owns every table, view and sequence of the CA\'s schema', async () => {
    const sql = postgres(state().databaseUrl, { max: 1, onnotice: () => {} });
    opened.push(sql);
    const others = await sql`select n.nspname || '.' || c.relname as object, pg_get_userbyid(c.relowner) as owner from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'p', 'v', 'm', 'S')
      and pg_get_userbyid(c.relowner) <> 'ca_owner'`;
    expect(others).toEqual([]);
    const [migrations] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(migrations!.n).toBeGreaterThan(10);
  });

  it('the Temporal role cannot connect to the CA\'s database', async () => {
    const temporal = login('temporal', path.join(layout.secretsOf(serviceUsers.temporal), 'db-password'), 'ca');
    expect(await refusal(temporal`select 1`)).toMatch(/permission denied for database "ca"/);
  });
});
