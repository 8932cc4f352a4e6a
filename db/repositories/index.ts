/** All repositories: functions taking the database (or a transaction) first. */
export * from './accounts';
export * from './audit';
export * from './certificates';
export * from './challenges';
export * from './issuers';
export * from './orders';
export type * from './types';
export * from './blocklist';
export * from './corroborations';
export * from './email-validations';
export * from './reuse';
export * from './operators';
export * from './organizations';
export * from './registry';
export * from './vetted-organizations';
