import { describe, expect, it } from 'vitest';
import type { OrderDetail } from '../../db/repositories/orders';
import { storedFailure, type FailureKind } from '../../domain/errors';
import {
  authorizationShown,
  challengeShown,
  challengeTypeOf,
  orderStatus,
  presentAccount,
  presentAuthorization,
  presentChallenge,
  presentOrder,
  type AuthorizationDetail,
  type ChallengeDetail,
} from './presenters';
import { acmeUrls } from './urls';

const urls = acmeUrls('https://acme.example:8443/acme/');
const t = new Date('2026-03-01T00:00:00Z');

const challenge = (id: string, over: Partial<ChallengeDetail> = {}): ChallengeDetail =>
  ({ id, method: '3.2.2.4.7', status: 'pending', token: `tok-${id}`, keyAuthorization: null, validatedAt: null, error: null, expiresAt: t, ...over }) as ChallengeDetail;

const authz = (id: string, status: string, challenges: ChallengeDetail[], over: Partial<AuthorizationDetail> = {}): AuthorizationDetail =>
  ({ id, fqdn: `${id}.example.jp`, wildcard: false, status, challenges, ...over }) as AuthorizationDetail;

const order = (status: string, authorizations: AuthorizationDetail[], over: Partial<OrderDetail> = {}): OrderDetail =>
  ({
    id: 'o1',
    status,
    expiresAt: t,
    dnsNames: authorizations.map((a) => a.fqdn),
    authorizations,
    profile: 'dv',
    certificate: null,
    error: null,
    acme: { replaces: null },
    ...over,
  }) as unknown as OrderDetail;

describe('accounts and orders (RFC 8555 §7.1.2, §7.1.3)', () => {
  it('shows an account with its orders URL and whether the terms were agreed', () => {
    expect(presentAccount(urls, { id: 'a1', status: 'valid', contact: ['mailto:x@example.jp'], termsAgreedAt: t, createdAt: t })).toEqual({
      status: 'valid',
      contact: ['mailto:x@example.jp'],
      termsOfServiceAgreed: true,
      orders: 'https://acme.example:8443/acme/acct/a1/orders',
      createdAt: t.toISOString(),
    });
  });

  it('shows an expired order as invalid (RFC 8555 has no expired order status)', () => {
    expect(orderStatus('expired')).toBe('invalid');
    expect(orderStatus('ready')).toBe('ready');
  });

  it('links the certificate only once the order is valid and the certificate signed', () => {
    const a = [authz('www', 'valid', [challenge('c1', { status: 'valid' })])];
    const cert = { serial: '4abc', status: 'issued' } as OrderDetail['certificate'];
    expect(presentOrder(urls, order('valid', a, { certificate: cert })).certificate).toBe(`${urls.base}/cert/4abc`);
    expect(presentOrder(urls, order('processing', a, { certificate: cert })).certificate).toBeUndefined();
    expect(presentOrder(urls, order('valid', a, { certificate: { ...cert!, status: 'precertificate' } })).certificate).toBeUndefined();
  });

  it('carries replaces, the authorization and finalize URLs and the identifiers', () => {
    const o = presentOrder(urls, order('pending', [authz('www', 'pending', [])], { acme: { replaces: 'aki.serial' } as OrderDetail['acme'] }));
    expect(o).toMatchObject({
      status: 'pending',
      identifiers: [{ type: 'dns', value: 'www.example.jp' }],
      authorizations: [`${urls.base}/authz/www`],
      finalize: `${urls.base}/order/o1/finalize`,
      replaces: 'aki.serial',
    });
    expect(o).not.toHaveProperty('error');
  });

  it.each<[FailureKind, string, number]>([
    ['caa', 'caa', 403],
    ['corroborationFailed', 'unauthorized', 403],
    ['lintFailed', 'serverInternal', 500],
    ['orderExpired', 'malformed', 410],
  ])('renders the stored error kind %s of a failed order as %s through the failure table', (kind, type, status) => {
    const o = presentOrder(urls, order('invalid', [], { error: storedFailure(kind, 'why') }));
    expect(o.error).toEqual({ type: `urn:ietf:params:acme:error:${type}`, detail: 'why', status });
  });

  it('a failed domain validation is incorrectResponse, in the order as in a thrown error (RFC 8555 §6.7)', () => {
    const o = presentOrder(urls, order('invalid', [], { error: storedFailure('validationFailed', 'no TXT record') }));
    expect(o.error).toEqual({ type: 'urn:ietf:params:acme:error:incorrectResponse', detail: 'no TXT record', status: 403 });
  });

  it('reads a stored error type that is no failure kind as serverInternal, never guessing from its text', () => {
    const o = presentOrder(urls, order('expired', [], { error: { type: 'CaaForbidden', title: 'x', detail: 'CAA forbids' } as OrderDetail['error'] }));
    expect(o.error).toEqual({ type: 'urn:ietf:params:acme:error:serverInternal', detail: 'CAA forbids', status: 500 });
  });
});

describe('the authorization "shown valid" rule (RFC 8555 §7.1.6 with BR 3.2.2.9 corroboration)', () => {
  const valid = (id: string) => authz(id, 'valid', [challenge(`${id}-c`, { status: 'valid' })]);

  it('shows a not-yet-valid authorization as stored', () => {
    expect(authorizationShown(order('pending', [authz('a', 'pending', [])]), authz('a', 'pending', []), new Set())).toBe('pending');
    expect(authorizationShown(order('invalid', [authz('a', 'invalid', [])]), authz('a', 'invalid', []), new Set())).toBe('invalid');
  });

  it('shows a valid one valid once the workflow made the order ready (or later), invalid if the order failed', () => {
    const a = valid('a');
    for (const s of ['ready', 'processing', 'valid']) expect(authorizationShown(order(s, [a]), a, new Set())).toBe('valid');
    for (const s of ['invalid', 'expired']) expect(authorizationShown(order(s, [a]), a, new Set(['a']))).toBe('invalid');
  });

  it('shows a corroborated one valid while another is still open, but keeps it pending until corroborated', () => {
    const a = valid('a');
    const b = authz('b', 'pending', [challenge('b-c')]);
    expect(authorizationShown(order('pending', [a, b]), a, new Set(['a']))).toBe('valid');
    expect(authorizationShown(order('pending', [a, b]), a, new Set())).toBe('pending');
  });

  it('keeps the last settled one pending until the order is ready (the client finalizes on seeing all valid)', () => {
    const a = valid('a');
    const b = valid('b');
    expect(authorizationShown(order('pending', [a, b]), a, new Set(['a', 'b']))).toBe('pending');
    expect(authorizationShown(order('pending', [a]), a, new Set(['a']))).toBe('pending');
  });

  it('counts an authorization valid by reuse (no valid challenge, BR 4.2.1) as settled without corroboration', () => {
    const reused = authz('r', 'valid', [challenge('r-c')]);
    const open = authz('b', 'pending', [challenge('b-c')]);
    expect(authorizationShown(order('pending', [reused, open]), reused, new Set())).toBe('valid');
  });
});

describe('challenges (RFC 8555 §7.1.5, §8)', () => {
  it('names the challenge type of the DCV method', () => {
    expect(challengeTypeOf('3.2.2.4.7')).toBe('dns-01');
    expect(challengeTypeOf('3.2.2.4.19')).toBe('http-01');
    expect(challengeTypeOf('3.2.2.4.18')).toBe('3.2.2.4.18');
  });

  it('follows the authorization shown: processing while answered or not yet corroborated, invalid when expired', () => {
    expect(challengeShown(challenge('c', { status: 'expired' }), 'pending')).toBe('invalid');
    expect(challengeShown(challenge('c', { status: 'valid' }), 'pending')).toBe('processing');
    expect(challengeShown(challenge('c', { status: 'valid' }), 'invalid')).toBe('invalid');
    expect(challengeShown(challenge('c', { status: 'valid' }), 'valid')).toBe('valid');
    expect(challengeShown(challenge('c', { keyAuthorization: 'tok.thumb' }), 'pending')).toBe('processing');
    expect(challengeShown(challenge('c'), 'pending')).toBe('pending');
  });

  it.each<[FailureKind, string, number]>([
    ['dcvRecordNotFound', 'incorrectResponse', 403],
    ['validationFailed', 'incorrectResponse', 403],
    ['dnsLookupFailed', 'dns', 400],
    ['connectionFailed', 'connection', 400],
    ['caa', 'caa', 403],
  ])('renders a stored challenge error of kind %s as %s', (kind, type, status) => {
    const ch = challenge('c', { status: 'invalid', error: storedFailure(kind, 'detail') });
    expect(presentChallenge(urls, ch, 'invalid', null).error).toEqual({ type: `urn:ietf:params:acme:error:${type}`, detail: 'detail', status });
  });

  it("gives a challenge that passed on the primary the order's error when the order then failed", () => {
    const ch = challenge('c', { status: 'valid', validatedAt: t });
    const shown = presentChallenge(urls, ch, 'invalid', storedFailure('corroborationFailed', '2 of 5 perspectives'));
    expect(shown).toMatchObject({ status: 'invalid', error: { type: 'urn:ietf:params:acme:error:unauthorized', detail: '2 of 5 perspectives' } });
    expect(shown).not.toHaveProperty('validated');
    expect(presentChallenge(urls, ch, 'valid', null)).toMatchObject({ type: 'dns-01', url: `${urls.base}/chall/c`, token: 'tok-c', validated: t.toISOString() });
  });

  it('shows a wildcard authorization by its base name, flagged, expiring with its first challenge', () => {
    const expires = new Date('2026-03-20T00:00:00Z');
    const a = authz('w', 'pending', [challenge('w-c', { expiresAt: expires })], { fqdn: '*.example.jp', wildcard: true });
    expect(presentAuthorization(urls, order('pending', [a]), a, new Set())).toMatchObject({
      identifier: { type: 'dns', value: 'example.jp' },
      wildcard: true,
      status: 'pending',
      expires: expires.toISOString(),
      challenges: [{ type: 'dns-01', status: 'pending' }],
    });
  });
});
