/**
 * CRL activities (CP 4.9.6–4.9.8, 7.2; BR 4.9.7, 7.2).
 *
 * createCrlSigningActivities — on the SIGNING task queue (the worker holding the HSM session):
 *  - signCrl({ issuerId, trigger }): under a per-issuer transaction lock, draws the next cRLNumber from the
 *    sequence, reads the revoked entries from PostgreSQL, encodes the TBSCertList, signs it in the HSM and stores
 *    the CRL; returns its id (the DER never travels through Temporal). The lock makes overlapping runs (schedule
 *    and revocation) take turns, so numbers and thisUpdate increase together and no revocation is skipped.
 *
 * createCrlPublicationActivities — on the main task queue:
 *  - verifyPublishedCrl({ crlId }): fetches the issuer's CRL back over http from the repository and checks it
 *    (signature with the CA key, issuer bytes, number, times), then records the publication (CP 4.9.8).
 *  - recordCrlPublicationFailure: the check kept failing; recorded for the operators (the CRL stays served).
 *  - requestCrlPublication({ issuerId, trigger }): signal-with-start of the issuer's debounced publisher.
 */
import { createHash } from 'node:crypto';
import { issuerUrls, type CaConfig } from '../config';
import type { Db } from '../db/client';
import { getIssuer } from '../db/repositories/issuers';
import {
  crlEntries,
  getCrlMeta,
  insertCrl,
  latestCrlMeta,
  lockCrlIssuer,
  markCrlVerified,
  nextCrlNumber,
} from '../db/repositories/revocation';
import { CaError } from '../domain/errors';
import { crlPolicy } from '../domain/revocation';
import { certificateFields } from '../pki/ca-hierarchy';
import { bytesEqual } from '../pki/der';
import { readCrl, signCrl as encodeAndSignCrl, verifyCrlSignature } from '../pki/crl';
import { withHeartbeat } from './heartbeat';
import type { Signer } from '../pki/signer';

export interface CrlSigningDeps {
  readonly db: Db;
  readonly signer: Signer;
  readonly config: Pick<CaConfig, 'crl'>;
  readonly clock: () => Date;
}

export interface SignedCrlRef {
  readonly crlId: number;
  readonly crlNumber: string;
  readonly entryCount: number;
  readonly thisUpdate: string;
}

/** Generates, signs and stores one CRL of `issuerId` (also used by the benchmark, outside Temporal). */
export async function generateCrl(deps: CrlSigningDeps, input: { issuerId: string; trigger: string }): Promise<SignedCrlRef> {
  const { db, signer, config, clock } = deps;
  return db.transaction(async (tx) => {
    await lockCrlIssuer(tx, input.issuerId);
    const issuer = await getIssuer(tx, input.issuerId);
    if (!issuer?.certDer) throw new CaError('invariantViolated', `issuing CA ${input.issuerId} has no certificate`);
    const previous = await latestCrlMeta(tx, input.issuerId);
    const crlNumber = await nextCrlNumber(tx);
    // Whole seconds (DER times carry none); never before the previous CRL's thisUpdate.
    let thisSeconds = Math.floor(clock().getTime() / 1000);
    if (previous) thisSeconds = Math.max(thisSeconds, Math.floor(previous.thisUpdate.getTime() / 1000));
    const thisUpdate = new Date(thisSeconds * 1000);
    const validity = Math.min(config.crl.validitySeconds, crlPolicy.maxValiditySeconds);
    const nextUpdate = new Date((thisSeconds + validity) * 1000);
    const entries = await crlEntries(tx, input.issuerId, previous?.thisUpdate ?? null);
    const der = await encodeAndSignCrl(
      { issuerDer: issuer.subjectDer, keyIdentifier: issuer.keyIdentifier, thisUpdate, nextUpdate, crlNumber, entries },
      signer,
      issuer.keyLabel,
    );
    const meta = await insertCrl(tx, {
      issuerId: input.issuerId,
      crlNumber,
      thisUpdate,
      nextUpdate,
      entryCount: entries.count,
      der,
      trigger: input.trigger,
      actor: 'signing-worker',
    });
    return { crlId: meta.id, crlNumber: crlNumber.toString(), entryCount: entries.count, thisUpdate: thisUpdate.toISOString() };
  });
}

export function createCrlSigningActivities(deps: CrlSigningDeps) {
  return {
    async signCrl(input: { issuerId: string; trigger: string }): Promise<SignedCrlRef> {
      // A million entries take seconds: heartbeat, so a signing worker that dies is noticed at once, not after the
      // attempt's whole timeout.
      return withHeartbeat(() => generateCrl(deps, input));
    },
  };
}

export interface CrlPublicationDeps {
  readonly db: Db;
  readonly config: Pick<CaConfig, 'certificateBaseUrl' | 'api'>;
  readonly clock: () => Date;
  /** Signal-with-start of the issuer's debounced publisher (temporal/client.ts `requestCrlPublication`). */
  readonly requestCrlPublication: (issuerId: string, trigger: string) => Promise<void>;
  readonly fetch?: typeof fetch;
}

/**
 * Where the publication check fetches the CRL: the CRL DP path of the certificates (config `issuerUrls`) on the
 * repository's base URL. In production both are CA_PUBLIC_BASE_URL, so this is the CRL DP URL itself; in
 * development the certificates name a documentation host (ca.example.jp, for the linters) and the check goes to
 * the local API instead.
 */
export function crlFetchUrl(config: Pick<CaConfig, 'certificateBaseUrl' | 'api'>, issuerId: string): string {
  return new URL(new URL(issuerUrls(config, issuerId).crl).pathname, `${config.api.publicBaseUrl}/`).toString();
}

export function createCrlPublicationActivities(deps: CrlPublicationDeps) {
  const doFetch = deps.fetch ?? fetch;
  return {
    async verifyPublishedCrl({ crlId }: { crlId: number }): Promise<{ servedCrlNumber: string }> {
      const meta = await getCrlMeta(deps.db, crlId);
      if (!meta) throw new CaError('invariantViolated', `CRL ${crlId} not found`);
      const issuer = await getIssuer(deps.db, meta.issuerId);
      if (!issuer?.certDer) throw new CaError('invariantViolated', `issuer ${meta.issuerId} has no certificate`);
      const url = crlFetchUrl(deps.config, meta.issuerId);
      const res = await doFetch(url, { signal: AbortSignal.timeout(10_000) });
      // Retryable until the activity's schedule-to-close timeout: the API may be starting, a cache may lag.
      if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/pkix-crl')) throw new Error(`GET ${url}: content-type ${type}, expected application/pkix-crl (RFC 5280 4.2.1.13)`);
      const der = new Uint8Array(await res.arrayBuffer());
      const served = readCrl(der);
      if (served.crlNumber < meta.crlNumber) throw new Error(`GET ${url}: serves CRL number ${served.crlNumber}, not yet ${meta.crlNumber}`);
      if (served.crlNumber === meta.crlNumber) {
        const digest = new Uint8Array(createHash('sha256').update(der).digest());
        if (!bytesEqual(digest, meta.sha256)) throw new Error(`GET ${url}: the served CRL ${meta.crlNumber} differs from the stored one`);
      }
      if (!bytesEqual(served.issuerDer, issuer.subjectDer)) throw new Error(`GET ${url}: the CRL issuer is not the CA subject byte for byte (BR 7.2)`);
      if (!verifyCrlSignature(der, certificateFields(issuer.certDer).spkiDer)) throw new Error(`GET ${url}: the CRL signature does not verify with the CA key`);
      if (served.nextUpdate.getTime() - served.thisUpdate.getTime() > crlPolicy.maxValiditySeconds * 1000) {
        throw new Error(`GET ${url}: nextUpdate is more than 10 days after thisUpdate (CP 4.9.7)`);
      }
      await markCrlVerified(deps.db, crlId, { at: deps.clock(), error: null });
      return { servedCrlNumber: served.crlNumber.toString() };
    },

    async recordCrlPublicationFailure({ crlId, error }: { crlId: number; error: string }): Promise<void> {
      await markCrlVerified(deps.db, crlId, { at: deps.clock(), error });
    },

    async requestCrlPublication({ issuerId, trigger }: { issuerId: string; trigger: string }): Promise<void> {
      await deps.requestCrlPublication(issuerId, trigger);
    },
  };
}
