/**
 * Certificates: download (RFC 8555 §7.4.2; acceptance is by download, CP 4.4.1), revocation by the account the
 * certificate was issued to or by the certificate's own key (§7.6; CP 3.4 (2)(3)), and renewal information (RFC 9773).
 */
import { Hono } from 'hono';
import type { Db } from '../../db/client';
import { acmeAccountOfOrder } from '../../db/repositories/acme';
import { getCertificateBySerial } from '../../db/repositories/certificates';
import { getIssuer } from '../../db/repositories/issuers';
import { recordCertificateAcceptance } from '../../db/repositories/lifecycle';
import { ARI_RETRY_AFTER_SECONDS } from '../../domain/ari';
import { CaError } from '../../domain/errors';
import type { Requester } from '../../domain/revocation';
import { toPem } from '../../pki/pem';
import { renewalWindowOf } from '../certificate-view';
import { submitRevocation } from '../revocation-requests';
import { parseCertId } from './ari';
import { jsonPayload, spkiSha256OfJwk } from './jws';
import { requireAccount, requirePostAsGet, type AcmeEnv, type AcmeKit } from './requests';

/** The certificate a certID names (RFC 9773 §4.1): its serial, issued by the CA whose key identifier it carries. */
export async function certificateByCertId(db: Db, certId: string) {
  const { keyIdentifier, serialHex } = parseCertId(certId);
  const cert = await getCertificateBySerial(db, serialHex);
  const issuer = cert ? await getIssuer(db, cert.issuerId) : null;
  if (!cert || !issuer || !Buffer.from(issuer.keyIdentifier).equals(Buffer.from(keyIdentifier))) return null;
  return { cert, issuer };
}

export function certificatesApp({ deps, verified, commonHeaders }: AcmeKit) {
  const app = new Hono<AcmeEnv>();

  app.post('/cert/:serial', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    requirePostAsGet(v, 'download the certificate');
    const cert = await getCertificateBySerial(deps.db, c.req.param('serial'));
    const owner = cert ? await acmeAccountOfOrder(deps.db, cert.orderId) : null;
    if (!cert || !cert.certDer || owner !== account.id) throw new CaError('notFound', 'no such certificate for this account');
    // CP 4.4.1: fetching it over ACME is the subscriber's acceptance of the certificate (the first fetch is recorded).
    await recordCertificateAcceptance(deps.db, { serial: cert.serial, via: 'acme', actor: `acme:${account.id}`, at: deps.clock() });
    const issuer = await getIssuer(deps.db, cert.issuerId);
    commonHeaders(c);
    return c.body(toPem('CERTIFICATE', cert.certDer) + (issuer?.certDer ? toPem('CERTIFICATE', issuer.certDer) : ''), 200, {
      'content-type': 'application/pem-certificate-chain',
    });
  });

  app.post('/revoke-cert', async (c) => {
    const v = await verified(c, 'either');
    const p = jsonPayload(v.payloadText);
    if (typeof p.certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.certificate)) throw new CaError('malformed', 'certificate must be the base64url DER of the certificate');
    if (p.reason !== undefined && (typeof p.reason !== 'number' || !Number.isInteger(p.reason))) throw new CaError('badRevocationReason', 'reason must be an RFC 5280 reason code');
    // CP 3.4 (2)/(3): the account the certificate was issued to (kid), or the certificate's own key (jwk).
    let requester: Requester;
    let actor: string;
    if (v.account) {
      requester = { kind: 'acmeAccount', acmeAccountId: v.account.id };
      actor = `acme:${v.account.id}`;
    } else {
      const spkiSha256Hex = Buffer.from(spkiSha256OfJwk(v.jwk as Record<string, unknown>)).toString('hex');
      requester = { kind: 'certificateKey', spkiSha256Hex };
      actor = `acme-certificate-key:${spkiSha256Hex}`;
    }
    // The CA's one revocation entry point: the DER must be the stored certificate, the rules decide, one audit entry.
    await submitRevocation(deps, { target: { certificateDer: new Uint8Array(Buffer.from(p.certificate, 'base64url')) }, requester, reason: p.reason, actor });
    commonHeaders(c);
    return c.body(null, 200);
  });

  app.get('/renewal-info/:certId', async (c) => {
    const found = await certificateByCertId(deps.db, c.req.param('certId'));
    // The one renewal window of both doors (null: never issued): in the past once revoked or once an incident asked
    // for a replacement (§4.2, renew now).
    const w = found ? await renewalWindowOf(deps.db, found.cert, deps.clock()) : null;
    if (!w) throw new CaError('notFound', 'no certificate with this certID (RFC 9773 §4.1)');
    commonHeaders(c);
    c.header('Retry-After', String(ARI_RETRY_AFTER_SECONDS));
    return c.json({ suggestedWindow: { start: w.start.toISOString(), end: w.end.toISOString() } });
  });

  return app;
}
