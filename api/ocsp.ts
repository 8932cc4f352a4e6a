/**
 * The OCSP responder (RFC 6960 A.1 over HTTP, profiled by RFC 5019), one endpoint per issuing CA at
 * config.urls[id].ocsp = /ocsp/<id>:
 * - POST /ocsp/<id> with the DER OCSPRequest as body (application/ocsp-request);
 * - GET /ocsp/<id>/<url-encoded base64 of the DER OCSPRequest> (RFC 5019 5: cacheable).
 *
 * It only serves responses pre-signed by the signing worker (activities/ocsp.ts) — from an in-memory cache or the
 * database, never through Temporal and never signing anything itself, so it has no key and cannot be made to sign.
 * - a serial this CA never signed a (pre)certificate for, another CA's CertID, an unsupported hash, a response past
 *   its nextUpdate: `unauthorized` (RFC 5019 2.2.3) — never `good` for a serial that was not issued (BR 4.9.10);
 * - anything that does not parse as one CertID request: `malformedRequest`; nonces are ignored (RFC 5019 2.1.2).
 * HTTP caching (RFC 5019 6.2): Cache-Control max-age up to nextUpdate, Expires = nextUpdate, Last-Modified =
 * thisUpdate, ETag = hash of the response; If-None-Match answers 304.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type postgres from 'postgres';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getIssuer } from '../db/repositories/issuers';
import { getOcspResponse, OCSP_NOTIFY_CHANNEL } from '../db/repositories/ocsp';
import { isCaError } from '../domain/errors';
import { log } from '../observability/log';
import { ocspRequests } from '../observability/metrics';
import { certificateFields } from '../pki/ca-hierarchy';
import { bytesEqual } from '../pki/der';
import { certIdIssuerHashes, ocspErrorResponse, parseOcspRequest, type OcspErrorStatus, type OcspHashAlgorithm } from '../pki/ocsp';

export interface OcspResponderDeps {
  readonly db: Db;
  readonly config: Pick<CaConfig, 'ocsp'>;
  readonly clock: () => Date;
}

export interface OcspAnswer {
  readonly status: 200 | 304;
  /** The OCSPResponseStatus of the body (RFC 6960 4.2.1): what `ca_ocsp_requests_total` counts. */
  readonly responseStatus: 'successful' | OcspErrorStatus;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
}

interface CachedResponse {
  readonly issuerId: string;
  readonly der: Uint8Array;
  readonly nextUpdateMs: number;
  readonly etag: string;
  readonly lastModified: string;
  readonly expires: string;
}

interface CacheEntry {
  readonly response: CachedResponse | null;
  readonly fetchedAtMs: number;
}

/** An OCSPResponse with an error status; not cached by intermediaries (the serial may be answered a moment later). */
function errorAnswer(status: OcspErrorStatus): OcspAnswer {
  return { status: 200, responseStatus: status, body: ocspErrorResponse(status), headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' } };
}

type IssuerHashes = Record<OcspHashAlgorithm, { issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array }>;

const CONTENT_TYPE = 'application/ocsp-response';
const MAX_CACHE_ENTRIES = 200_000;

/** The protocol core, independent of HTTP framing (the Hono routes below; tests and the benchmark call it too). */
export function createOcspResponder({ db, config, clock }: OcspResponderDeps) {
  const ttlMs = config.ocsp.cacheSeconds * 1000;
  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<CacheEntry>>();
  const issuers = new Map<string, IssuerHashes | null>();
  // Invalidation sequence: a load that started before a NOTIFY for its serial is served but not cached.
  let seq = 0;
  let invalidatedAll = 0;
  const invalidated = new Map<string, number>();

  // The signing worker NOTIFYs the serials it re-signed (db/repositories/ocsp.ts): drop them at once, so a
  // revocation is served within moments; the TTL only bounds staleness should a notification be lost. postgres.js
  // re-LISTENs after a reconnection and calls onlisten again: the cache is cleared then, as notifications may have
  // been missed meanwhile.
  const listener = (db as unknown as { $client?: Partial<Pick<postgres.Sql, 'listen'>> }).$client;
  const listening = listener?.listen
    ? listener
        .listen(
          OCSP_NOTIFY_CHANNEL,
          (payload) => {
            seq++;
            if (payload === '*') {
              invalidatedAll = seq;
              cache.clear();
              inflight.clear();
              return;
            }
            if (invalidated.size > 100_000) invalidatedAll = seq; // bound the map: treat as "all" once
            if (invalidatedAll === seq) invalidated.clear();
            for (const serial of payload.split(',')) {
              invalidated.set(serial, seq);
              cache.delete(serial);
              inflight.delete(serial);
            }
          },
          () => {
            invalidatedAll = ++seq;
            invalidated.clear();
            cache.clear();
          },
        )
        .catch((err: unknown) => log.error({ err }, 'OCSP: LISTEN failed; serving with the cache TTL only'))
    : Promise.resolve();

  async function issuerHashes(id: string): Promise<IssuerHashes | null> {
    if (issuers.has(id)) return issuers.get(id)!;
    if (!/^[a-z0-9-]{1,32}$/.test(id)) return null;
    const row = await getIssuer(db, id);
    // Only issuing CAs answer here: the root's status is the external root's responder's business (CP 7.1.2).
    const hashes =
      row?.certDer && row.parentId !== null
        ? (() => {
            const { subjectDer, spkiDer } = certificateFields(row.certDer!);
            return { sha1: certIdIssuerHashes(subjectDer, spkiDer, 'sha1'), sha256: certIdIssuerHashes(subjectDer, spkiDer, 'sha256') };
          })()
        : null;
    // A CA whose certificate is not there yet (production CSR pending) is looked up again next time.
    if (hashes) issuers.set(id, hashes);
    return hashes;
  }

  async function load(serial: string): Promise<CacheEntry> {
    const row = await getOcspResponse(db, serial);
    const response: CachedResponse | null = row
      ? {
          issuerId: row.issuerId,
          der: row.responseDer,
          nextUpdateMs: row.nextUpdate.getTime(),
          etag: `"${createHash('sha256').update(row.responseDer).digest('base64url').slice(0, 27)}"`,
          lastModified: row.thisUpdate.toUTCString(),
          expires: row.nextUpdate.toUTCString(),
        }
      : null;
    return { response, fetchedAtMs: Date.now() };
  }

  async function lookup(serial: string): Promise<CachedResponse | null> {
    const hit = cache.get(serial);
    if (hit && Date.now() - hit.fetchedAtMs < ttlMs) return hit.response;
    let pending = inflight.get(serial);
    const startedAt = seq;
    if (!pending) {
      const p: Promise<CacheEntry> = load(serial).finally(() => {
        if (inflight.get(serial) === p) inflight.delete(serial);
      });
      pending = p;
      inflight.set(serial, pending);
    }
    const entry = await pending;
    const stale = invalidatedAll > startedAt || (invalidated.get(serial) ?? 0) > startedAt;
    if (ttlMs > 0 && !stale) {
      cache.delete(serial);
      cache.set(serial, entry);
      if (cache.size > MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    }
    return entry.response;
  }

  const error = errorAnswer;

  return {
    async answer(issuerId: string, requestDer: Uint8Array, opts: { ifNoneMatch?: string | undefined } = {}): Promise<OcspAnswer> {
      let request;
      try {
        request = parseOcspRequest(requestDer);
      } catch (e) {
        if (isCaError(e)) return error('malformedRequest');
        throw e;
      }
      let issuer: IssuerHashes | null;
      let response: CachedResponse | null = null;
      try {
        issuer = await issuerHashes(issuerId);
        if (!issuer || !request.hashAlgorithm || !request.serialHex) return error('unauthorized');
        const expected = issuer[request.hashAlgorithm];
        if (!bytesEqual(expected.issuerNameHash, request.issuerNameHash) || !bytesEqual(expected.issuerKeyHash, request.issuerKeyHash)) {
          return error('unauthorized');
        }
        response = await lookup(request.serialHex);
      } catch (e) {
        // The database is unreachable: RFC 6960 4.2.1 tryLater, never a guess.
        log.error({ err: e }, 'OCSP: lookup failed');
        return error('tryLater');
      }
      const now = clock().getTime();
      if (!response || response.issuerId !== issuerId || response.nextUpdateMs <= now) return error('unauthorized');
      const headers = {
        'content-type': CONTENT_TYPE,
        // RFC 5019 6.2: cacheable until nextUpdate, and no longer.
        'cache-control': `max-age=${Math.floor((response.nextUpdateMs - now) / 1000)}, public, no-transform, must-revalidate`,
        expires: response.expires,
        'last-modified': response.lastModified,
        etag: response.etag,
      };
      if (opts.ifNoneMatch && opts.ifNoneMatch.split(',').some((t) => t.trim() === response.etag)) {
        return { status: 304, responseStatus: 'successful', body: new Uint8Array(), headers };
      }
      return { status: 200, responseStatus: 'successful', body: response.der, headers };
    },
    /** Drops every cached response (tests; an operator tool could call it after a bulk change). */
    clear(): void {
      cache.clear();
      issuers.clear();
    },
    /** Resolves once the LISTEN is in place (tests that assert on invalidation wait for it). */
    ready(): Promise<unknown> {
      return listening;
    },
  };
}

export type OcspResponder = ReturnType<typeof createOcspResponder>;

/** RFC 5019 5 / RFC 6960 A.1.1: the GET path segment is the url-encoded base64 of the DER request. */
export function decodeGetRequest(encoded: string): Uint8Array | null {
  let b64: string;
  try {
    b64 = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  // Tolerate base64url and a missing padding (some clients); anything else is not base64.
  b64 = b64.replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  if (b64.length % 4 === 1) return null;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * The HTTP binding (RFC 6960 A.1) shared by the Hono routes and the standalone server (api/ocsp-server.ts):
 * POST /ocsp/<id> with the DER request as body, GET /ocsp/<id>/<url-encoded base64>. null: not an OCSP path.
 */
export async function answerOcspHttp(
  responder: OcspResponder,
  req: { method: string; pathname: string; body?: Uint8Array; ifNoneMatch?: string | undefined },
): Promise<OcspAnswer | null> {
  const answer = await answerOcspPath(responder, req);
  if (answer) ocspRequests.inc({ method: req.method, status: answer.status === 304 ? 'not_modified' : answer.responseStatus });
  return answer;
}

async function answerOcspPath(
  responder: OcspResponder,
  req: { method: string; pathname: string; body?: Uint8Array; ifNoneMatch?: string | undefined },
): Promise<OcspAnswer | null> {
  const m = /^\/ocsp\/([a-z0-9-]+)(?:\/(.*))?$/.exec(req.pathname);
  if (!m) return null;
  const [, id, encoded] = m as unknown as [string, string, string | undefined];
  if (req.method === 'POST' && encoded === undefined) return responder.answer(id, req.body ?? new Uint8Array());
  if (req.method === 'GET' && encoded !== undefined) {
    const der = decodeGetRequest(encoded);
    if (!der) return errorAnswer('malformedRequest');
    return responder.answer(id, der, { ifNoneMatch: req.ifNoneMatch });
  }
  return null;
}

function send(c: Context, a: OcspAnswer): Response {
  if (a.status === 304) return c.body(null, 304, a.headers);
  return c.body(a.body as Uint8Array<ArrayBuffer>, 200, a.headers);
}

/** The Hono sub-app mounted by createApp (api/app.ts). */
export function ocspApp(deps: OcspResponderDeps & { responder?: OcspResponder }) {
  const responder = deps.responder ?? createOcspResponder(deps);
  const app = new Hono();
  const handle = async (c: Context, body?: Uint8Array) => {
    const a = await answerOcspHttp(responder, {
      method: c.req.method,
      pathname: new URL(c.req.url).pathname,
      ...(body ? { body } : {}),
      ifNoneMatch: c.req.header('if-none-match'),
    });
    return a ? send(c, a) : c.notFound();
  };
  app.post('/ocsp/:id', async (c) => handle(c, new Uint8Array(await c.req.arrayBuffer())));
  app.get('/ocsp/:id/*', (c) => handle(c));
  return app;
}
