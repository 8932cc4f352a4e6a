/**
 * The database jobs of the compose deployment (docker-compose.yml), with the functions `npm run stack` uses:
 *   roles --secrets <dir>   as the superuser (DATABASE_URL + DATABASE_PASSWORD_FILE): the owner, runtime, per-process
 *                           and Temporal roles, each password read from <dir> (ca-owner-db-password,
 *                           temporal-db-password, <process>-db-password), and the Temporal databases
 *   migrate                 as the schema owner: the migrations (which grant the runtime group its privileges)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { migrateDatabase } from '../db/migrate';
import { createStackRoles } from './lib/stack/database';
import { caProcesses } from './lib/stack/layout';

const [command, flag, dir] = process.argv.slice(2);
const config = loadConfig();
const secret = (name: string) => readFileSync(path.join(dir!, name), 'utf8').trim();

if (command === 'roles' && flag === '--secrets' && dir) {
  const logins = new Map(caProcesses.filter((p) => p.dbRole).map((p) => [p.dbRole!, secret(`${p.name}-db-password`)]));
  await createStackRoles(config.database.url, { owner: secret('ca-owner-db-password'), temporal: secret('temporal-db-password'), logins });
  console.log(`roles ready: ca_owner, ca_runtime (${[...logins.keys()].join(', ')}), temporal`);
} else if (command === 'migrate') {
  await migrateDatabase(config.database.url);
  console.log('migrations applied (the runtime group has exactly its grants, db/migrations/0011_database_roles.sql)');
} else {
  console.error('usage: tsx scripts/db-setup.ts roles --secrets <dir> | migrate');
  process.exit(2);
}
