/**
 * The ACME server (RFC 8555; RFC 9773 renewal information; RFC 8657 CAA account binding through the account URL),
 * the CA's second front door (CP 1.3 "Two front doors"). Served over HTTPS by api/acme/server.ts under `<base>`:
 *
 *   GET  /directory                          resources and meta (terms, website, caaIdentities, EAB, profiles)
 *   HEAD|GET /new-nonce                      a fresh Replay-Nonce (§7.2)
 *   POST /new-account                        create or find (onlyReturnExisting) an account; EAB (§7.3, §7.3.4)
 *   POST /acct/:id                           read, update contact, deactivate (§7.3.2, §7.3.6)
 *   POST /acct/:id/orders                    the account's orders (§7.1.2.1)
 *   POST /key-change                         roll the account key (§7.3.5)
 *   POST /new-order                          identifiers (+ replaces, RFC 9773 §5; profile) → order (§7.4)
 *   POST /order/:id                          read (POST-as-GET); Retry-After while processing
 *   POST /order/:id/finalize                 the CSR → the same issueCertificate workflow continues (§7.4)
 *   POST /authz/:id                          read an authorization (§7.5)
 *   POST /chall/:id                          answer a challenge ({}) or read it (§7.5.1)
 *   POST /cert/:serial                       PEM chain (§7.4.2); acceptance is by download (CP 4.4.1)
 *   POST /revoke-cert                        by the account key or the certificate key (§7.6; CP 3.4 (2)(3))
 *   GET  /renewal-info/:certID               suggested renewal window (RFC 9773 §4)
 *
 * Every POST is a JWS checked by jws.ts before anything is read or written; every error is an RFC 8555 §6.7
 * problem document; every response carries a fresh Replay-Nonce and the directory as Link rel="index".
 * ACME orders get no e-mail notice (CP 4.3.2): the workflow input marks them `viaAcme`.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JWK } from 'jose';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import {
  acmeOrderIdOfAuthorization,
  acmeOrderIdOfChallenge,
  activeReplacementOrder,
  changeAcmeAccountKey,
  clearChallengeResponse,
  corroboratedAuthorizationIds,
  createAcmeAccount,
  createAcmeOrder,
  finalizeAcmeOrder,
  getAcmeAccount,
  getAcmeOrder,
  findAcmeAccountByThumbprint,
  listAcmeOrderIds,
  respondToChallenge,
  unfinalizeAcmeOrder,
  updateAcmeAccount,
  usableEabKey,
  type AcmeAccount,
  type AcmeOrderDetail,
} from '../../db/repositories/acme';
import { findBlockedKey } from '../../db/repositories/blocklist';
import { getCertificateBySerial } from '../../db/repositories/certificates';
import { getIssuer } from '../../db/repositories/issuers';
import { deleteOrder } from '../../db/repositories/orders';
import { getRevocationFacts, recordRevocationRequest } from '../../db/repositories/revocation';
import { ARI_RETRY_AFTER_SECONDS, suggestedRenewalWindow } from '../../domain/ari';
import { challengeExpiry, checkDcvMethod, dnsChangeRecordName, type DcvMethodId } from '../../domain/dcv';
import { CaError } from '../../domain/errors';
import { maxValidity, policyAt } from '../../domain/policy';
import { authorizeRevocation, type Requester } from '../../domain/revocation';
import { parseCertificate } from '../../pki/certificate';
import { toPem } from '../../pki/pem';
import { revocationWorkflowId } from '../../workflows/revocation-contracts';
import { acceptApplication, acceptNames, newRandomValue } from '../accept';
import type { RevocationGateway } from '../revocation-gateway';
import { issuanceInputFor, type WorkflowGateway } from '../workflow-gateway';
import { certIdOf, parseCertId } from './ari';
import { checkAccountJwk, jsonPayload, jwkThumbprint, parseFlattenedJws, verifyAcmeJws, verifyExternalAccountBinding, allowedAlgorithms, type VerifiedJws } from './jws';
import type { NonceStore } from './nonces';
import { AcmeProblem, toAcmeProblem } from './problems';
import { flattenedVerify, importJWK, decodeProtectedHeader, base64url } from 'jose';

/** The Temporal side the ACME server needs beyond the API's gateway (kept narrow: tests inject a recording fake). */
export interface AcmeWorkflowPort {
  /** The CSR is stored: the order's workflow may continue (workflows/contracts.ts finalizeSignal). */
  signalFinalize(orderId: string): Promise<void>;
}

export interface AcmeDeps {
  readonly db: Db;
  readonly workflows: WorkflowGateway;
  readonly acmeWorkflows: AcmeWorkflowPort;
  /** Issue #5's revocation workflow starter; without it revokeCert answers serverInternal. */
  readonly revocation: RevocationGateway | null;
  readonly config: Pick<CaConfig, 'environment' | 'dns' | 'temporal' | 'dcvCheckWindowSeconds' | 'caaIssuerDomain' | 'acme'>;
  readonly clock: () => Date;
  readonly nonces: NonceStore;
  /** Absolute base URL of the ACME resources as clients see them, e.g. https://127.0.0.1:8443/acme. */
  readonly baseUrl: string;
}

/** The largest JWS we read: a finalize with a 2048-bit CSR and 100 names is ~10 KiB; keyChange nests one JWS. */
export const maxAcmeBodyBytes = 64 * 1024;

/** How long clients are asked to wait between polls of a pending/processing order or authorization (seconds). */
const RETRY_AFTER_SECONDS = 2;

const offeredMethods: ReadonlyArray<{ method: DcvMethodId; type: 'dns-01' | 'http-01' }> = [
  // The order matters: createOrder stores the first as the authorization's primary challenge.
  { method: '3.2.2.4.7', type: 'dns-01' },
  { method: '3.2.2.4.19', type: 'http-01' },
];
const challengeTypeOf = (method: string): string => offeredMethods.find((m) => m.method === method)?.type ?? method;

type AcmeEnv = { Variables: Record<string, never> };

export function acmeApp(deps: AcmeDeps) {
  const base = deps.baseUrl.replace(/\/$/, '');
  const basePath = new URL(base).pathname.replace(/\/$/, '');
  const origin = new URL(base).origin;
  const url = {
    directory: `${base}/directory`,
    newNonce: `${base}/new-nonce`,
    newAccount: `${base}/new-account`,
    newOrder: `${base}/new-order`,
    revokeCert: `${base}/revoke-cert`,
    keyChange: `${base}/key-change`,
    renewalInfo: `${base}/renewal-info`,
    account: (id: string) => `${base}/acct/${id}`,
    accountOrders: (id: string) => `${base}/acct/${id}/orders`,
    order: (id: string) => `${base}/order/${id}`,
    finalize: (id: string) => `${base}/order/${id}/finalize`,
    authz: (id: string) => `${base}/authz/${id}`,
    challenge: (id: string) => `${base}/chall/${id}`,
    certificate: (serial: string) => `${base}/cert/${serial}`,
  };
  const accountUrlRe = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/acct/([0-9a-f-]{36})$`);

  const app = new Hono<AcmeEnv>();

  const commonHeaders = (c: Context) => {
    c.header('Replay-Nonce', deps.nonces.issue());
    c.header('Link', `<${url.directory}>;rel="index"`, { append: true });
    c.header('Cache-Control', 'no-store');
  };

  app.onError((err, c) => {
    const p = toAcmeProblem(err);
    if (p.type === 'serverInternal' && !(err instanceof AcmeProblem) && !(err instanceof CaError)) console.error('unhandled ACME error', err);
    commonHeaders(c);
    for (const [k, v] of Object.entries(p.extra.headers ?? {})) c.header(k, v);
    return c.body(JSON.stringify(p.toDocument()), p.status as 400, { 'content-type': 'application/problem+json' });
  });
  app.notFound((c) => {
    commonHeaders(c);
    const p = new AcmeProblem('malformed', `no ACME resource at ${c.req.method} ${c.req.path}`, { status: 404 });
    return c.body(JSON.stringify(p.toDocument()), 404, { 'content-type': 'application/problem+json' });
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: maxAcmeBodyBytes,
      onError: () => {
        throw new AcmeProblem('malformed', `the request body exceeds ${maxAcmeBodyBytes} bytes`, { status: 413 });
      },
    }),
  );

  // --- helpers ---

  const resolveKid = async (kid: string): Promise<{ account: AcmeAccount; jwk: JWK }> => {
    const m = accountUrlRe.exec(kid);
    const account = m ? await getAcmeAccount(deps.db, m[1]!) : null;
    if (!account) throw new AcmeProblem('accountDoesNotExist', 'no account at this kid URL (RFC 8555 §6.2)');
    if (account.status !== 'valid') throw new AcmeProblem('unauthorized', `the account is ${account.status} (RFC 8555 §7.3.6)`);
    return { account, jwk: account.jwk as JWK };
  };

  /** Reads and verifies the JWS of a POST; the url check uses the configured public origin, never the Host header. */
  async function verified(c: Context, keyMode: 'kid' | 'jwk' | 'either'): Promise<VerifiedJws<AcmeAccount>> {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/jose+json') {
      throw new AcmeProblem('malformed', 'ACME requests are sent as application/jose+json (RFC 8555 §6.2)', { status: 415 });
    }
    const body = await c.req.text();
    return verifyAcmeJws<AcmeAccount>(body, { expectedUrl: `${origin}${c.req.path}`, keyMode, nonces: deps.nonces, resolveKid });
  }

  const requireAccount = (v: VerifiedJws<AcmeAccount>): AcmeAccount => {
    if (!v.account) throw new AcmeProblem('malformed', 'this resource requires a kid');
    return v.account;
  };

  const json = (c: Context, body: unknown, status: 200 | 201 = 200) => {
    commonHeaders(c);
    return c.json(body as object, status);
  };

  // --- presentation (RFC 8555 §7.1) ---

  const presentAccount = (a: AcmeAccount) => ({
    status: a.status,
    contact: a.contact,
    termsOfServiceAgreed: a.termsAgreedAt !== null,
    orders: url.accountOrders(a.id),
    createdAt: a.createdAt.toISOString(),
  });

  const orderStatus = (s: string): string => (s === 'expired' ? 'invalid' : s);

  /** The order's stored error (workflow failures) as an ACME problem (RFC 8555 §7.1.3 `error`). */
  const problemOfError = (e: { type: string; detail: string } | null | undefined) => {
    const t = e?.type ?? 'internal';
    const acmeType = /caa/i.test(t) ? 'caa' : t === 'validationFailed' ? 'unauthorized' : t === 'orderExpired' ? 'malformed' : 'serverInternal';
    return { type: `urn:ietf:params:acme:error:${acmeType}`, detail: e?.detail ?? 'the order failed', status: acmeType === 'serverInternal' ? 500 : 403 };
  };

  async function presentOrder(o: AcmeOrderDetail) {
    const certificate =
      o.status === 'valid' && o.certificate && (o.certificate.status === 'issued' || o.certificate.status === 'revoked')
        ? url.certificate(o.certificate.serial)
        : undefined;
    return {
      status: orderStatus(o.status),
      expires: o.expiresAt.toISOString(),
      identifiers: o.dnsNames.map((n) => ({ type: 'dns', value: n })),
      authorizations: o.authorizations.map((a) => url.authz(a.id)),
      finalize: url.finalize(o.id),
      profile: o.profile,
      ...(o.acme.replaces ? { replaces: o.acme.replaces } : {}),
      ...(certificate ? { certificate } : {}),
      ...(o.status === 'invalid' || o.status === 'expired' ? { error: problemOfError(o.error) } : {}),
    };
  }

  type AuthzDetail = AcmeOrderDetail['authorizations'][number];
  type ChallengeRow = AuthzDetail['challenges'][number];

  /**
   * What the client sees of an authorization (RFC 8555 §7.1.6). The primary perspective's check marks it valid in
   * the database, but the client would withdraw its record the moment it sees `valid`, while the remote
   * perspectives (BR 3.2.2.9) may still need it; and a client finalizes as soon as every authorization is valid, so
   * the order must be `ready` by then. Hence: shown valid once corroborated (or valid by reuse, BR 4.2.1), except the
   * last one of the order, which is shown valid only when the workflow has made the order ready.
   */
  const authzView = (o: AcmeOrderDetail, a: AuthzDetail, corroborated: ReadonlySet<string>): string => {
    if (a.status !== 'valid') return a.status;
    if (['ready', 'processing', 'valid'].includes(o.status)) return 'valid';
    if (o.status === 'invalid' || o.status === 'expired') return 'invalid';
    const settled = (x: AuthzDetail) => x.status === 'valid' && (corroborated.has(x.id) || !x.challenges.some((ch) => ch.status === 'valid'));
    return settled(a) && o.authorizations.some((b) => b.id !== a.id && !settled(b)) ? 'valid' : 'pending';
  };

  const challengeStatus = (ch: ChallengeRow, authzShown: string): string => {
    if (ch.status === 'expired') return 'invalid';
    if (ch.status === 'valid' && authzShown !== 'valid') return authzShown === 'invalid' ? 'invalid' : 'processing';
    return ch.status === 'pending' && ch.keyAuthorization !== null ? 'processing' : ch.status;
  };

  const presentChallenge = (ch: ChallengeRow, authzShown: string, orderError?: AcmeOrderDetail['error']) => {
    const status = challengeStatus(ch, authzShown);
    const err = ch.error ?? (status === 'invalid' && ch.status === 'valid' && orderError ? { type: orderError.type, detail: orderError.detail } : null);
    return {
      type: challengeTypeOf(ch.method),
      url: url.challenge(ch.id),
      status,
      token: ch.token,
      ...(ch.validatedAt && status === 'valid' ? { validated: ch.validatedAt.toISOString() } : {}),
      ...(err
        ? {
            error: {
              type: `urn:ietf:params:acme:error:${/caa/i.test(err.type) ? 'caa' : /corroborat|perspective/i.test(err.detail) ? 'unauthorized' : /lookup|SERVFAIL|NXDOMAIN|timed out|DNS/i.test(err.detail) ? 'dns' : /connect|ECONNREFUSED|ETIMEDOUT|socket/i.test(err.detail) ? 'connection' : 'incorrectResponse'}`,
              detail: err.detail,
              status: 403,
            },
          }
        : {}),
    };
  };

  const presentAuthz = (o: AcmeOrderDetail, a: AuthzDetail, corroborated: ReadonlySet<string>) => {
    const shown = authzView(o, a, corroborated);
    return {
      identifier: { type: 'dns', value: a.fqdn.replace(/^\*\./, '') },
      status: shown,
      expires: (a.challenges[0]?.expiresAt ?? o.expiresAt).toISOString(),
      challenges: a.challenges.map((ch) => presentChallenge(ch, shown, o.error)),
      ...(a.wildcard ? { wildcard: true } : {}),
    };
  };

  /** The order, if it is an ACME order of this account; others' orders do not exist for it. */
  async function ownOrder(account: AcmeAccount, orderId: string): Promise<AcmeOrderDetail> {
    const o = await getAcmeOrder(deps.db, orderId);
    if (!o || o.acme.acmeAccountId !== account.id) throw new AcmeProblem('malformed', 'no such order for this account', { status: 404 });
    return o;
  }

  // --- directory and nonces (§7.1.1, §7.2) ---

  app.get(`${basePath}/directory`, (c) => {
    commonHeaders(c);
    return c.json({
      newNonce: url.newNonce,
      newAccount: url.newAccount,
      newOrder: url.newOrder,
      revokeCert: url.revokeCert,
      keyChange: url.keyChange,
      renewalInfo: url.renewalInfo,
      meta: {
        termsOfService: deps.config.acme.termsOfService,
        website: deps.config.acme.website,
        caaIdentities: [deps.config.caaIssuerDomain],
        externalAccountRequired: deps.config.acme.eabRequired,
        profiles: { dv: 'Domain-validated TLS server certificate (JPRS DV G4 profile, CP 7.1.1); RSA 2048 keys only (CP 6.1.5)' },
      },
    });
  });
  app.on(['HEAD', 'GET'], `${basePath}/new-nonce`, (c) => {
    commonHeaders(c);
    return c.body(null, c.req.method === 'HEAD' ? 200 : 204);
  });

  // --- accounts (§7.3) ---

  app.post(`${basePath}/new-account`, async (c) => {
    const v = await verified(c, 'jwk');
    const p = jsonPayload(v.payloadText);
    const thumbprint = await jwkThumbprint(v.jwk);
    const existing = await findAcmeAccountByThumbprint(deps.db, thumbprint);
    if (existing) {
      if (existing.status !== 'valid') throw new AcmeProblem('unauthorized', `the account of this key is ${existing.status} (RFC 8555 §7.3.6)`);
      c.header('Location', url.account(existing.id));
      return json(c, presentAccount(existing), 200);
    }
    if (p.onlyReturnExisting === true) throw new AcmeProblem('accountDoesNotExist', 'no account exists with this key (RFC 8555 §7.3.1)');
    const contact = checkContact(p.contact);
    if (deps.config.acme.termsOfService && p.termsOfServiceAgreed !== true) {
      throw new AcmeProblem('userActionRequired', `agree to the terms of service (${deps.config.acme.termsOfService}) with termsOfServiceAgreed: true`, {
        instance: deps.config.acme.termsOfService,
      });
    }
    let eabKeyId: string | null = null;
    if (p.externalAccountBinding !== undefined) {
      eabKeyId = (
        await verifyExternalAccountBinding(p.externalAccountBinding, {
          outerJwk: v.jwk,
          newAccountUrl: url.newAccount,
          lookupKey: async (keyId) => (await usableEabKey(deps.db, keyId))?.hmacKey ?? null,
        })
      ).keyId;
    } else if (deps.config.acme.eabRequired) {
      throw new AcmeProblem('externalAccountRequired', 'this server requires external account binding (RFC 8555 §7.3.4); ask the CA for a key id and HMAC key');
    }
    const { account, created } = await createAcmeAccount(deps.db, {
      jwk: publicJwk(v.jwk),
      thumbprint,
      contact,
      termsAgreedAt: deps.clock(),
      eabKeyId,
      now: deps.clock(),
    });
    c.header('Location', url.account(account.id));
    return json(c, presentAccount(account), created ? 201 : 200);
  });

  app.post(`${basePath}/acct/:id`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    if (account.id !== c.req.param('id')) throw new AcmeProblem('unauthorized', 'the kid is not this account (RFC 8555 §7.3.2)');
    if (v.payloadText === '') {
      c.header('Location', url.account(account.id));
      return json(c, presentAccount(account));
    }
    const p = jsonPayload(v.payloadText);
    if (p.status !== undefined && p.status !== 'deactivated') throw new AcmeProblem('malformed', 'the only status a client may set is "deactivated" (RFC 8555 §7.3.6)');
    const contact = p.contact !== undefined ? checkContact(p.contact) : undefined;
    const updated =
      contact !== undefined || p.status === 'deactivated'
        ? await updateAcmeAccount(deps.db, account.id, { ...(contact !== undefined ? { contact } : {}), ...(p.status === 'deactivated' ? { status: 'deactivated' as const } : {}) })
        : account;
    c.header('Location', url.account(account.id));
    return json(c, presentAccount(updated));
  });

  app.post(`${basePath}/acct/:id/orders`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    if (account.id !== c.req.param('id')) throw new AcmeProblem('unauthorized', 'the kid is not this account');
    const ids = await listAcmeOrderIds(deps.db, account.id);
    return json(c, { orders: ids.map(url.order) });
  });

  app.post(`${basePath}/key-change`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    // §7.3.5: the payload is itself a JWS, signed by the NEW key, carrying the account URL and the OLD key.
    const inner = parseFlattenedJws(v.payloadText);
    let h: ReturnType<typeof decodeProtectedHeader>;
    try {
      h = decodeProtectedHeader(inner);
    } catch {
      throw new AcmeProblem('malformed', 'keyChange: the inner JWS header is not JSON');
    }
    if (typeof h.alg !== 'string' || !(allowedAlgorithms as readonly string[]).includes(h.alg)) {
      throw new AcmeProblem('badSignatureAlgorithm', `keyChange: algorithm ${String(h.alg)} is not accepted`, { algorithms: [...allowedAlgorithms] });
    }
    if (h.url !== url.keyChange) throw new AcmeProblem('malformed', 'keyChange: the inner url must be the keyChange URL (RFC 8555 §7.3.5)');
    if (h.nonce !== undefined) throw new AcmeProblem('malformed', 'keyChange: the inner JWS must not carry a nonce (RFC 8555 §7.3.5)');
    if (h.kid !== undefined || h.jwk === undefined) throw new AcmeProblem('malformed', 'keyChange: the inner JWS must carry the new key as jwk (RFC 8555 §7.3.5)');
    const newJwk = await checkAccountJwk(h.jwk, h.alg);
    try {
      await flattenedVerify(inner, await importJWK(newJwk, h.alg), { algorithms: [h.alg] });
    } catch {
      throw new AcmeProblem('malformed', 'keyChange: the inner JWS signature does not verify with the new key');
    }
    let p: Record<string, unknown>;
    try {
      p = jsonPayload(new TextDecoder().decode(base64url.decode(inner.payload)));
    } catch {
      throw new AcmeProblem('malformed', 'keyChange: the inner payload is not a JSON object');
    }
    if (p.account !== url.account(account.id)) throw new AcmeProblem('unauthorized', 'keyChange: the inner account is not the signer of the outer JWS');
    const oldThumb = await jwkThumbprint(p.oldKey as JWK).catch(() => null);
    if (oldThumb !== account.jwkThumbprint) throw new AcmeProblem('unauthorized', 'keyChange: oldKey is not the current account key');
    const newThumb = await jwkThumbprint(newJwk);
    try {
      const updated = await changeAcmeAccountKey(deps.db, account.id, { oldThumbprint: oldThumb, jwk: publicJwk(newJwk), thumbprint: newThumb });
      c.header('Location', url.account(account.id));
      return json(c, presentAccount(updated));
    } catch (e) {
      if (e instanceof CaError && e.kind === 'conflict' && typeof e.details.existingAccountId === 'string') {
        throw new AcmeProblem('malformed', 'keyChange: the new key is already in use by another account', {
          status: 409,
          headers: { Location: url.account(e.details.existingAccountId) },
        });
      }
      throw e;
    }
  });

  // --- orders (§7.4) ---

  app.post(`${basePath}/new-order`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const p = jsonPayload(v.payloadText);
    if (!Array.isArray(p.identifiers) || p.identifiers.length === 0) throw new AcmeProblem('malformed', 'identifiers must be a non-empty array');
    const values: string[] = [];
    const subproblems: Array<{ type: string; detail: string; identifier: { type: 'dns'; value: string } }> = [];
    for (const id of p.identifiers as unknown[]) {
      const ident = id as { type?: unknown; value?: unknown };
      if (typeof ident !== 'object' || ident === null || typeof ident.value !== 'string') throw new AcmeProblem('malformed', 'an identifier is {type, value}');
      if (ident.type !== 'dns') {
        subproblems.push({ type: 'urn:ietf:params:acme:error:unsupportedIdentifier', detail: `identifier type ${String(ident.type)} is not issued (CP 7.1.1: dNSName only)`, identifier: { type: 'dns', value: ident.value } });
        continue;
      }
      values.push(ident.value);
    }
    if (subproblems.length > 0) throw new AcmeProblem('unsupportedIdentifier', 'only dns identifiers are issued (CP 7.1.1)', { subproblems });
    if (p.notBefore !== undefined || p.notAfter !== undefined) {
      throw new AcmeProblem('malformed', 'notBefore/notAfter are not supported: the validity comes from policy at issuance (BR 6.3.2)');
    }
    if (p.profile !== undefined && p.profile !== 'dv') throw new AcmeProblem('invalidProfile', `profile ${String(p.profile)} is not offered; see the directory's meta.profiles`);
    const now = deps.clock();
    let names: Array<{ fqdn: string; wildcard: boolean }>;
    try {
      names = acceptNames(values, { now, config: deps.config });
    } catch (e) {
      if (e instanceof CaError && e.kind === 'rejectedIdentifier') {
        const errors = (e.details.errors as Array<{ name: string; reason: string; rule: string }> | undefined) ?? [];
        throw new AcmeProblem('rejectedIdentifier', e.message, {
          subproblems: errors.map((x) => ({ type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: `${x.reason} (${x.rule})`, identifier: { type: 'dns', value: x.name } })),
        });
      }
      throw e;
    }
    const replaces = p.replaces !== undefined ? await checkReplaces(account, p.replaces, names.map((n) => n.fqdn)) : null;

    const policy = policyAt(now);
    const expiresAt = challengeExpiry(now, policy);
    const order = await createAcmeOrder(deps.db, {
      accountId: account.accountId,
      acmeAccountId: account.id,
      profile: 'dv',
      // No CSR before finalize (RFC 8555 §7.4): an empty placeholder until finalizeAcmeOrder writes the accepted one.
      csrDer: new Uint8Array(0),
      spkiSha256: new Uint8Array(0),
      dnsNames: names.map((n) => n.fqdn),
      validitySeconds: maxValidity(policy, now),
      expiresAt,
      replaces,
      authorizations: names.map((n) => ({
        fqdn: n.fqdn,
        wildcard: n.wildcard,
        // BR 3.2.2.4.19 (http-01) never validates a wildcard name; the policy says which methods are allowed now.
        challenges: offeredMethods
          .filter((m) => checkDcvMethod(policy, m.method, n).ok)
          .map((m) => ({ method: m.method, recordName: m.method === '3.2.2.4.7' ? dnsChangeRecordName(n.fqdn) : null, token: newRandomValue(), expiresAt })),
      })),
    });
    try {
      await deps.workflows.startIssuance(
        issuanceInputFor(order, {
          signingTaskQueue: deps.config.temporal.signingTaskQueue,
          dcvCheckWindowSeconds: deps.config.dcvCheckWindowSeconds,
          // RFC 8657 §3: CAA accounturi names the ACME account URL; §4: validationmethods uses the ACME labels.
          accountUri: url.account(account.id),
          viaAcme: true,
        }),
      );
    } catch (err) {
      await deleteOrder(deps.db, order.id, { actor: `acme:${account.id}`, reason: String(err) });
      throw new AcmeProblem('serverInternal', 'the workflow service is unavailable; the order was not stored, retry later', { status: 503, headers: { 'Retry-After': '10' } });
    }
    const detail = (await getAcmeOrder(deps.db, order.id))!;
    c.header('Location', url.order(order.id));
    return json(c, await presentOrder(detail), 201);
  });

  app.post(`${basePath}/order/:id`, async (c) => {
    const v = await verified(c, 'kid');
    if (v.payloadText !== '') throw new AcmeProblem('malformed', 'read an order with POST-as-GET (an empty payload, RFC 8555 §6.3)');
    const o = await ownOrder(requireAccount(v), c.req.param('id'));
    if (o.status === 'processing' || o.status === 'pending' || o.status === 'ready') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return json(c, await presentOrder(o));
  });

  app.post(`${basePath}/order/:id/finalize`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const o = await ownOrder(account, c.req.param('id'));
    const p = jsonPayload(v.payloadText);
    if (o.status !== 'ready') {
      throw new AcmeProblem('orderNotReady', `the order is ${orderStatus(o.status)}, not ready (RFC 8555 §7.4)`);
    }
    if (typeof p.csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.csr)) throw new AcmeProblem('malformed', 'csr must be the base64url DER of a PKCS#10 request');
    const now = deps.clock();
    // Step 1 of the issuance cycle, exactly as for the API (api/accept.ts): PoP, key rules, names, validity.
    const accepted = await acceptApplication(
      { csr: new Uint8Array(Buffer.from(p.csr, 'base64url')), profile: 'dv' },
      { now, config: deps.config, findBlockedKey: (k) => findBlockedKey(deps.db, k) },
    ).catch((e: unknown) => {
      if (e instanceof CaError && (e.kind === 'malformed' || e.kind === 'badCsr' || e.kind === 'rejectedIdentifier')) throw new AcmeProblem('badCSR', e.message, { ...(e.details.rule ? { rule: e.details.rule } : {}) });
      throw e;
    });
    const wanted = [...o.dnsNames].map((n) => n.toLowerCase()).sort();
    const got = [...accepted.dnsNames].map((n) => n.toLowerCase()).sort();
    if (wanted.length !== got.length || wanted.some((n, i) => n !== got[i])) {
      throw new AcmeProblem('badCSR', `the CSR names (${got.join(', ')}) are not the order's identifiers (${wanted.join(', ')}) (RFC 8555 §7.4)`);
    }
    await finalizeAcmeOrder(deps.db, {
      orderId: o.id,
      acmeAccountId: account.id,
      csrDer: accepted.csrDer,
      spkiSha256: accepted.spkiSha256,
      validitySeconds: Math.min(accepted.validitySeconds, o.validitySeconds),
      now,
    });
    try {
      await deps.acmeWorkflows.signalFinalize(o.id);
    } catch (err) {
      await unfinalizeAcmeOrder(deps.db, { orderId: o.id, reason: String(err) });
      throw new AcmeProblem('serverInternal', 'the workflow service is unavailable; finalize again later', { status: 503, headers: { 'Retry-After': '10' } });
    }
    const after = (await getAcmeOrder(deps.db, o.id))!;
    c.header('Location', url.order(o.id));
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return json(c, await presentOrder(after));
  });

  // --- authorizations and challenges (§7.5) ---

  app.post(`${basePath}/authz/:id`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const orderId = await acmeOrderIdOfAuthorization(deps.db, c.req.param('id'));
    if (!orderId) throw new AcmeProblem('malformed', 'no such authorization', { status: 404 });
    const o = await ownOrder(account, orderId);
    const a = o.authorizations.find((x) => x.id === c.req.param('id'))!;
    if (v.payloadText !== '') {
      const p = jsonPayload(v.payloadText);
      if (p.status === 'deactivated') throw new AcmeProblem('malformed', 'deactivating authorizations is not supported: they end with their order');
    }
    const view = presentAuthz(o, a, await corroboratedAuthorizationIds(deps.db, o.id));
    if (view.status === 'pending') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return json(c, view);
  });

  app.post(`${basePath}/chall/:id`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const ref = await acmeOrderIdOfChallenge(deps.db, c.req.param('id'));
    if (!ref) throw new AcmeProblem('malformed', 'no such challenge', { status: 404 });
    const o = await ownOrder(account, ref.orderId);
    const authzOf = (od: AcmeOrderDetail) => od.authorizations.find((x) => x.id === ref.authorizationId)!;
    const find = (od: AcmeOrderDetail) => authzOf(od).challenges.find((x) => x.id === c.req.param('id'))!;
    const view = async (od: AcmeOrderDetail) =>
      presentChallenge(find(od), authzView(od, authzOf(od), await corroboratedAuthorizationIds(deps.db, od.id)), od.error);
    c.header('Link', `<${url.authz(ref.authorizationId)}>;rel="up"`, { append: true });
    if (v.payloadText === '') return json(c, await view(o));
    jsonPayload(v.payloadText); // §7.5.1: the response is an empty JSON object (its members are ignored).
    const ch = find(o);
    // §8.1: key authorization = token || '.' || base64url(JWK thumbprint of the account key) — fixed now.
    const keyAuthorization = `${ch.token}.${account.jwkThumbprint}`;
    const changed = await respondToChallenge(deps.db, { challengeId: ch.id, keyAuthorization, acmeAccountId: account.id, now: deps.clock() });
    if (changed) {
      try {
        await deps.workflows.signalChallengeReady(o.id, ch.id);
      } catch {
        await clearChallengeResponse(deps.db, ch.id);
        throw new AcmeProblem('serverInternal', 'the workflow service is unavailable; answer the challenge again later', { status: 503, headers: { 'Retry-After': '10' } });
      }
    }
    return json(c, await view((await getAcmeOrder(deps.db, o.id))!));
  });

  // --- certificates (§7.4.2), revocation (§7.6), renewal information (RFC 9773) ---

  app.post(`${basePath}/cert/:serial`, async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    if (v.payloadText !== '') throw new AcmeProblem('malformed', 'download the certificate with POST-as-GET (RFC 8555 §7.4.2)');
    const cert = await getCertificateBySerial(deps.db, c.req.param('serial'));
    const o = cert ? await getAcmeOrder(deps.db, cert.orderId) : null;
    if (!cert || !cert.certDer || !o || o.acme.acmeAccountId !== account.id) throw new AcmeProblem('malformed', 'no such certificate for this account', { status: 404 });
    const issuer = await getIssuer(deps.db, cert.issuerId);
    commonHeaders(c);
    return c.body(toPem('CERTIFICATE', cert.certDer) + (issuer?.certDer ? toPem('CERTIFICATE', issuer.certDer) : ''), 200, {
      'content-type': 'application/pem-certificate-chain',
    });
  });

  app.post(`${basePath}/revoke-cert`, async (c) => {
    const v = await verified(c, 'either');
    const p = jsonPayload(v.payloadText);
    if (typeof p.certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.certificate)) throw new AcmeProblem('malformed', 'certificate must be the base64url DER of the certificate');
    if (p.reason !== undefined && (typeof p.reason !== 'number' || !Number.isInteger(p.reason))) throw new AcmeProblem('badRevocationReason', 'reason must be an RFC 5280 reason code');
    const der = new Uint8Array(Buffer.from(p.certificate, 'base64url'));
    let serialHex: string;
    try {
      serialHex = Buffer.from(parseCertificate(der).serialNumber.valueBlock.valueHexView).toString('hex');
    } catch {
      throw new AcmeProblem('malformed', 'certificate is not a DER X.509 certificate');
    }
    const facts = await getRevocationFacts(deps.db, serialHex);
    if (!facts || !facts.certificate.certDer || !Buffer.from(facts.certificate.certDer).equals(Buffer.from(der))) {
      throw new AcmeProblem('malformed', 'this CA did not issue this certificate', { status: 404 });
    }
    // CP 3.4 (2)/(3): the account the certificate was issued to, or the certificate's own key — nobody else.
    const acmeAccountId = facts.acmeAccountId;
    let requester: Requester;
    let actor: string;
    if (v.account) {
      requester = { kind: 'acmeAccount', acmeAccountId: v.account.id };
      actor = `acme:${v.account.id}`;
    } else {
      const spkiSha256Hex = createHash('sha256').update(createPublicKey({ key: v.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' })).digest('hex');
      requester = { kind: 'certificateKey', spkiSha256Hex };
      actor = `acme-certificate-key:${spkiSha256Hex}`;
    }
    const now = deps.clock();
    const decision = authorizeRevocation(requester, { ...facts, acmeAccountId }, p.reason ?? 0, now);
    if (!decision.ok) {
      if (decision.kind === 'notFound') throw new AcmeProblem('unauthorized', 'neither the account the certificate was issued to nor its key signed this request (CP 3.4)');
      if (decision.kind === 'badRevocationReason') throw new AcmeProblem('badRevocationReason', decision.detail, { rule: decision.rule });
      if (facts.status === 'revoked') throw new AcmeProblem('alreadyRevoked', decision.detail, { rule: decision.rule });
      throw new AcmeProblem('malformed', decision.detail, { status: 409, rule: decision.rule });
    }
    if (!deps.revocation) throw new AcmeProblem('serverInternal', 'revocation is not available on this server', { status: 503 });
    const workflowId = revocationWorkflowId(facts.serial);
    await recordRevocationRequest(deps.db, {
      serial: facts.serial,
      orderId: facts.certificate.orderId,
      actor,
      reason: decision.reason,
      deadline: decision.deadline,
      deadlineRule: decision.deadlineRule,
      workflowId,
    });
    try {
      await deps.revocation.startRevocation({
        serial: facts.serial,
        issuerId: facts.issuerId,
        reason: decision.reason,
        requester,
        actor,
        requestedAt: now.toISOString(),
        deadline: decision.deadline.toISOString(),
        deadlineRule: decision.deadlineRule,
        signingTaskQueue: deps.config.temporal.signingTaskQueue,
      });
    } catch {
      throw new AcmeProblem('serverInternal', 'the workflow service is unavailable; the revocation was not started, retry', { status: 503, headers: { 'Retry-After': '10' } });
    }
    commonHeaders(c);
    return c.body(null, 200);
  });

  app.get(`${basePath}/renewal-info/:certId`, async (c) => {
    const { keyIdentifier, serialHex } = parseCertId(c.req.param('certId'));
    const cert = await getCertificateBySerial(deps.db, serialHex);
    const issuer = cert ? await getIssuer(deps.db, cert.issuerId) : null;
    if (!cert || !issuer || !Buffer.from(issuer.keyIdentifier).equals(Buffer.from(keyIdentifier)) || (cert.status !== 'issued' && cert.status !== 'revoked')) {
      throw new AcmeProblem('malformed', 'no certificate with this certID (RFC 9773 §4.1)', { status: 404 });
    }
    const w = suggestedRenewalWindow({ notBefore: cert.notBefore, notAfter: cert.notAfter, revoked: cert.status === 'revoked' }, deps.clock());
    commonHeaders(c);
    c.header('Retry-After', String(ARI_RETRY_AFTER_SECONDS));
    return c.json({ suggestedWindow: { start: w.start.toISOString(), end: w.end.toISOString() } });
  });

  // --- checks shared by the handlers ---

  /** RFC 9773 §5: the replaced certificate exists, was issued to this CA account, shares a name, is not replaced yet. */
  async function checkReplaces(account: AcmeAccount, raw: unknown, names: readonly string[]): Promise<{ certId: string; serial: string }> {
    if (typeof raw !== 'string') throw new AcmeProblem('malformed', 'replaces must be a certID string (RFC 9773 §5)');
    const { keyIdentifier, serialHex } = parseCertId(raw);
    const cert = await getCertificateBySerial(deps.db, serialHex);
    const issuer = cert ? await getIssuer(deps.db, cert.issuerId) : null;
    if (!cert || !issuer || !Buffer.from(issuer.keyIdentifier).equals(Buffer.from(keyIdentifier))) {
      throw new AcmeProblem('malformed', 'replaces names no certificate of this CA (RFC 9773 §5)', { status: 404 });
    }
    if (cert.accountId !== account.accountId) throw new AcmeProblem('unauthorized', 'the replaced certificate was not issued to this account (RFC 9773 §5)');
    if (!cert.dnsNames.some((n) => names.includes(n))) throw new AcmeProblem('malformed', 'the new order shares no identifier with the replaced certificate (RFC 9773 §5)');
    const other = await activeReplacementOrder(deps.db, cert.serial);
    if (other) throw new AcmeProblem('alreadyReplaced', `the certificate is already being replaced by ${url.order(other)} (RFC 9773 §7.4)`);
    return { certId: certIdOf(issuer.keyIdentifier, cert.serial), serial: cert.serial };
  }

  return app;
}

/** RFC 8555 §7.3: contact URLs; this CA accepts mailto: with one address and no header fields. */
function checkContact(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new AcmeProblem('malformed', 'contact must be an array of URLs');
  if (raw.length > 10) throw new AcmeProblem('malformed', 'at most 10 contact URLs');
  return raw.map((c) => {
    if (typeof c !== 'string') throw new AcmeProblem('malformed', 'a contact is a URL string');
    if (!c.startsWith('mailto:')) throw new AcmeProblem('unsupportedContact', `only mailto: contacts are supported, not ${c.split(':')[0]}:`);
    const addr = c.slice('mailto:'.length);
    if (addr.includes('?') || addr.includes(',') || !/^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/.test(addr)) {
      throw new AcmeProblem('invalidContact', `${c} is not a single e-mail address without header fields`);
    }
    return c;
  });
}

/** The public members of a JWK as stored (RFC 7638 §3.2 order is irrelevant here; thumbprints are computed anew). */
function publicJwk(jwk: JWK): Record<string, unknown> {
  const keep = ['kty', 'crv', 'x', 'y', 'n', 'e'];
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => keep.includes(k)));
}

export { certIdOf };
