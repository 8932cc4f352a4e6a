/**
 * Signing activities — they run only on the signing task queue, in the worker that holds the HSM session
 * (worker/signing.ts). They take an order id and a reserved serial, never bytes to sign: the TBS is rebuilt here
 * from the stored order (CSR, names, validity fixed at reservation), and the issuance gate (issuance-gate.ts) checks
 * in the database that every condition of issuance holds for exactly that TBS, now — so nothing else can make the
 * CA sign, whatever the workflow's input says.
 * Idempotent by serial: if the precertificate or certificate is already stored, the stored one is returned and
 * the HSM is not asked again (a crash between signing and storing costs one unused signature, never two certificates).
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { getCertificateBySerial, storeCertificate, storePrecertificate } from '../db/repositories/certificates';
import { CaError } from '../domain/errors';
import { encodeTbs, finalCorrespondsToPrecert, signCertificate } from '../pki/certificate';
import type { Signer } from '../pki/signer';
import { verifiedSctListExtension } from './ct/scts';
import { activityLog } from './activity-log';
import { enforceIssuanceGate } from './issuance-gate';
import { loadLeafTbs } from './leaf-tbs';

export interface SigningDeps {
  readonly db: Db;
  readonly signer: Signer;
  readonly config: Pick<CaConfig, 'certificateBaseUrl' | 'cps' | 'ct' | 'lint'>;
  readonly clock?: () => Date;
  /**
   * The OCSP pre-signing of the signing worker (activities/ocsp.ts `signOcspResponses`): with it, a signing activity
   * asked to (`presignOcsp`) signs the serial's OCSP response right after the certificate is stored (BR 4.9.10), in
   * the same activity rather than in one of its own.
   */
  readonly presignOcsp?: (serial: string) => Promise<unknown>;
}

/** What a signing activity did beyond signing: whether the serial's OCSP response was pre-signed with it. */
export interface SigningResult {
  readonly ocspPresigned: boolean;
}

export function createSigningActivities({ db, signer, config, clock = () => new Date(), presignOcsp }: SigningDeps) {
  const tbsFor = (orderId: string, serial: string, kind: 'precertificate' | 'final', sctListExtensionValue?: Uint8Array) =>
    loadLeafTbs(db, config, { orderId, serial, kind, ...(sctListExtensionValue ? { sctListExtensionValue } : {}) });

  /**
   * The OCSP response of a serial just signed (or found signed, on a retry), when asked and wired. A failure never
   * fails the signature (BR 4.9.10: the ocsp-refresh schedule signs any served serial without a response); the
   * workflow then pre-signs it with an activity of its own.
   */
  async function withOcsp(serial: string, asked: boolean | undefined): Promise<SigningResult> {
    if (!asked || !presignOcsp) return { ocspPresigned: false };
    try {
      await presignOcsp(serial);
      return { ocspPresigned: true };
    } catch (err) {
      activityLog('warn', 'OCSP pre-signing with the signature failed; the workflow retries it on its own', { serial, error: String(err) });
      return { ocspPresigned: false };
    }
  }

  return {
    /** Step 7: the precertificate (TBS + critical poison), signed by the issuing CA itself, stored before use. */
    async signPrecertificate({ orderId, serial, presignOcsp: ocsp }: { orderId: string; serial: string; presignOcsp?: boolean }): Promise<SigningResult> {
      const existing = await getCertificateBySerial(db, serial);
      if (!existing?.precertDer) {
        const { issuer, tbs } = await tbsFor(orderId, serial, 'precertificate');
        const tbsDer = encodeTbs(tbs);
        await enforceIssuanceGate(db, config, { orderId, serial, step: 'precertificate', tbs, tbsDer, now: clock() });
        const der = await signCertificate(tbs, signer, issuer.keyLabel, tbsDer);
        await storePrecertificate(db, serial, der);
      }
      return withOcsp(serial, ocsp);
    },

    /**
     * Step 10: the final certificate = the precertificate's TBS without the poison plus the SCT list of `sctLogIds`
     * (each SCT verified again against its log key, the CT policy evaluated again), checked to correspond byte for
     * byte before it is signed. With CT submission off (development baselines only) there is no SCT list.
     */
    async signFinalCertificate(input: { orderId: string; serial: string; sctLogIds?: readonly string[]; presignOcsp?: boolean }): Promise<SigningResult> {
      const { orderId, serial, sctLogIds = [] } = input;
      const existing = await getCertificateBySerial(db, serial);
      if (existing?.certDer) return withOcsp(serial, input.presignOcsp);
      if (!existing?.precertDer) throw new CaError('invariantViolated', `no precertificate stored for ${serial}`);
      if (config.ct.submission && sctLogIds.length === 0) {
        // Chrome/Apple CT policy (POLICY-2026.md): a certificate without embedded SCTs is not trusted.
        throw new CaError('ctPolicyNotMet', `no SCTs for ${serial}: CT submission is required`);
      }
      const sctExt = sctLogIds.length === 0 ? undefined : await verifiedSctListExtension(db, {
        serial,
        issuerId: existing.issuerId,
        precertDer: existing.precertDer,
        notBefore: existing.notBefore,
        notAfter: existing.notAfter,
        logIds: sctLogIds,
        logListFile: config.ct.logListFile,
        now: clock(),
      });
      const { issuer, tbs } = await tbsFor(orderId, serial, 'final', sctExt);
      // Checked BEFORE the signature: the final TBS minus the SCT list must be the precertificate's TBS minus the
      // poison, byte for byte (RFC 6962 3.1, BR 7.1.2.9) — otherwise nothing is signed.
      const tbsDer = encodeTbs(tbs);
      if (!finalCorrespondsToPrecert(existing.precertDer, tbsDer)) {
        throw new CaError('correspondenceMismatch', `final certificate ${serial} does not correspond to its precertificate`, { rule: 'RFC 6962 §3.1' });
      }
      await enforceIssuanceGate(db, config, { orderId, serial, step: 'final', tbs, tbsDer, now: clock() });
      const finalDer = await signCertificate(tbs, signer, issuer.keyLabel, tbsDer);
      await storeCertificate(db, serial, finalDer);
      return withOcsp(serial, input.presignOcsp);
    },
  };
}
