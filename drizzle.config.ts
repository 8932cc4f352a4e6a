/** drizzle-kit: `npm run db:generate` writes SQL migrations from db/schema/ into db/migrations (committed). */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema',
  out: './db/migrations',
});
