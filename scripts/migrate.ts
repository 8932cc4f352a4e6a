/**
 * `npm run db:migrate`: apply the committed migrations (db/migrations) to DATABASE_URL (or the dev cluster's URL),
 * create the secret key files if missing and seal EAB HMAC keys stored before they were encrypted at rest.
 */
import { loadConfig } from '../config';
import { migrateAndSeal } from './lib/services';

const config = loadConfig();
await migrateAndSeal(config, config.database.url);
console.log(`migrations applied to ${config.database.url.replace(/:[^:@/]+@/, ':***@')}`);
