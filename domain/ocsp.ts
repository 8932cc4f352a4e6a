/**
 * OCSP timing rules as data and pure functions (no I/O: importable from workflows).
 *
 * POLICY-2026.md "OCSP" (BR 4.9.10) and CP 4.9.9–4.10, 7.3:
 * - an authoritative answer within 15 minutes of (pre)certificate issuance — pre-signed at issuance step 7;
 * - 8 h ≤ nextUpdate − thisUpdate ≤ 10 days;
 * - a response is refreshed at least 8 h before its nextUpdate and within 4 days of its thisUpdate;
 * - the delegated responder certificate (CP 7.3: validity "e.g. 4 days") is renewed before it expires.
 *
 * Our own invariant on top: a response never outlives the responder certificate that signed it
 * (nextUpdate ≤ responder notAfter), so a relying party never sees a response whose signer has expired.
 */

export interface OcspTiming {
  /** nextUpdate − thisUpdate of every response. */
  readonly responseValiditySeconds: number;
  /** A response is re-signed once its thisUpdate is older than this. */
  readonly refreshAfterSeconds: number;
  /** How often the refresh schedule runs (a response can be this late beyond refreshAfter). */
  readonly scheduleIntervalSeconds: number;
  /** notAfter − notBefore of the delegated responder certificate (CP 7.3 example: 4 days). */
  readonly responderValiditySeconds: number;
  /** A new responder certificate is issued once the current one has fewer seconds than this left. */
  readonly responderRenewBeforeSeconds: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The BR/POLICY-2026 bounds the timing is checked against. */
export const ocspLimits = {
  minResponseValiditySeconds: 8 * HOUR,
  maxResponseValiditySeconds: 10 * DAY,
  /** Refresh at least this long before nextUpdate. */
  minRefreshMarginSeconds: 8 * HOUR,
  /** Refresh within this long of thisUpdate. */
  maxRefreshAgeSeconds: 4 * DAY,
  /** POLICY-2026: authoritative within 15 minutes of (pre)certificate issuance. */
  maxPresignDelaySeconds: 15 * 60,
} as const;

/** Defaults: responses valid 2 days, re-signed after 1 day, checked hourly; responders valid 4 days, renewed with 60 h left. */
export const defaultOcspTiming: OcspTiming = {
  responseValiditySeconds: 48 * HOUR,
  refreshAfterSeconds: 24 * HOUR,
  scheduleIntervalSeconds: HOUR,
  responderValiditySeconds: 4 * DAY,
  responderRenewBeforeSeconds: 60 * HOUR,
};

/** Every rule the timing breaks, each naming its source; empty when the timing is acceptable. */
export function ocspTimingViolations(t: OcspTiming): string[] {
  const out: string[] = [];
  const positive = Object.entries(t).filter(([, v]) => !(Number.isFinite(v) && v > 0));
  for (const [k] of positive) out.push(`${k} must be a positive number of seconds`);
  if (positive.length) return out;
  if (t.responseValiditySeconds < ocspLimits.minResponseValiditySeconds) {
    out.push('response validity must be at least 8 hours (BR 4.9.10, POLICY-2026 OCSP)');
  }
  if (t.responseValiditySeconds > ocspLimits.maxResponseValiditySeconds) {
    out.push('response validity must be at most 10 days (BR 4.9.10, POLICY-2026 OCSP)');
  }
  // The latest a response is re-signed is refreshAfter + one schedule interval after its thisUpdate.
  const latestRefresh = t.refreshAfterSeconds + t.scheduleIntervalSeconds;
  if (latestRefresh > ocspLimits.maxRefreshAgeSeconds) {
    out.push('refreshAfter + schedule interval must be within 4 days of thisUpdate (BR 4.9.10)');
  }
  if (t.responseValiditySeconds - latestRefresh < ocspLimits.minRefreshMarginSeconds) {
    out.push('responses must be refreshed at least 8 hours before nextUpdate: responseValidity − (refreshAfter + interval) ≥ 8 h (BR 4.9.10)');
  }
  if (t.responderRenewBeforeSeconds >= t.responderValiditySeconds) {
    out.push('the responder certificate must be renewed after it is issued: renewBefore < responder validity');
  }
  // A responder is used until renewBefore is left; the schedule may renew it one interval late. Every response it
  // signs must expire before it does (nextUpdate ≤ responder notAfter).
  if (t.responderRenewBeforeSeconds - t.scheduleIntervalSeconds < t.responseValiditySeconds) {
    out.push('renewBefore − schedule interval must cover a whole response validity (nextUpdate ≤ responder notAfter)');
  }
  return out;
}

/** The validity window of a response signed at `now`: whole seconds (DER GeneralizedTime has no fraction here). */
export function ocspResponseWindow(now: Date, t: OcspTiming): { thisUpdate: Date; nextUpdate: Date } {
  const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return { thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + t.responseValiditySeconds * 1000) };
}

/** True when a response produced at `thisUpdate` must be re-signed now. */
export function ocspRefreshDue(thisUpdate: Date, now: Date, t: OcspTiming): boolean {
  return now.getTime() - thisUpdate.getTime() >= t.refreshAfterSeconds * 1000;
}

/** True when the responder certificate valid until `notAfter` must be replaced now. */
export function ocspResponderRenewalDue(notAfter: Date, now: Date, t: OcspTiming): boolean {
  return notAfter.getTime() - now.getTime() < t.responderRenewBeforeSeconds * 1000;
}

