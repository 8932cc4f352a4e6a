/**
 * Least privilege in PostgreSQL (db/migrations/0011_database_roles.sql): a service that could switch off the audit
 * log's append-only trigger could rewrite the log and re-hash it (CP 5.4.3). So the services connect as the runtime
 * role, which may append to the audit log and read it, and nothing more — it cannot change or remove an entry,
 * truncate, disable the append-only trigger, or switch triggers off for its session. Everything the services do still
 * works as that role. A fresh database per file: created and migrated by the owner, used as the runtime role.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../db/client';
import { createAccount } from '../../db/repositories/accounts';
import { appendAudit, verifyAuditChain } from '../../db/repositories/audit';
import { deleteOrder } from '../../db/repositories/orders';
import { loadConfig } from '../../config';
import { roleOfUrl } from '../../scripts/lib/postgres-roles';
import { freshDatabase } from '../support/database';
import { seedPendingOrder } from '../support/issuable-order';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let runtime: DbHandle;
let runtimeRole: string;

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'roles' });
  runtime = createDb(fresh.runtimeUrl, { max: 2 });
  runtimeRole = roleOfUrl(fresh.runtimeUrl);
  await createAccount(runtime.db, { name: 'Roles Applicant' });
  await appendAudit(runtime.db, { actor: 'test', event: 'test.entry', data: { n: 1 } });
});
afterAll(async () => {
  await runtime?.close();
  await fresh?.drop();
});

/** Runs one statement as the runtime role on its own connection (a refused statement aborts only it). */
async function asRuntime(statement: string): Promise<void> {
  const sql = postgres(fresh.runtimeUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe('the runtime role on audit_log: INSERT and SELECT only', () => {
  it('is not the owner of audit_log, nor a member of the owner role, nor a superuser', async () => {
    const [row] = await runtime.sql`select tableowner, current_user as me,
        pg_has_role(current_user, tableowner, 'member') as member_of_owner,
        (select rolsuper from pg_roles where rolname = current_user) as superuser
      from pg_tables where tablename = 'audit_log'`;
    expect(row).toEqual({ tableowner: roleOfUrl(fresh.url), me: runtimeRole, member_of_owner: false, superuser: false });
    expect(runtimeRole).not.toBe(roleOfUrl(fresh.url));
  });

  it('appends and reads the chain', async () => {
    await appendAudit(runtime.db, { actor: 'test', event: 'test.append', data: {} });
    expect(await verifyAuditChain(runtime.db)).toMatchObject({ ok: true });
  });

  it.each([
    ['UPDATE', "update audit_log set actor = 'mallory'", /permission denied/],
    ['DELETE', 'delete from audit_log', /permission denied/],
    ['TRUNCATE', 'truncate audit_log', /permission denied/],
    ['ALTER TABLE … DISABLE TRIGGER (the append-only trigger stays on)', 'alter table audit_log disable trigger audit_log_append_only', /must be owner/],
    ['session_replication_role = replica (triggers off for the session)', 'set session_replication_role = replica', /permission denied/],
    ['UPDATE of a signed checkpoint', 'update audit_checkpoints set sequence = 1', /permission denied/],
    ['UPDATE of validation evidence', "update validation_evidence set detail = 'x'", /permission denied/],
    ['DELETE of an MPIC round', 'delete from corroborations', /permission denied/],
    ['DROP TABLE', 'drop table audit_log', /must be owner/],
    ['CREATE TABLE', 'create table mine (x int)', /permission denied/],
  ])('%s is refused', async (_what, statement, error) => {
    await expect(asRuntime(statement)).rejects.toThrow(error);
  });
});

describe('what the services do still works as the runtime role', () => {
  it('an order whose workflow could not start is removed with its authorizations and challenges (ON DELETE CASCADE)', async () => {
    const [acct] = await runtime.sql`select id from accounts limit 1`;
    const o = await seedPendingOrder(runtime.db, { accountId: acct!.id as string, names: [`roles.${loadConfig().dns.devZone}`] });
    expect(await deleteOrder(runtime.db, o.orderId, { actor: 'test', reason: 'workflow start failed' })).toBe(true);
    const [left] = await runtime.sql`select (select count(*)::int from authorizations where order_id = ${o.orderId}) as authz,
      (select count(*)::int from challenges where id = ${o.authorizations[0]!.challengeId}) as challenges`;
    expect(left).toEqual({ authz: 0, challenges: 0 });
  });

  it('the migrations ran as the owner: it owns every table', async () => {
    const owners = await runtime.sql`select distinct tableowner from pg_tables where schemaname = 'public'`;
    expect(owners.map((r) => r.tableowner)).toEqual([roleOfUrl(fresh.url)]);
  });
});
