/** Row types and the executor type shared by the repositories. */
import type { Db } from '../client';
import type * as schema from '../schema';

export type { CertificateStatus, OrderStatus } from '../../domain/statuses';

/** A drizzle transaction over our schema. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/**
 * What every repository function takes first: the database, or a transaction it then joins (drizzle runs a nested
 * `transaction()` as a savepoint), so a caller can group several repository calls atomically.
 */
export type DbOrTx = Db | Tx;

export type Account = typeof schema.accounts.$inferSelect;
export type Issuer = typeof schema.issuers.$inferSelect;
export type NewIssuer = typeof schema.issuers.$inferInsert;
export type Order = typeof schema.orders.$inferSelect;
export type Authorization = typeof schema.authorizations.$inferSelect;
export type Challenge = typeof schema.challenges.$inferSelect;
export type ValidationEvidence = typeof schema.validationEvidence.$inferSelect;
export type Certificate = typeof schema.certificates.$inferSelect;
export type AuditEntry = typeof schema.auditLog.$inferSelect;
export type Notice = typeof schema.notices.$inferSelect;
