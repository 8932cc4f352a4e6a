/**
 * The request plumbing every ACME sub-app shares: what the server needs from the world (`AcmeDeps`), JWS verification
 * of a POST (RFC 8555 §6.2–§6.5, jws.ts) with the account it names, JSON replies with the headers every response
 * carries (a fresh Replay-Nonce §6.5, the directory as Link rel="index" §7.1, Cache-Control: no-store), and the error
 * and not-found handlers that render every failure through problems.ts.
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JWK } from 'jose';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import type { OrderStatusEvents } from '../../db/order-status-events';
import { getAcmeAccount, type AcmeAccount } from '../../db/repositories/acme';
import { getOrderDetail, type OrderDetail } from '../../db/repositories/orders';
import { CaError, failureKinds, isCaError } from '../../domain/errors';
import type { CaWorkflows } from '../../temporal/client';
import { observeRequests } from '../../observability/http';
import { reportServerError } from '../server-errors';
import { verifyAcmeJws, type VerifiedJws } from './jws';
import type { NonceStore } from './nonces';
import { renderAcmeProblem } from './problems';
import { acmeUrls, type AcmeUrls } from './urls';

export interface AcmeDeps {
  readonly db: Db;
  /** Order workflows (start, challenge ready, finalize) and revocation workflows; tests inject a recording fake. */
  readonly workflows: Pick<CaWorkflows, 'startIssuance' | 'signalChallengeReady' | 'signalFinalize' | 'startRevocation'>;
  readonly config: Pick<CaConfig, 'environment' | 'dns' | 'temporal' | 'dcvCheckWindowSeconds' | 'caaIssuerDomain' | 'acme'>;
  readonly clock: () => Date;
  readonly nonces: NonceStore;
  /** The key EAB HMAC keys are sealed with (config acme.eabEncryptionKeyFile; db/repositories/acme-eab.ts). */
  readonly eabEncryptionKey: Uint8Array;
  /** Absolute base URL of the ACME resources as clients see them, e.g. https://127.0.0.1:8443/acme. */
  readonly baseUrl: string;
  /**
   * Committed changes of order statuses (db/order-status-events.ts): finalize waits on them up to
   * config acme.finalizeWaitSeconds. Absent (the protocol tests' fake workflows never move an order on): finalize
   * answers `processing` at once.
   */
  readonly orderStatus?: OrderStatusEvents;
}

export type AcmeEnv = { Variables: Record<string, never> };

/** The largest JWS we read: a finalize with a 2048-bit CSR and 100 names is ~10 KiB; keyChange nests one JWS. */
const maxAcmeBodyBytes = 64 * 1024;

/** How long clients are asked to wait between polls of a pending/processing order or authorization (seconds). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * The Retry-After of an answered challenge still being checked (RFC 8555 §8.2): the DCV check, its corroboration and
 * CAA take well under a second, and clients (lego) pace their authorization polls by it — 5 s when it is absent.
 */
export const CHALLENGE_RETRY_AFTER_SECONDS = 1;

/** What every sub-app is built from: the deps, the URLs, and the request helpers bound to them. */
export interface AcmeKit {
  readonly deps: AcmeDeps;
  readonly urls: AcmeUrls;
  /** Replay-Nonce, Link rel="index" and Cache-Control, set on every response. */
  commonHeaders(c: Context): void;
  /** Reads and verifies the JWS of a POST; the url check uses the configured public origin, never the Host header. */
  verified(c: Context, keyMode: 'kid' | 'jwk' | 'either'): Promise<VerifiedJws<AcmeAccount>>;
  /** A JSON reply with the common headers. */
  reply(c: Context, body: unknown, status?: 200 | 201): Response;
  /** The order, if it is an ACME order of this account; others' orders do not exist for it. Read once per request. */
  ownOrder(account: AcmeAccount, orderId: string): Promise<OrderDetail>;
}

export function acmeKit(deps: AcmeDeps): AcmeKit {
  const urls = acmeUrls(deps.baseUrl);

  const resolveKid = async (kid: string): Promise<{ account: AcmeAccount; jwk: JWK }> => {
    const id = urls.accountIdOf(kid);
    const account = id ? await getAcmeAccount(deps.db, id) : null;
    if (!account) throw new CaError('accountDoesNotExist', 'no account at this kid URL (RFC 8555 §6.2)');
    if (account.status !== 'valid') throw new CaError('unauthorized', `the account is ${account.status} (RFC 8555 §7.3.6)`);
    return { account, jwk: account.jwk as JWK };
  };

  const commonHeaders = (c: Context) => {
    c.header('Replay-Nonce', deps.nonces.issue());
    c.header('Link', `<${urls.directory}>;rel="index"`, { append: true });
    c.header('Cache-Control', 'no-store');
  };

  return {
    deps,
    urls,
    commonHeaders,
    async verified(c, keyMode) {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/jose+json') throw new CaError('unsupportedMediaType', 'ACME requests are sent as application/jose+json (RFC 8555 §6.2)');
      const body = await c.req.text();
      return verifyAcmeJws<AcmeAccount>(body, { expectedUrl: `${urls.origin}${c.req.path}`, keyMode, nonces: deps.nonces, resolveKid });
    },
    reply(c, body, status = 200) {
      commonHeaders(c);
      return c.json(body as object, status);
    },
    async ownOrder(account, orderId) {
      const o = await getOrderDetail(deps.db, orderId);
      if (!o || o.acme?.acmeAccountId !== account.id) throw new CaError('notFound', 'no such order for this account');
      return o;
    },
  };
}

/** The account a `kid` request was signed by (everything but newAccount and a certificate-key revokeCert). */
export function requireAccount(v: VerifiedJws<AcmeAccount>): AcmeAccount {
  if (!v.account) throw new CaError('malformed', 'this resource requires a kid');
  return v.account;
}

/** RFC 8555 §6.3: reads are POST-as-GET, whose payload is the empty string (not `{}`). */
export function requirePostAsGet(v: VerifiedJws<AcmeAccount>, what: string): void {
  if (v.payloadText !== '') throw new CaError('malformed', `${what} with POST-as-GET (an empty payload, RFC 8555 §6.3)`);
}

/** The body limit, and every error and unknown path as an RFC 8555 §6.7 problem document with the common headers. */
export function installProblemHandling(app: Hono<AcmeEnv>, kit: AcmeKit): void {
  const problemResponse = (c: Context, err: unknown) => {
    const p = renderAcmeProblem(err);
    kit.commonHeaders(c);
    // A problem's Link (terms of service, §7.3.3) goes beside the directory's Link rel="index", not over it.
    for (const [k, v] of Object.entries(p.headers)) c.header(k, v, { append: k === 'Link' });
    return c.body(JSON.stringify(p.document), p.status as 400, { 'content-type': 'application/problem+json' });
  };
  // Every request gets its id (X-Request-Id) and log context, and ends with one log event and one observation.
  app.use('*', observeRequests('acme'));
  app.onError((err, c) => {
    if (isCaError(err) && failureKinds[err.kind].acme.status !== 500) return problemResponse(c, err);
    // A genuine bug (or the CA's own state broken): serverInternal without an unexpected error's text, logged and
    // counted under the request id (api/server-errors.ts).
    const requestId = reportServerError('acme', c, err);
    return problemResponse(c, new CaError(isCaError(err) ? err.kind : 'internal', `${isCaError(err) ? err.message : 'internal error'} (request ${requestId})`));
  });
  app.notFound((c) => problemResponse(c, new CaError('notFound', `no ACME resource at ${c.req.method} ${c.req.path}`)));
  app.use(
    '*',
    bodyLimit({
      maxSize: maxAcmeBodyBytes,
      onError: () => {
        throw new CaError('payloadTooLarge', `the request body exceeds ${maxAcmeBodyBytes} bytes`);
      },
    }),
  );
}
