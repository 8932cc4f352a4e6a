/** `npm run db:migrate`: apply the committed migrations (db/migrations) to DATABASE_URL (or the dev cluster's URL). */
import { loadConfig } from '../config';
import { migrateDatabase } from '../db/migrate';

const config = loadConfig();
await migrateDatabase(config.database.url);
console.log(`migrations applied to ${config.database.url.replace(/:[^:@/]+@/, ':***@')}`);
