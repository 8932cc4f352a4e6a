/**
 * PostgreSQL of the stack: one cluster (scripts/lib/postgres.ts) with SCRAM passwords on every TCP login, three
 * databases — `ca`, and `temporal` + `temporal_visibility` for the Temporal cluster — and separate roles:
 *   ca_owner      owns the CA's schema; migrations run as it (and nothing else does)
 *   ca_runtime    a group role with only the privileges the services use; audit_log INSERT and SELECT only
 *   ca_api, ca_acme, ca_ocsp, ca_worker, ca_signing   one login per process, members of ca_runtime, each with a
 *                 password readable by that process's OS user only
 *   ca_operator   the operator's CLI (`npm run admin`), a member of ca_runtime too: operators need no more than the
 *                 services (the superuser stays with the stack's own setup)
 *   temporal      owns the two Temporal databases, cannot connect to `ca` (and the CA's roles cannot connect to them)
 * Each password is a file under data-stack/secrets/<user>/ (docs/DEPLOYMENT.md).
 */
import path from 'node:path';
import postgres from 'postgres';
import type { CaConfig } from '../../../config';
import { ensureDatabase, ensurePostgres } from '../postgres';
import { migrateAndSeal } from '../services';
import { ensureSecret, ownedDir } from './host';
import { caProcesses, OPERATOR, serviceUsers, stackPorts, type StackLayout } from './layout';

export const temporalDatabases = ['temporal', 'temporal_visibility'] as const;
export const TEMPORAL_ROLE = 'temporal';
const OWNER_ROLE = 'ca_owner';
const RUNTIME_ROLE = 'ca_runtime';
export const OPERATOR_ROLE = 'ca_operator';

export interface StackDatabase {
  /** The superuser (operator only: role management, the topology test's checks). */
  readonly superuserUrl: string;
  /** The owner of the CA schema: migrations, the CA key ceremony's records (`npm run ca -- init`). */
  readonly ownerUrl: string;
  /** The Temporal role's password file (read by the schema tool's caller and written into the server config). */
  readonly temporalPassword: string;
  /** The operator CLI's login (a runtime login) and its password file (root only). */
  readonly operator: { readonly url: string; readonly passwordFile: string };
  /** The URL a CA process uses (its login role, no password: that comes from DATABASE_PASSWORD_FILE). */
  urlFor(dbRole: string): string;
  /** The password file of a process user (DATABASE_PASSWORD_FILE). */
  passwordFileOf(user: string): string;
  stop(): Promise<void>;
}

const url = (role: string, db: string, password?: string) =>
  `postgres://${role}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${stackPorts.postgres}/${db}`;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** A login (or group, without password) role with exactly this password; created or updated. */
async function ensureRole(sql: postgres.Sql, role: string, password: string | null, memberOf?: string): Promise<void> {
  const exists = (await sql`select 1 from pg_roles where rolname = ${role}`).length > 0;
  const attrs = password === null ? 'NOLOGIN' : `LOGIN PASSWORD ${quoteLiteral(password)}`;
  await sql.unsafe(`${exists ? 'ALTER' : 'CREATE'} ROLE ${quoteIdent(role)} ${attrs} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`);
  if (memberOf) await sql.unsafe(`GRANT ${quoteIdent(memberOf)} TO ${quoteIdent(role)}`);
}

/**
 * The stack's database roles (the list above). `npm start` has one runtime login without a password
 * (scripts/lib/postgres-roles.ts); the stack has one password login per process, all members of the same group role
 * `ca_runtime` that the migrations grant to (db/migrations/0011_database_roles.sql), so the grants are the same.
 */
export async function createStackRoles(superuserUrl: string, passwords: { owner: string; temporal: string; logins: ReadonlyMap<string, string> }): Promise<void> {
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    await ensureRole(sql, OWNER_ROLE, passwords.owner);
    await ensureRole(sql, RUNTIME_ROLE, null);
    for (const [role, password] of passwords.logins) await ensureRole(sql, role, password, RUNTIME_ROLE);
    await ensureRole(sql, TEMPORAL_ROLE, passwords.temporal);
    await sql.unsafe(`ALTER DATABASE ca OWNER TO ${OWNER_ROLE}`);
    await sql.unsafe(`REVOKE ALL ON DATABASE ca FROM PUBLIC`);
    await sql.unsafe(`GRANT CONNECT ON DATABASE ca TO ${RUNTIME_ROLE}`);
    for (const db of temporalDatabases) {
      await ensureDatabase(superuserUrl, db);
      await sql.unsafe(`ALTER DATABASE ${db} OWNER TO ${TEMPORAL_ROLE}`);
      await sql.unsafe(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function bringUpStackDatabase(config: CaConfig, layout: StackLayout, log: (line: string) => void): Promise<StackDatabase> {
  const operator = layout.secretsOf(OPERATOR);
  const superuserPassword = await ensureSecret(path.join(operator, 'pg-superuser'), 'root');
  const ownerPassword = await ensureSecret(path.join(operator, 'pg-owner'), 'root');
  const temporalDir = await ownedDir(layout.secretsOf(serviceUsers.temporal), serviceUsers.temporal, 0o700);
  const temporalPassword = await ensureSecret(path.join(temporalDir, 'db-password'), serviceUsers.temporal);
  const passwordFileOf = (user: string) => path.join(layout.secretsOf(user), 'db-password');
  const logins = new Map<string, string>();
  const operatorPasswordFile = path.join(operator, 'pg-operator');
  logins.set(OPERATOR_ROLE, await ensureSecret(operatorPasswordFile, 'root'));
  for (const p of caProcesses) {
    if (!p.dbRole) continue;
    await ownedDir(layout.secretsOf(p.user), p.user, 0o700);
    logins.set(p.dbRole, await ensureSecret(passwordFileOf(p.user), p.user));
  }

  const pg = await ensurePostgres(config, { log, superuserPassword, createRoles: false });
  try {
    const superuserUrl = pg.superuserUrl!.replace(/\/ca$/, '/postgres');
    await createStackRoles(superuserUrl, { owner: ownerPassword, temporal: temporalPassword, logins });
    const ownerUrl = url(OWNER_ROLE, 'ca', ownerPassword);
    // The migrations grant the runtime group exactly what the services use (0011_database_roles); the ACME nonce and
    // EAB keys are made once where `config` says (the operator's directory, index.ts setupEnv), and EAB HMAC keys
    // stored in clear are sealed.
    await migrateAndSeal(config, ownerUrl);
    log(`postgres: databases ca, ${temporalDatabases.join(', ')}; roles ${OWNER_ROLE}, ${RUNTIME_ROLE} (${[...logins.keys()].join(', ')}), ${TEMPORAL_ROLE}`);
    return {
      superuserUrl: pg.superuserUrl!,
      ownerUrl,
      temporalPassword,
      operator: { url: url(OPERATOR_ROLE, 'ca'), passwordFile: operatorPasswordFile },
      urlFor: (dbRole) => url(dbRole, 'ca'),
      passwordFileOf,
      stop: () => pg.stop(),
    };
  } catch (e) {
    await pg.stop();
    throw e;
  }
}
