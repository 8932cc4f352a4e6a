/**
 * `npm run db:migrate`: apply the committed migrations (db/migrations) as the owner role (DATABASE_OWNER_URL, or the
 * dev cluster's owner), create the secret key files if missing and seal EAB HMAC keys stored before they were
 * encrypted at rest. The roles must exist first (docs/DEPLOYMENT.md "Database roles").
 */
import { loadConfig } from '../config';
import { migrateAndSeal } from './lib/services';

const config = loadConfig();
await migrateAndSeal(config, config.database.ownerUrl);
console.log(`migrations applied to ${config.database.ownerUrl.replace(/:[^:@/]+@/, ':***@')}`);
