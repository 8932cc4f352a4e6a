/**
 * What a DCV check expects to find when the challenge came through ACME (RFC 8555 §8). The ACME server fixes the key
 * authorization on the challenge when the client answers it (challenges.key_authorization, RFC 8555 §8.1:
 * token || '.' || base64url(JWK thumbprint of the account key)); the non-ACME API's challenges have none, and then
 * the bare random value is expected (CP 3.2.2.4.7 / .18).
 */
import { createHash } from 'node:crypto';

/** RFC 8555 §8.4: the dns-01 TXT value is base64url(SHA-256(key authorization)). */
export function dns01TxtValue(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization, 'utf8').digest('base64url');
}

/** The TXT value a DNS-change check (BR 3.2.2.4.7) must find for this challenge. */
export function expectedTxtValue(ch: { readonly token: string; readonly keyAuthorization?: string | null }): string {
  return ch.keyAuthorization ? dns01TxtValue(ch.keyAuthorization) : ch.token;
}

/**
 * The body a web check must find: ACME http-01 (BR 3.2.2.4.19, RFC 8555 §8.3) serves the key authorization at
 * /.well-known/acme-challenge/<token>; the agreed-upon change (.18) the random value.
 */
export function expectedHttpBody(ch: { readonly token: string; readonly keyAuthorization?: string | null }): string {
  return ch.keyAuthorization ?? ch.token;
}
