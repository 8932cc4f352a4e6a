/**
 * OCSP activities (RFC 5019 pre-signed responses, CP 4.9.9–4.10, 7.3).
 *
 * createOcspActivities — on the SIGNING task queue (worker/signing.ts), where the HSM is:
 * - signOcspResponses({ serials }): (re)signs the response of each serial from its CURRENT row in `certificates`
 *   (good, or revoked with revocationTime and reason) and stores it. Called by the issuance workflow at step 7
 *   (the precertificate's serial is answered authoritatively from then on, BR 4.9.10: within 15 minutes) and after
 *   step 10, by the revocation workflow right after a revocation, and by the refresh schedule. Idempotent: signing
 *   again just produces a newer response; storage never lets an older or a `good` response replace a revoked one.
 * - ensureOcspResponder({ issuerId }): the delegated responder certificate (CP 7.3) of an issuing CA, issued by that
 *   CA in the HSM with the responder key also in the HSM, renewed once fewer than renewBefore seconds are left.
 *
 * createOcspStorageActivities — on the main task queue (database only): which serials are due for a refresh.
 *
 * Nothing here takes bytes to sign from the caller: every response is built from the database, like certificates.
 */
import { issuerUrls, type CaConfig } from '../config';
import type { Db } from '../db/client';
import { getIssuer } from '../db/repositories/issuers';
import {
  certificateStatusesFor,
  currentOcspResponder,
  insertOcspResponder,
  listOcspRefreshDue,
  storeOcspResponses,
  type NewOcspResponse,
  type OcspResponder,
} from '../db/repositories/ocsp';
import { CaError } from '../domain/errors';
import { ocspResponderRenewalDue, ocspResponseWindow } from '../domain/ocsp';
import { certificateFields, randomSerialHex } from '../pki/ca-hierarchy';
import { signCertificate } from '../pki/certificate';
import type { Hsm } from '../pki/hsm';
import { buildOcspResponderTbs, buildOcspResponse, certIdIssuerHashes, ocspServerName, responderKeyHash, type OcspCertStatus } from '../pki/ocsp';
import type { Signer } from '../pki/signer';
import { activityLog } from './activity-log';
import { withHeartbeat } from './heartbeat';

export interface OcspSigningDeps {
  readonly db: Db;
  readonly signer: Signer;
  /** Key generation for the responder keys (the HSM; CP 6.1.1: generated in and never leaving it). */
  readonly keys: Pick<Hsm, 'hasKeyPair' | 'generateRsaKeyPair'>;
  readonly config: Pick<CaConfig, 'certificateBaseUrl' | 'ocsp'>;
  readonly clock: () => Date;
}

/** One responder key per issuing CA, reused across certificate renewals. */
export const ocspResponderKeyLabel = (issuerId: string): string => `ocsp-${issuerId}`;

const ACTOR = 'ocsp-signer';

const logInfo = (message: string, meta: Record<string, unknown>) => activityLog('info', message, meta);

interface IssuerInfo {
  readonly id: string;
  readonly keyLabel: string;
  readonly subjectDer: Uint8Array;
  readonly keyIdentifier: Uint8Array;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
}

export function createOcspActivities({ db, signer, keys, config, clock }: OcspSigningDeps) {
  const timing = config.ocsp.timing;
  const issuers = new Map<string, IssuerInfo>();
  const responders = new Map<string, OcspResponder>();
  // Responder issuance is serialized per process: two concurrent callers must not both generate the key.
  let issuing: Promise<unknown> = Promise.resolve();

  async function issuerInfo(issuerId: string): Promise<IssuerInfo> {
    const cached = issuers.get(issuerId);
    if (cached) return cached;
    const row = await getIssuer(db, issuerId);
    if (!row?.certDer) {
      throw new CaError('invariantViolated', `issuing CA ${issuerId} has no certificate: no OCSP responses can be signed`);
    }
    const { subjectDer, spkiDer } = certificateFields(row.certDer);
    const info = { id: row.id, keyLabel: row.keyLabel, subjectDer, keyIdentifier: row.keyIdentifier, ...certIdIssuerHashes(subjectDer, spkiDer, 'sha1') };
    issuers.set(issuerId, info);
    return info;
  }

  async function issueResponder(issuerId: string): Promise<OcspResponder> {
    const run = issuing.then(async () => {
      const now = clock();
      // Another caller may have issued one while we waited.
      const fresh = await currentOcspResponder(db, issuerId, now, new Date(now.getTime() + timing.responderRenewBeforeSeconds * 1000));
      if (fresh) return fresh;
      const issuer = await issuerInfo(issuerId);
      const label = ocspResponderKeyLabel(issuerId);
      if (!(await keys.hasKeyPair(label))) await keys.generateRsaKeyPair(label);
      const spkiDer = await signer.publicKeySpki(label);
      const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
      const notAfter = new Date(notBefore.getTime() + timing.responderValiditySeconds * 1000 - 1000);
      const serialHex = randomSerialHex();
      const tbs = buildOcspResponderTbs({
        serialHex,
        issuer: { subjectDer: issuer.subjectDer, keyIdentifier: issuer.keyIdentifier },
        serverName: ocspServerName(issuerUrls(config, issuerId).ocsp),
        notBefore,
        notAfter,
        spkiDer,
      });
      const certDer = await signCertificate(tbs, signer, issuer.keyLabel);
      const row = await insertOcspResponder(
        db,
        { serial: serialHex.replace(/^0+/, ''), issuerId, keyLabel: label, certDer, keyHash: responderKeyHash(spkiDer), notBefore, notAfter },
        { actor: ACTOR },
      );
      logInfo('issued a delegated OCSP responder certificate', { issuerId, serial: row.serial, notAfter: notAfter.toISOString() });
      return row;
    });
    issuing = run.catch(() => undefined);
    return run;
  }

  /** A responder valid now that outlives `validUntil` (nextUpdate ≤ responder notAfter): cached, stored or new. */
  async function responderFor(issuerId: string, now: Date, validUntil: Date): Promise<OcspResponder> {
    const cached = responders.get(issuerId);
    if (cached && cached.notBefore <= now && cached.notAfter >= validUntil) return cached;
    const row = (await currentOcspResponder(db, issuerId, now, validUntil)) ?? (await issueResponder(issuerId));
    if (row.notAfter < validUntil) {
      throw new CaError('invariantViolated', `responder ${row.serial} expires before the response would`);
    }
    responders.set(issuerId, row);
    return row;
  }

  return {
    /** Issues a new responder certificate for `issuerId` when the current one is missing or due for renewal. */
    async ensureOcspResponder({ issuerId }: { issuerId: string }): Promise<{ serial: string; notAfter: string; renewed: boolean }> {
      const now = clock();
      const current = await currentOcspResponder(db, issuerId, now, now);
      if (current && !ocspResponderRenewalDue(current.notAfter, now, timing)) {
        return { serial: current.serial, notAfter: current.notAfter.toISOString(), renewed: false };
      }
      const row = await issueResponder(issuerId);
      responders.set(issuerId, row);
      return { serial: row.serial, notAfter: row.notAfter.toISOString(), renewed: true };
    },

    /** (Re)signs and stores the responses of `serials` from their current status. Unknown or reserved serials are skipped. */
    async signOcspResponses({ serials }: { serials: string[] }): Promise<void> {
      // A refresh batch is hundreds of signatures: heartbeat, so a signing worker that dies is noticed at once.
      return withHeartbeat(() => signResponses(serials));
    },
  };

  async function signResponses(serials: string[]): Promise<void> {
    const rows = await certificateStatusesFor(db, serials);
    const now = clock();
    const { thisUpdate, nextUpdate } = ocspResponseWindow(now, timing);
    const signed = await Promise.all(
      rows
        // A reserved serial has nothing signed yet: it must stay "unauthorized" (never good, BR 4.9.10).
        .filter((r) => r.status !== 'reserved')
        .map(async (r): Promise<NewOcspResponse> => {
          const issuer = await issuerInfo(r.issuerId);
          const responder = await responderFor(r.issuerId, now, nextUpdate);
          const certStatus: OcspCertStatus =
            r.status === 'revoked'
              ? { status: 'revoked', revokedAt: r.revokedAt ?? now, reason: r.revocationReason ?? 0 }
              : { status: 'good' };
          const responseDer = await buildOcspResponse(
            {
              issuerNameHash: issuer.issuerNameHash,
              issuerKeyHash: issuer.issuerKeyHash,
              serialHex: r.serial,
              certStatus,
              thisUpdate,
              nextUpdate,
              producedAt: now,
              responder: { certDer: responder.certDer, keyHash: responder.keyHash, keyLabel: responder.keyLabel },
            },
            signer,
          );
          return { serial: r.serial, issuerId: r.issuerId, certStatus: certStatus.status, thisUpdate, nextUpdate, responderSerial: responder.serial, responseDer };
        }),
    );
    const skipped = serials.length - signed.length;
    if (skipped > 0) logInfo('OCSP: serials without a signed (pre)certificate were not signed', { skipped });
    await storeOcspResponses(db, signed, { actor: ACTOR });
  }
}

export interface OcspStorageDeps {
  readonly db: Db;
  readonly config: Pick<CaConfig, 'ocsp'>;
  readonly clock: () => Date;
}

export function createOcspStorageActivities({ db, config, clock }: OcspStorageDeps) {
  return {
    /** Serials whose response is missing, older than refreshAfter, or disagrees with the certificate's status. */
    async listOcspRefreshDue({ limit }: { limit: number }): Promise<string[]> {
      const now = clock();
      return listOcspRefreshDue(db, { now, refreshBefore: new Date(now.getTime() - config.ocsp.timing.refreshAfterSeconds * 1000), limit });
    },
  };
}
