/** What the API needs from the world (createApp(deps), ARCHITECTURE.md convention 11) and the auth middleware. */
import type { MiddlewareHandler } from 'hono';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { findAccountByApiKey } from '../db/repositories/accounts';
import { CaError } from '../domain/errors';
import type { CaWorkflows } from '../temporal/client';
import type { RateLimits } from './rate-limit';

export interface ApiDeps {
  readonly db: Db;
  /** Every workflow start, signal and query of the API (orders, revocations, key-compromise reports). */
  readonly workflows: CaWorkflows;
  readonly config: Pick<CaConfig, 'environment' | 'dns' | 'api' | 'temporal' | 'dcvCheckWindowSeconds' | 'urls' | 'certificateBaseUrl' | 'ocsp' | 'smtp' | 'registrar' | 'vetting'>;
  readonly clock: () => Date;
  /** Rate limits of the public endpoints; default: api/revocation.ts keyCompromiseRateLimits. */
  readonly limits?: { readonly keyCompromise?: RateLimits };
  /** Where 500s are logged (api/server-errors.ts); default: JSON lines on stdout. */
}

export interface AuthenticatedAccount {
  readonly id: string;
  readonly name: string;
  /** 'provider': a designated provider (CP 1.3), which may relay applications for the subscribers it manages. */
  readonly kind: 'subscriber' | 'provider';
}

export type ApiEnv = { Variables: { account: AuthenticatedAccount } };

/** Applicants authenticate with `Authorization: Bearer <API key>`; the key is looked up by its SHA-256 only. */
export function requireAccount(deps: Pick<ApiDeps, 'db'>): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new CaError('unauthorized', 'send Authorization: Bearer <API key>');
    const account = await findAccountByApiKey(deps.db, m[1]!);
    if (!account) throw new CaError('unauthorized', 'unknown or disabled API key');
    c.set('account', { id: account.id, name: account.name, kind: account.kind });
    await next();
  };
}
