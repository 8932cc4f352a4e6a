/**
 * What the issuance workflow does for a serial once a precertificate exists (BR 7.1.2.9: it stands for its
 * certificate): pre-sign its OCSP response, and — should the order fail after step 7 — revoke the presumed certificate.
 */
import { log, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createOcspActivities } from '../activities/ocsp';
import type { createStorageActivities } from '../activities/storage';
import { bookkeeping, ocspPresign, storage as storageOptions } from './activity-options';
import { failureOf } from './failures';

type Compensation = Pick<ReturnType<typeof createStorageActivities>, 'revokePresumedCertificate'>;
const storage = proxyActivities<Compensation>(storageOptions);
/** The same bookkeeping as a local activity (histories since the `cost-per-certificate` patch). */
const storageLocal = proxyLocalActivities<Compensation>(bookkeeping);
/** The compensation's CRL request: signal-with-start of the issuer's publisher, from the main queue. */
const crl = proxyActivities<ReturnType<typeof createCrlPublicationActivities>>(storageOptions);

/** OCSP pre-signing on the signing queue; a failure never fails the order (the ocsp-refresh schedule catches up). */
export async function presignOcsp(signingTaskQueue: string, serial: string): Promise<void> {
  if (!patched('ocsp-presign')) return;
  const ocsp = proxyActivities<ReturnType<typeof createOcspActivities>>(ocspPresign(signingTaskQueue));
  try {
    await ocsp.signOcspResponses({ serials: [serial] });
  } catch (err) {
    log.warn('OCSP pre-signing failed; the ocsp-refresh schedule will sign it', { serial, error: failureOf(err).message });
  }
}

/**
 * Compensation after step 7: the presumed certificate is revoked, its OCSP response (pre-signed "good" at step 7)
 * re-signed as revoked at once, and the issuer's debounced CRL publisher asked for a new CRL (CP 4.9.5;
 * workflows/publishCrl.ts). `issuerId`: the reservation's issuer, whose CRL lists the serial.
 */
export async function revokePresumedCertificate(
  p: { orderId: string; serial: string; detail: string; issuerId: string | null; signingTaskQueue: string },
  lean: boolean,
): Promise<void> {
  await (lean ? storageLocal : storage).revokePresumedCertificate({ orderId: p.orderId, serial: p.serial, detail: p.detail });
  await presignOcsp(p.signingTaskQueue, p.serial);
  if (patched('crl-on-compensation')) {
    await crl.requestCrlPublication({ issuerId: p.issuerId ?? 'dv', trigger: `compensation:${p.serial}` });
  }
}
