/**
 * Orders (RFC 8555 §7.4): newOrder (identifiers, RFC 9773 §5 `replaces`, draft-ietf-acme-profiles `profile`: dv, or ov
 * for an account bound by EAB to an organization whose vetted record is valid — the order then needs no human step),
 * reading an order (POST-as-GET; Retry-After while it is moving) and finalize, which hands the accepted CSR to the order's
 * waiting workflow (issuance cycle step 4a). The order is read once per request.
 */
import { Hono } from 'hono';
import { findBlockedKey } from '../../db/repositories/blocklist';
import { activeReplacementOrder, finalizeAcmeOrder, unfinalizeAcmeOrder, type AcmeAccount } from '../../db/repositories/acme';
import { challengeExpiry, checkDcvMethod, dnsChangeRecordName, type DcvMethodId } from '../../domain/dcv';
import { CaError } from '../../domain/errors';
import { acceptsCurrentVersions, currentDocumentVersions, type AcceptanceRecord } from '../../domain/repository-documents';
import { maxValidity, policyAt } from '../../domain/policy';
import { bytesEqual } from '../../pki/der';
import { acceptApplication, acceptNames, newRandomValue } from '../accept';
import { submitOrder, workflowUnavailableRetryAfterSeconds } from '../order-intake';
import { ovOrganizationOf } from '../ov-intake';
import { certIdOf } from './ari';
import { certificateByCertId } from './certificates';
import { jsonPayload, spkiSha256OfJwk } from './jws';
import type { AcmeSubproblem } from './problems';
import { orderStatus, presentOrder } from './presenters';
import { RETRY_AFTER_SECONDS, requireAccount, requirePostAsGet, type AcmeEnv, type AcmeKit } from './requests';

/** The DCV methods offered as ACME challenges; the first is the authorization's primary challenge. */
const offeredMethods: readonly DcvMethodId[] = ['3.2.2.4.7', '3.2.2.4.19'];

export function ordersApp(kit: AcmeKit) {
  const { deps, urls, verified, reply, ownOrder } = kit;
  const app = new Hono<AcmeEnv>();

  app.post('/new-order', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const p = jsonPayload(v.payloadText);
    const values = dnsIdentifiers(p.identifiers);
    if (p.notBefore !== undefined || p.notAfter !== undefined) {
      throw new CaError('malformed', 'notBefore/notAfter are not supported: the validity comes from policy at issuance (BR 6.3.2)');
    }
    if (p.profile !== undefined && p.profile !== 'dv' && p.profile !== 'ov') throw new CaError('unsupportedProfile', `profile ${String(p.profile)} is not offered; see the directory's meta.profiles`);
    const profile = p.profile === 'ov' ? 'ov' : 'dv';
    const now = deps.clock();
    const ov = profile === 'ov' ? await ovProfileFor(account, now) : {};
    let names: Array<{ fqdn: string; wildcard: boolean }>;
    try {
      names = acceptNames(values, { now, config: deps.config });
    } catch (e) {
      if (e instanceof CaError && e.kind === 'rejectedIdentifier') {
        const errors = (e.details.errors as Array<{ name: string; reason: string; rule: string }> | undefined) ?? [];
        const subproblems: AcmeSubproblem[] = errors.map((x) => ({ kind: 'rejectedIdentifier', detail: `${x.reason} (${x.rule})`, identifier: x.name }));
        throw new CaError('rejectedIdentifier', e.message, { subproblems });
      }
      throw e;
    }
    const replaces = p.replaces !== undefined ? await checkReplaces(account, p.replaces, names.map((n) => n.fqdn)) : null;
    const acceptance = acmeAcceptance(account, now);

    const policy = policyAt(now);
    const expiresAt = challengeExpiry(now, policy);
    const order = await submitOrder(
      deps,
      {
        accountId: account.accountId,
        profile,
        ...ov,
        // No CSR before finalize (RFC 8555 §7.4): an empty placeholder until finalizeAcmeOrder writes the accepted one.
        csrDer: new Uint8Array(0),
        spkiSha256: new Uint8Array(0),
        dnsNames: names.map((n) => n.fqdn),
        validitySeconds: maxValidity(policy, now),
        expiresAt,
        authorizations: names.map((n) => {
          // BR 3.2.2.4.19 (http-01) never validates a wildcard name; the policy says which methods are allowed now.
          const [challenge, ...moreChallenges] = offeredMethods
            .filter((m) => checkDcvMethod(policy, m, n).ok)
            .map((m) => ({ method: m, recordName: m === '3.2.2.4.7' ? dnsChangeRecordName(n.fqdn) : null, token: newRandomValue(), expiresAt }));
          return { fqdn: n.fqdn, wildcard: n.wildcard, challenge: challenge!, moreChallenges };
        }),
        acme: { acmeAccountId: account.id, replaces },
        acceptance,
      },
      // RFC 8657 §3: CAA accounturi names the ACME account URL (§4: validationmethods match the ACME labels).
      { accountUri: urls.account(account.id), actor: `acme:${account.id}` },
    );
    c.header('Location', urls.order(order.id));
    return reply(c, presentOrder(urls, order), 201);
  });

  app.post('/order/:id', async (c) => {
    const v = await verified(c, 'kid');
    requirePostAsGet(v, 'read an order');
    const o = await ownOrder(requireAccount(v), c.req.param('id'));
    if (o.status === 'processing' || o.status === 'pending' || o.status === 'ready') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return reply(c, presentOrder(urls, o));
  });

  app.post('/order/:id/finalize', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const o = await ownOrder(account, c.req.param('id'));
    const p = jsonPayload(v.payloadText);
    if (o.status !== 'ready') throw new CaError('orderNotReady', `the order is ${orderStatus(o.status)}, not ready (RFC 8555 §7.4)`);
    if (typeof p.csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.csr)) throw new CaError('malformed', 'csr must be the base64url DER of a PKCS#10 request');
    const now = deps.clock();
    // Step 1 of the issuance cycle, exactly as for the API (api/accept.ts): PoP, key rules, names, validity. What the
    // API calls a malformed request or a rejected name is, inside a finalize, a bad CSR (RFC 8555 §7.4).
    const accepted = await acceptApplication(
      { csr: new Uint8Array(Buffer.from(p.csr, 'base64url')), profile: o.profile },
      { now, config: deps.config, findBlockedKey: (k) => findBlockedKey(deps.db, k) },
    ).catch((e: unknown) => {
      if (e instanceof CaError && (e.kind === 'malformed' || e.kind === 'badCsr' || e.kind === 'rejectedIdentifier')) {
        throw new CaError('badCsr', e.message, e.details.rule ? { rule: e.details.rule } : {});
      }
      throw e;
    });
    // RFC 8555 §11.1: the certificate's key must not be the account key (its holder would be both the subscriber and
    // whoever controls the account, and revoking one would revoke the other).
    if (bytesEqual(accepted.spkiSha256, spkiSha256OfJwk(account.jwk))) {
      throw new CaError('badCsr', 'the CSR carries the ACME account key; use another key for the certificate (RFC 8555 §11.1)', { rule: 'RFC 8555 §11.1' });
    }
    const wanted = [...o.dnsNames].map((n) => n.toLowerCase()).sort();
    const got = [...accepted.dnsNames].map((n) => n.toLowerCase()).sort();
    if (wanted.length !== got.length || wanted.some((n, i) => n !== got[i])) {
      throw new CaError('badCsr', `the CSR names (${got.join(', ')}) are not the order's identifiers (${wanted.join(', ')}) (RFC 8555 §7.4)`);
    }
    await finalizeAcmeOrder(deps.db, {
      orderId: o.id,
      acmeAccountId: account.id,
      csrDer: accepted.csrDer,
      spkiSha256: accepted.spkiSha256,
      validitySeconds: Math.min(accepted.validitySeconds, o.validitySeconds),
      now,
    });
    // The wait begins before the signal: the workflow cannot move the order on before it has it.
    const waitMs = deps.config.acme.finalizeWaitSeconds * 1000;
    const settled = deps.orderStatus && waitMs > 0 ? deps.orderStatus.leaves(o.id, 'processing', waitMs) : Promise.resolve(null);
    try {
      await deps.workflows.signalFinalize(o.id);
    } catch (err) {
      await unfinalizeAcmeOrder(deps.db, { orderId: o.id, reason: String(err) });
      throw new CaError('serviceUnavailable', 'the workflow service is unavailable; finalize again later', { retryAfterSeconds: workflowUnavailableRetryAfterSeconds });
    }
    c.header('Location', urls.order(o.id));
    // Issued (or failed) within the wait: the order as it is now, with its certificate URL (or its error).
    const moved = (await settled) === null ? null : await ownOrder(account, o.id);
    if (moved && moved.status !== 'processing') return reply(c, presentOrder(urls, moved));
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    // finalizeAcmeOrder moved the order from ready to processing in its transaction; nothing else of it changed.
    return reply(c, presentOrder(urls, { ...o, status: 'processing' }));
  });

  /**
   * OV over ACME: only an account bound by EAB to an organization (acme_accounts.organization_id) whose vetted record is
   * valid now; any other account, or a vetting that is not (or no longer) valid, is invalidProfile.
   */
  async function ovProfileFor(account: AcmeAccount, now: Date): Promise<{ organizationId?: string }> {
    if (!account.organizationId) {
      throw new CaError('unsupportedProfile', 'profile ov is for accounts bound by external account binding to a vetted organization (CP 3.2.2.1, 3.2.5)');
    }
    try {
      return await ovOrganizationOf(deps.db, { profile: 'ov', organizationId: account.organizationId, accountId: account.accountId, now, mayWait: false });
    } catch (e) {
      if (e instanceof CaError && (e.kind === 'organizationNotVetted' || e.kind === 'notFound')) throw new CaError('unsupportedProfile', `profile ov: ${e.message}`, { rule: 'CP 3.2.2.1, 3.2.5' });
      throw e;
    }
  }

  /**
   * CP 4.1.2 through ACME: the account agreed (termsOfServiceAgreed, RFC 8555 §7.3) to the terms, which incorporate the
   * CP and the CPS, and the versions it agreed to are still those in force; otherwise the client must agree again
   * (RFC 8555 §7.3.3: userActionRequired with a Link to the terms; an account update with termsOfServiceAgreed: true).
   * The order stores the versions, as a REST order does.
   */
  function acmeAcceptance(account: AcmeAccount, now: Date): AcceptanceRecord {
    const agreed = account.acceptedDocuments;
    const terms = deps.config.acme.termsOfService;
    if (!account.termsAgreedAt || !agreed || !acceptsCurrentVersions(agreed, now)) {
      const current = currentDocumentVersions(now);
      throw new CaError('userActionRequired', `the terms of service changed (terms ${current.terms}, CP ${current.cp}, CPS ${current.cps} are in force): agree to them again with termsOfServiceAgreed: true on your account (RFC 8555 §7.3.3)`, {
        rule: 'CP 4.1.2',
        instance: terms,
        link: `<${terms}>;rel="terms-of-service"`,
      });
    }
    return { ...agreed, acceptedAt: account.termsAgreedAt.toISOString(), channel: 'acme' };
  }

  /** RFC 9773 §5: the replaced certificate exists, was issued to this CA account, shares a name, is not replaced yet. */
  async function checkReplaces(account: AcmeAccount, raw: unknown, names: readonly string[]): Promise<{ certId: string; serial: string }> {
    if (typeof raw !== 'string') throw new CaError('malformed', 'replaces must be a certID string (RFC 9773 §5)');
    const found = await certificateByCertId(deps.db, raw);
    if (!found) throw new CaError('notFound', 'replaces names no certificate of this CA (RFC 9773 §5)');
    const { cert, issuer } = found;
    if (cert.accountId !== account.accountId) throw new CaError('unauthorized', 'the replaced certificate was not issued to this account (RFC 9773 §5)');
    if (!cert.dnsNames.some((n) => names.includes(n))) throw new CaError('malformed', 'the new order shares no identifier with the replaced certificate (RFC 9773 §5)');
    const other = await activeReplacementOrder(deps.db, cert.serial);
    if (other) throw new CaError('alreadyReplaced', `the certificate is already being replaced by ${urls.order(other)} (RFC 9773 §7.4)`);
    return { certId: certIdOf(issuer.keyIdentifier, cert.serial), serial: cert.serial };
  }

  return app;
}

/** The dns identifier values of a newOrder (CP 7.1.1: dNSName only); other types are refused with subproblems. */
function dnsIdentifiers(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new CaError('malformed', 'identifiers must be a non-empty array');
  const values: string[] = [];
  const subproblems: AcmeSubproblem[] = [];
  for (const id of raw as unknown[]) {
    const ident = id as { type?: unknown; value?: unknown };
    if (typeof ident !== 'object' || ident === null || typeof ident.value !== 'string') throw new CaError('malformed', 'an identifier is {type, value}');
    if (ident.type !== 'dns') {
      subproblems.push({ kind: 'unsupportedIdentifier', detail: `identifier type ${String(ident.type)} is not issued (CP 7.1.1: dNSName only)`, identifier: ident.value });
      continue;
    }
    values.push(ident.value);
  }
  if (subproblems.length > 0) throw new CaError('unsupportedIdentifier', 'only dns identifiers are issued (CP 7.1.1)', { subproblems });
  return values;
}
