/**
 * Rebuilds an order's leaf TBSCertificate from the database (CSR, names, validity fixed at the reservation), for the
 * signing activities (steps 7 and 10, signing worker) and the pre-issuance lint (step 6, main worker) alike: the
 * linted TBS and the signed TBS come from one function, so what is linted is what is signed.
 */
import { issuerUrls, type CaConfig } from '../config';
import type { Db } from '../db/client';
import { getCertificateBySerial } from '../db/repositories/certificates';
import { getIssuer } from '../db/repositories/issuers';
import { getOrderDetail } from '../db/repositories/orders';
import { CaError } from '../domain/errors';
import { commonNameFor } from '../domain/profiles';
import { buildLeafTbs } from '../pki/certificate';
import { parseCsr } from '../pki/csr';

export async function loadLeafTbs(
  db: Db,
  config: Pick<CaConfig, 'certificateBaseUrl' | 'cps'>,
  p: { orderId: string; serial: string; kind: 'precertificate' | 'final'; sctListExtensionValue?: Uint8Array },
) {
  const { orderId, serial, kind } = p;
  const cert = await getCertificateBySerial(db, serial);
  if (!cert || cert.orderId !== orderId) {
    throw new CaError('invariantViolated', `serial ${serial} is not reserved for order ${orderId}`);
  }
  const order = await getOrderDetail(db, orderId);
  if (!order) throw new CaError('invariantViolated', `order ${orderId} not found`);
  const issuer = await getIssuer(db, cert.issuerId);
  if (!issuer?.certDer) {
    throw new CaError('invariantViolated', `issuing CA ${cert.issuerId} has no certificate yet`);
  }
  const csr = parseCsr(order.csrDer);
  const tbs = buildLeafTbs({
    serialHex: serial,
    issuer: { subjectDer: issuer.subjectDer, keyIdentifier: issuer.keyIdentifier },
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    dnsNames: cert.dnsNames,
    commonName: commonNameFor(cert.dnsNames),
    spkiDer: csr.spkiDer,
    profile: 'dv',
    // The issuing key's own URLs (CP 5.6: each key of a CA has its CRL, OCSP responder and certificate).
    urls: issuerUrls(config, cert.issuerId),
    cps: config.cps,
    // CP 7.1.1 lists the SKI; BR 7.1.2.7.6 says NOT RECOMMENDED but allowed: we follow the CP.
    includeSubjectKeyIdentifier: true,
    kind,
    ...(p.sctListExtensionValue ? { sctListExtensionValue: p.sctListExtensionValue } : {}),
  });
  return { cert, issuer, tbs };
}
