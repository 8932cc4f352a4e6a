/**
 * Rebuilds an order's leaf TBSCertificate from the database (CSR, names, validity fixed at the reservation), for the
 * signing activities (steps 7 and 10, signing worker) and the pre-issuance lint (step 6, main worker) alike: the
 * linted TBS and the signed TBS come from one function, so what is linted is what is signed. An OV leaf's subject
 * comes from the vetted organization record of the order's organization pinned on it (OV step 4), never from the CSR.
 * Whether that record may still be used at a signature (BR 4.2.1: organization data older than 398 days is not
 * reused) is the issuance gate's to judge, in the signing worker, right before it signs (domain/issuance-gate.ts): a
 * record that ends between the lint and the signature is refused there, and audited.
 */
import { issuerUrls, type CaConfig } from '../config';
import type { Db } from '../db/client';
import { getCertificateBySerial } from '../db/repositories/certificates';
import { getIssuer } from '../db/repositories/issuers';
import { getOrderDetail } from '../db/repositories/orders';
import { getVettedRecord } from '../db/repositories/vetted-organizations';
import { CaError } from '../domain/errors';
import { commonNameFor, profileOfCa } from '../domain/profiles';
import { buildLeafTbs, type OrganizationSubject } from '../pki/certificate';
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
  const profile = profileOfCa(issuer.caId);
  const organization = profile === 'ov' ? await vettedSubject(db, order) : undefined;
  const tbs = buildLeafTbs({
    serialHex: serial,
    issuer: { subjectDer: issuer.subjectDer, keyIdentifier: issuer.keyIdentifier },
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    dnsNames: cert.dnsNames,
    commonName: commonNameFor(cert.dnsNames),
    spkiDer: csr.spkiDer,
    profile,
    ...(organization ? { organization } : {}),
    // The issuing key's own URLs (CP 5.6: each key of a CA has its CRL, OCSP responder and certificate).
    urls: issuerUrls(config, cert.issuerId),
    cps: config.cps,
    // CP 7.1.1 lists the SKI; BR 7.1.2.7.6 says NOT RECOMMENDED but allowed: we follow the CP.
    includeSubjectKeyIdentifier: true,
    kind,
    ...(p.sctListExtensionValue ? { sctListExtensionValue: p.sctListExtensionValue } : {}),
  });
  return { cert, issuer, profile, tbs };
}

/** The OV subject's source: the order's pinned vetted record, of the order's organization. */
async function vettedSubject(db: Db, order: { id: string; organizationId: string | null; vettedOrganizationId: string | null }): Promise<OrganizationSubject> {
  const record = order.vettedOrganizationId ? await getVettedRecord(db, order.vettedOrganizationId) : null;
  if (!record || record.organizationId !== order.organizationId) {
    throw new CaError('organizationNotVetted', `OV order ${order.id} has no vetted organization record pinned (step 4)`, { rule: 'CP 3.2.2.1, 7.1.1' });
  }
  return { country: record.country, stateOrProvince: record.stateOrProvince, locality: record.locality, organizationName: record.organizationName };
}
