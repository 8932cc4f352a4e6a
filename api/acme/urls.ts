/**
 * Every URL of the ACME server, built from the one configured public base URL (never from the Host header: the JWS
 * `url` check of RFC 8555 §6.4 compares against these). The account URL is also the `kid` of every request after
 * newAccount (§6.2) and the CAA `accounturi` (RFC 8657 §3), so reading it back lives here too.
 */
export interface AcmeUrls {
  /** The base as clients see it, without a trailing slash, e.g. https://127.0.0.1:8443/acme. */
  readonly base: string;
  /** The base's path ('' or e.g. /acme): where the routes are mounted. */
  readonly basePath: string;
  /** scheme://host:port of the base: with the request path, the URL a JWS must name. */
  readonly origin: string;
  readonly directory: string;
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
  readonly revokeCert: string;
  readonly keyChange: string;
  readonly renewalInfo: string;
  account(id: string): string;
  accountOrders(id: string): string;
  order(id: string): string;
  finalize(orderId: string): string;
  authz(id: string): string;
  challenge(id: string): string;
  certificate(serial: string): string;
  /** The account id an account URL (a `kid`) names, or null when the URL is not an account URL of ours. */
  accountIdOf(url: string): string | null;
}

export function acmeUrls(baseUrl: string): AcmeUrls {
  const base = baseUrl.replace(/\/$/, '');
  const parsed = new URL(base);
  const accountPrefix = `${base}/acct/`;
  return {
    base,
    basePath: parsed.pathname.replace(/\/$/, ''),
    origin: parsed.origin,
    directory: `${base}/directory`,
    newNonce: `${base}/new-nonce`,
    newAccount: `${base}/new-account`,
    newOrder: `${base}/new-order`,
    revokeCert: `${base}/revoke-cert`,
    keyChange: `${base}/key-change`,
    renewalInfo: `${base}/renewal-info`,
    account: (id) => `${accountPrefix}${id}`,
    accountOrders: (id) => `${accountPrefix}${id}/orders`,
    order: (id) => `${base}/order/${id}`,
    finalize: (orderId) => `${base}/order/${orderId}/finalize`,
    authz: (id) => `${base}/authz/${id}`,
    challenge: (id) => `${base}/chall/${id}`,
    certificate: (serial) => `${base}/cert/${serial}`,
    accountIdOf(url) {
      if (!url.startsWith(accountPrefix)) return null;
      const id = url.slice(accountPrefix.length);
      return id !== '' && !id.includes('/') ? id : null;
    },
  };
}
