/**
 * Signing activities — they run only on the signing task queue, in the worker that holds the HSM session
 * (worker/signing.ts). They take an order id and a reserved serial, never bytes to sign: the TBS is rebuilt here
 * from the stored order (CSR, names, validity fixed at reservation), so nothing else can make the CA sign.
 * Idempotent by serial: if the precertificate or certificate is already stored, the stored one is returned and
 * the HSM is not asked again (a crash between signing and storing costs one unused signature, never two certificates).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getCertificateBySerial, storeCertificate, storePrecertificate } from '../db/repositories/certificates';
import { getIssuer } from '../db/repositories/issuers';
import { getOrderDetail } from '../db/repositories/orders';
import { commonNameFor } from '../domain/profiles';
import { buildLeafTbs, encodeTbs, signCertificate, tbsDerWithoutCtExtensions, tbsWithoutCtExtensions } from '../pki/certificate';
import { parseCsr } from '../pki/csr';
import type { Signer } from '../pki/signer';
import { failureTypes } from '../workflows/contracts';

export interface SigningDeps {
  readonly db: Db;
  readonly signer: Signer;
  readonly config: Pick<CaConfig, 'urls' | 'cps'>;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function createSigningActivities({ db, signer, config }: SigningDeps) {
  async function tbsFor(orderId: string, serial: string, kind: 'precertificate' | 'final') {
    const cert = await getCertificateBySerial(db, serial);
    if (!cert || cert.orderId !== orderId) {
      throw ApplicationFailure.nonRetryable(`serial ${serial} is not reserved for order ${orderId}`, failureTypes.policyViolation);
    }
    const order = await getOrderDetail(db, orderId);
    if (!order) throw ApplicationFailure.nonRetryable(`order ${orderId} not found`, failureTypes.policyViolation);
    const issuer = await getIssuer(db, cert.issuerId);
    if (!issuer?.certDer) {
      throw ApplicationFailure.nonRetryable(`issuing CA ${cert.issuerId} has no certificate yet`, failureTypes.policyViolation);
    }
    const csr = parseCsr(order.csrDer);
    const issuerId = cert.issuerId as 'dv' | 'ov';
    const tbs = buildLeafTbs({
      serialHex: serial,
      issuer: { subjectDer: issuer.subjectDer, keyIdentifier: issuer.keyIdentifier },
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      dnsNames: cert.dnsNames,
      commonName: commonNameFor(cert.dnsNames),
      spkiDer: csr.spkiDer,
      profile: 'dv',
      urls: config.urls[issuerId],
      cps: config.cps,
      // CP 7.1.1 lists the SKI; BR 7.1.2.7.6 says NOT RECOMMENDED but allowed: we follow the CP.
      includeSubjectKeyIdentifier: true,
      kind,
    });
    return { cert, issuer, tbs };
  }

  return {
    /** Step 7: the precertificate (TBS + critical poison), signed by the issuing CA itself, stored before use. */
    async signPrecertificate({ orderId, serial }: { orderId: string; serial: string }): Promise<void> {
      const existing = await getCertificateBySerial(db, serial);
      if (existing?.precertDer) return;
      const { issuer, tbs } = await tbsFor(orderId, serial, 'precertificate');
      const der = await signCertificate(tbs, signer, issuer.keyLabel);
      await storePrecertificate(db, serial, der);
    },

    /**
     * Step 10: the final certificate = the precertificate's TBS without the poison (plus the SCT list, issue #4),
     * checked to correspond byte for byte before it is signed.
     */
    async signFinalCertificate({ orderId, serial }: { orderId: string; serial: string }): Promise<void> {
      const existing = await getCertificateBySerial(db, serial);
      if (existing?.certDer) return;
      if (!existing?.precertDer) {
        throw ApplicationFailure.nonRetryable(`no precertificate stored for ${serial}`, failureTypes.policyViolation);
      }
      const { issuer, tbs } = await tbsFor(orderId, serial, 'final');
      // Checked BEFORE the signature: the final TBS minus the SCT list must be the precertificate's TBS minus the
      // poison, byte for byte (RFC 6962 3.1, BR 7.1.2.9) — otherwise nothing is signed.
      if (!equalBytes(tbsDerWithoutCtExtensions(encodeTbs(tbs)), tbsWithoutCtExtensions(existing.precertDer))) {
        throw ApplicationFailure.nonRetryable(
          `final certificate ${serial} does not correspond to its precertificate`,
          failureTypes.correspondenceMismatch,
        );
      }
      const finalDer = await signCertificate(tbs, signer, issuer.keyLabel);
      await storeCertificate(db, serial, finalDer);
    },
  };
}
