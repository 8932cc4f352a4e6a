/**
 * `npm run db:migrate`: apply the committed migrations (db/migrations) as the owner role (DATABASE_OWNER_URL, or the
 * dev cluster's owner). The roles must exist first (docs/DEPLOYMENT.md "Database roles").
 */
import { loadConfig } from '../config';
import { migrateDatabase } from '../db/migrate';

const config = loadConfig();
await migrateDatabase(config.database.ownerUrl);
console.log(`migrations applied to ${config.database.ownerUrl.replace(/:[^:@/]+@/, ':***@')}`);
