/**
 * The life-cycle part of the REST view of a certificate (GET /v1/certificates/{serial}): its renewal window — the same
 * window ACME clients get from renewal information (RFC 9773, domain/ari.ts) —, the certificate that superseded it
 * (CP 4.6–4.8), its acceptance (CP 4.4.1) and where to apply for its renewal. Pure.
 */
import { z } from '@hono/zod-openapi';
import type { Certificate } from '../db/repositories/types';
import { suggestedRenewalWindow } from '../domain/ari';

export const CertificateLifecycle = {
  renewalWindow: z
    .object({ start: z.string(), end: z.string() })
    .nullable()
    .openapi({ description: 'When to renew: the same window ACME renewal information (RFC 9773) gives; in the past when the certificate is revoked (renew now)' }),
  supersededBy: z.string().nullable().openapi({ description: 'CP 4.6–4.8: the serial of the certificate that renewed it' }),
  acceptedAt: z.string().nullable().openapi({ description: 'CP 4.4.1: its first download, which is the subscriber’s acceptance' }),
  renewals: z.string().openapi({ description: 'POST here to renew, re-key or modify it (CreateRenewal)' }),
};

export function certificateLifecycle(cert: Certificate, now: Date, baseUrl: string) {
  const signed = cert.status === 'issued' || cert.status === 'revoked';
  const w = signed ? suggestedRenewalWindow({ notBefore: cert.notBefore, notAfter: cert.notAfter, revoked: cert.status === 'revoked' }, now) : null;
  return {
    renewalWindow: w ? { start: w.start.toISOString(), end: w.end.toISOString() } : null,
    supersededBy: cert.supersededBy ?? null,
    acceptedAt: cert.acceptedAt?.toISOString() ?? null,
    renewals: `${baseUrl}/v1/certificates/${cert.serial}/renewals`,
  };
}
