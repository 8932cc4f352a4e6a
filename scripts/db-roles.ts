/**
 * `DATABASE_ADMIN_URL=postgres://<superuser>@host/ca npm run db:roles`: creates the CA's owner and runtime roles named
 * by DATABASE_OWNER_URL and DATABASE_URL (and the group role ca_runtime) on an existing cluster, and hands the database
 * to the owner — what `npm start` does for its private cluster (scripts/lib/postgres-roles.ts). Passwords are the
 * DBA's business: set them afterwards (`ALTER ROLE … PASSWORD`), they are never written by this script.
 */
import { loadConfig } from '../config';
import { ensureDatabaseRoles, roleOfUrl } from './lib/postgres-roles';

const adminUrl = process.env.DATABASE_ADMIN_URL;
if (!adminUrl) throw new Error('DATABASE_ADMIN_URL (a superuser connection to the CA database) is required');
const config = loadConfig();
const database = decodeURIComponent(new URL(config.database.url).pathname.slice(1));
const roles = { database, owner: roleOfUrl(config.database.ownerUrl), runtime: roleOfUrl(config.database.url) };
await ensureDatabaseRoles(adminUrl, roles);
console.log(JSON.stringify({ ...roles, runtimeGroup: 'ca_runtime' }));
