/**
 * What ACME clients see of the stored account, order, authorization and challenge (RFC 8555 §7.1.2–§7.1.5). Pure:
 * the routes read the rows once and pass them here with the URLs; nothing is read or written.
 */
import type { AcmeAccount } from '../../db/repositories/acme';
import type { OrderDetail } from '../../db/repositories/orders';
import { dcvMethods, type DcvMethodId } from '../../domain/dcv';
import { acmeErrorOfStored } from './problems';
import type { AcmeUrls } from './urls';

export type AuthorizationDetail = OrderDetail['authorizations'][number];
export type ChallengeDetail = AuthorizationDetail['challenges'][number];

/** The challenge type of a DCV method (RFC 8555 §8: dns-01 is BR 3.2.2.4.7, http-01 is BR 3.2.2.4.19). */
export function challengeTypeOf(method: string): string {
  return (Object.prototype.hasOwnProperty.call(dcvMethods, method) ? dcvMethods[method as DcvMethodId].acmeLabel : null) ?? method;
}

export function presentAccount(urls: AcmeUrls, a: Pick<AcmeAccount, 'id' | 'status' | 'contact' | 'termsAgreedAt' | 'createdAt'>) {
  return {
    status: a.status,
    contact: a.contact,
    termsOfServiceAgreed: a.termsAgreedAt !== null,
    orders: urls.accountOrders(a.id),
    createdAt: a.createdAt.toISOString(),
  };
}

/** RFC 8555 §7.1.6 has no `expired` order status: an order whose random values expired is `invalid`. */
export const orderStatus = (s: string): string => (s === 'expired' ? 'invalid' : s);

export function presentOrder(urls: AcmeUrls, o: OrderDetail) {
  const certificate =
    o.status === 'valid' && o.certificate && (o.certificate.status === 'issued' || o.certificate.status === 'revoked')
      ? urls.certificate(o.certificate.serial)
      : undefined;
  return {
    status: orderStatus(o.status),
    expires: o.expiresAt.toISOString(),
    identifiers: o.dnsNames.map((n) => ({ type: 'dns', value: n })),
    authorizations: o.authorizations.map((a) => urls.authz(a.id)),
    finalize: urls.finalize(o.id),
    profile: o.profile,
    ...(o.acme?.replaces ? { replaces: o.acme.replaces } : {}),
    ...(certificate ? { certificate } : {}),
    ...(o.status === 'invalid' || o.status === 'expired' ? { error: acmeErrorOfStored(o.error, 'the order failed') } : {}),
  };
}

/**
 * The status the client sees of an authorization (RFC 8555 §7.1.6). The primary perspective's check marks it valid in
 * the database, but the client would withdraw its record the moment it sees `valid`, while the remote perspectives
 * (BR 3.2.2.9) may still need it; and a client finalizes as soon as every authorization is valid, so the order must be
 * `ready` by then. Hence: shown valid once corroborated (or valid by reuse, BR 4.2.1), except the last one of the
 * order, which is shown valid only when the workflow has made the order ready.
 */
export function authorizationShown(o: OrderDetail, a: AuthorizationDetail, corroborated: ReadonlySet<string>): string {
  if (a.status !== 'valid') return a.status;
  if (['ready', 'processing', 'valid'].includes(o.status)) return 'valid';
  if (o.status === 'invalid' || o.status === 'expired') return 'invalid';
  const settled = (x: AuthorizationDetail) => x.status === 'valid' && (corroborated.has(x.id) || !x.challenges.some((ch) => ch.status === 'valid'));
  return settled(a) && o.authorizations.some((b) => b.id !== a.id && !settled(b)) ? 'valid' : 'pending';
}

/** A challenge follows what is shown of its authorization; an answered one is `processing` until checked (§7.1.6). */
export function challengeShown(ch: ChallengeDetail, authzShown: string): string {
  if (ch.status === 'expired') return 'invalid';
  if (ch.status === 'valid' && authzShown !== 'valid') return authzShown === 'invalid' ? 'invalid' : 'processing';
  return ch.status === 'pending' && ch.keyAuthorization !== null ? 'processing' : ch.status;
}

export function presentChallenge(urls: AcmeUrls, ch: ChallengeDetail, authzShown: string, orderError: OrderDetail['error']) {
  const status = challengeShown(ch, authzShown);
  // A challenge that passed on the primary but whose order then failed (e.g. corroboration) carries the order's error.
  const err = ch.error ?? (status === 'invalid' && ch.status === 'valid' && orderError ? orderError : null);
  return {
    type: challengeTypeOf(ch.method),
    url: urls.challenge(ch.id),
    status,
    token: ch.token,
    ...(ch.validatedAt && status === 'valid' ? { validated: ch.validatedAt.toISOString() } : {}),
    ...(err ? { error: acmeErrorOfStored(err, 'the challenge failed') } : {}),
  };
}

export function presentAuthorization(urls: AcmeUrls, o: OrderDetail, a: AuthorizationDetail, corroborated: ReadonlySet<string>) {
  const shown = authorizationShown(o, a, corroborated);
  return {
    identifier: { type: 'dns', value: a.fqdn.replace(/^\*\./, '') },
    status: shown,
    expires: (a.challenges[0]?.expiresAt ?? o.expiresAt).toISOString(),
    challenges: a.challenges.map((ch) => presentChallenge(urls, ch, shown, o.error)),
    ...(a.wildcard ? { wildcard: true } : {}),
  };
}
