/**
 * CT submission activities (issuance cycle step 8) on the main task queue (network I/O, no CA key). The workflow
 * asks for the plan (logs and the SCT count the CT policy requires for this certificate's lifetime), then submits
 * the stored precertificate chain to every log in parallel with its own timeout and retries, and stops as soon as
 * the collected SCTs meet the policy (domain/ct-policy.ts).
 *
 * Each SCT is checked before it is stored: RFC 6962 v1, log id = SHA-256(configured key), signature over the
 * precert_entry (RFC 6962 3.2) verified with the configured key, and a timestamp inside the submission window
 * (RFC 6962 3.2: the log's current time; a timestamp from the future or from before we asked is refused).
 */
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { getCertificateBySerial } from '../../db/repositories/certificates';
import { appendAudit } from '../../db/repositories/audit';
import { listScts, storeSct } from '../../db/repositories/ct-lint';
import { getIssuer } from '../../db/repositories/issuers';
import { ctRequirement, lifetimeDays, type CtPlan } from '../../domain/ct-policy';
import { CaError } from '../../domain/errors';
import { policyAt } from '../../domain/policy';
import { ctSubmissionErrors, ctSubmissionSeconds } from '../../observability/metrics';
import { tbsWithoutCtExtensions } from '../../pki/certificate';
import { encodeSct, verifyPrecertSct } from '../../pki/sct';
import { addPreChain, CtLogHttpError } from './client';
import { loadCtLogList, submittable } from './log-list';
import { spkiOfCertificate } from './scts';

export interface CtDeps {
  readonly db: Db;
  readonly config: Pick<CaConfig, 'ct'>;
  readonly clock?: () => Date;
  readonly fetchImpl?: typeof fetch;
}

/** Tolerated clock difference between a log and this CA when checking an SCT timestamp. */
export const SCT_CLOCK_SKEW_MS = 60_000;

export function createCtActivities({ db, config, clock = () => new Date(), fetchImpl }: CtDeps) {
  return {
    /** Step 8, first: the logs to submit to and what the CT policy requires for this certificate's lifetime. */
    async planCtSubmission({ serial }: { serial: string }): Promise<CtPlan> {
      const base = { deadlineSeconds: config.ct.deadlineSeconds, attemptTimeoutSeconds: config.ct.attemptTimeoutSeconds };
      if (!config.ct.submission) return { enabled: false, logs: [], requirement: null, ...base };
      const cert = await getCertificateBySerial(db, serial);
      if (!cert) throw new CaError('invariantViolated', `certificate ${serial} not found`);
      // Usable or qualified logs whose temporal interval holds this certificate's notAfter (Chrome/Apple CT policy).
      const logs = submittable(loadCtLogList(config.ct.logListFile), cert.notAfter);
      return {
        enabled: true,
        logs: logs.map((l) => ({ id: l.id, operator: l.operator, api: l.api })),
        requirement: ctRequirement(policyAt(clock()), lifetimeDays(cert.notBefore, cert.notAfter)),
        ...base,
      };
    },

    /**
     * Step 8: add-pre-chain of the stored precertificate to one log; the verified SCT is stored (once per log).
     * Transient failures (network, timeout, 5xx, 429) are retried by Temporal with backoff; a log that refuses the
     * chain (4xx) or answers with an SCT that does not verify fails for good (non-retryable).
     */
    async submitToCtLog({ orderId, serial, logId }: { orderId: string; serial: string; logId: string }): Promise<{ logId: string; timestamp: number }> {
      const stored = await listScts(db, serial, [logId]);
      if (stored[0]) return { logId, timestamp: stored[0].sctTimestamp.getTime() };
      const cert = await getCertificateBySerial(db, serial);
      if (!cert?.precertDer) throw new CaError('invariantViolated', `no precertificate stored for ${serial}`);
      const log = loadCtLogList(config.ct.logListFile).find((l) => l.id === logId);
      if (!log) throw new CaError('ctLogRejected', `CT log ${logId} is not in the log list`);
      // The list may have changed since the plan: a log no longer usable, or whose shard does not take this notAfter.
      if (submittable([log], cert.notAfter).length === 0) {
        throw new CaError('ctLogRejected', `CT log ${logId} is ${log.state} or does not take certificates expiring ${cert.notAfter.toISOString()}`);
      }
      const issuer = await getIssuer(db, cert.issuerId);
      if (!issuer?.certDer) throw new CaError('invariantViolated', `issuing CA ${cert.issuerId} has no certificate`);
      const parent = issuer.parentId ? await getIssuer(db, issuer.parentId) : null;
      // The chain up to the root: the log must be able to build a path to one of its accepted roots (RFC 6962 4.1).
      const chain = [cert.precertDer, issuer.certDer, ...(parent?.certDer ? [parent.certDer] : [])];

      const askedAt = clock().getTime();
      const timer = ctSubmissionSeconds.startTimer({ log: logId });
      const failed = (reason: 'refused' | 'unavailable' | 'invalid_sct') => {
        timer({ outcome: reason });
        ctSubmissionErrors.inc({ log: logId, reason });
      };
      let sct;
      try {
        sct = await addPreChain(log.url, chain, { timeoutMs: config.ct.attemptTimeoutSeconds * 1000, ...(fetchImpl ? { fetchImpl } : {}) });
      } catch (e) {
        if (e instanceof CtLogHttpError && e.permanent) {
          failed('refused');
          throw new CaError('ctLogRejected', `CT log ${logId} refused the precertificate: ${e.message}`);
        }
        failed('unavailable');
        throw new Error(`CT log ${logId}: ${(e as Error).message}`);
      }
      const answeredAt = clock().getTime();

      const check = verifyPrecertSct(sct, {
        logSpkiDer: log.spkiDer,
        issuerSpkiDer: spkiOfCertificate(issuer.certDer),
        tbsDer: tbsWithoutCtExtensions(cert.precertDer),
      });
      let problem = check.ok ? null : check.reason;
      if (!problem && (sct.timestamp > answeredAt + SCT_CLOCK_SKEW_MS || sct.timestamp < askedAt - SCT_CLOCK_SKEW_MS)) {
        problem = `SCT timestamp ${new Date(sct.timestamp).toISOString()} is outside the submission window ` +
          `${new Date(askedAt).toISOString()}..${new Date(answeredAt).toISOString()} (± ${SCT_CLOCK_SKEW_MS / 1000} s)`;
      }
      if (problem) {
        failed('invalid_sct');
        await db.transaction((tx) => appendAudit(tx, {
          actor: 'workflow',
          event: 'certificate.sct_rejected',
          orderId,
          serial,
          data: { logId, operator: log.operator, reason: problem },
        }));
        throw new CaError('ctSctInvalid', `CT log ${logId}: ${problem}`, { rule: 'RFC 6962 §3.2' });
      }
      timer({ outcome: 'ok' });
      await storeSct(db, {
        serial,
        orderId,
        logId,
        logKeyId: log.keyId,
        operator: log.operator,
        api: log.api,
        sct: encodeSct(sct),
        sctTimestamp: new Date(sct.timestamp),
        actor: 'workflow',
      });
      return { logId, timestamp: sct.timestamp };
    },
  };
}
