/**
 * ACME Renewal Information (RFC 9773 §4.2): when should the client renew a certificate? Pure: the API looks the
 * certificate up and passes its validity and status with `now`.
 *
 * Window: the middle third of the validity period. Early enough that a failed renewal can be retried for a third of
 * the lifetime before expiry, late enough not to churn; clients pick a random instant inside it (RFC 9773 §4.2), which
 * spreads renewals of certificates issued together. A revoked certificate, or one the CA wants replaced (an incident
 * stored a renewal override for it, db/schema/operations.ts `renewal_overrides`), gets a window that lies in the past:
 * renew immediately (§4.2: "a window in the past").
 */
export interface RenewalWindow {
  readonly start: Date;
  readonly end: Date;
}

/** RFC 9773 §4.3: how long the client should wait before asking again (Retry-After). */
export const ARI_RETRY_AFTER_SECONDS = 6 * 3600;

export function suggestedRenewalWindow(
  cert: { readonly notBefore: Date; readonly notAfter: Date; readonly revoked: boolean; readonly renewNow?: boolean },
  now: Date,
): RenewalWindow {
  if (cert.revoked || cert.renewNow) {
    // Renew right away: a window that lies entirely in the past tells a conforming client to renew now (§4.2).
    return { start: new Date(now.getTime() - 2 * 3600_000), end: new Date(now.getTime() - 3600_000) };
  }
  const nb = cert.notBefore.getTime();
  const lifetime = cert.notAfter.getTime() + 1000 - nb; // notAfter is inclusive (RFC 5280 4.1.2.5)
  return { start: new Date(nb + Math.floor(lifetime / 3)), end: new Date(nb + Math.floor((2 * lifetime) / 3)) };
}
