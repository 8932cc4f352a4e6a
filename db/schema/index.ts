/**
 * PostgreSQL schema (drizzle-orm), one file per aggregate. Migrations in db/migrations are generated from this
 * folder with `npm run db:generate` (drizzle-kit) and committed; start and test apply them.
 *
 * Records retention: CP 5.4.3 / 5.5.2 demand >= 7 years for applications and their processing history, so rows
 * are never deleted by the application; audit_log is append-only and hash-chained (BR 5.4, POLICY-2026 "Records").
 */
export { bytea } from './columns';
export * from './accounts';
export * from './orders';
export * from './certificates';
export * from './revocation';
export * from './acme';
export * from './audit';
export * from './operators';
export * from './organizations';
export * from './registry';
export * from './notices';
export * from './operations';
export type { CertificateStatus, OrderStatus } from '../../domain/statuses';
