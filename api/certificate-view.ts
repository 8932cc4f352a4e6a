/**
 * The life-cycle part of the REST view of a certificate (GET /v1/certificates/{serial}): its renewal window, the
 * certificate that superseded it (CP 4.6–4.8), its acceptance (CP 4.4.1) and where to apply for its renewal. The
 * renewal window is computed once for both doors (`renewalWindowOf`): the ACME renewal information (RFC 9773) and
 * this view give a subscriber the same answer, including an incident's "renew now".
 */
import { z } from '@hono/zod-openapi';
import { renewalOverrideFor } from '../db/repositories/incidents';
import type { Certificate, DbOrTx } from '../db/repositories/types';
import { suggestedRenewalWindow, type RenewalWindow } from '../domain/ari';

export const CertificateLifecycle = {
  renewalWindow: z
    .object({ start: z.string(), end: z.string() })
    .nullable()
    .openapi({ description: 'When to renew: the same window ACME renewal information (RFC 9773) gives; in the past when the certificate is revoked (renew now)' }),
  supersededBy: z.string().nullable().openapi({ description: 'CP 4.6–4.8: the serial of the certificate that renewed it' }),
  acceptedAt: z.string().nullable().openapi({ description: 'CP 4.4.1: its first download, which is the subscriber’s acceptance' }),
  renewals: z.string().openapi({ description: 'POST here to renew, re-key or modify it (CreateRenewal)' }),
};

/**
 * The renewal window of a signed certificate (null for one never issued): the middle third of its validity, or a
 * window in the past — renew now (RFC 9773 §4.2) — once it is revoked or an incident asked for its replacement (the
 * `renewal_overrides` row the incident's selection stored).
 */
export async function renewalWindowOf(db: DbOrTx, cert: Pick<Certificate, 'serial' | 'status' | 'notBefore' | 'notAfter'>, now: Date): Promise<RenewalWindow | null> {
  if (cert.status !== 'issued' && cert.status !== 'revoked') return null;
  const override = await renewalOverrideFor(db, cert.serial);
  const renewNow = override !== null && override.since.getTime() <= now.getTime();
  return suggestedRenewalWindow({ notBefore: cert.notBefore, notAfter: cert.notAfter, revoked: cert.status === 'revoked', renewNow }, now);
}

export async function certificateLifecycle(db: DbOrTx, cert: Certificate, now: Date, baseUrl: string) {
  const w = await renewalWindowOf(db, cert, now);
  return {
    renewalWindow: w ? { start: w.start.toISOString(), end: w.end.toISOString() } : null,
    supersededBy: cert.supersededBy ?? null,
    acceptedAt: cert.acceptedAt?.toISOString() ?? null,
    renewals: `${baseUrl}/v1/certificates/${cert.serial}/renewals`,
  };
}
