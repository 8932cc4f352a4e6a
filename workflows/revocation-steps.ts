/**
 * What the two revocation workflows (revokeCertificate, keyCompromise) share: their activities, progress that a
 * query reads, the CaStatus search attribute, and the BR deadline as a durable timer (CP 4.9.5, 4.9.12).
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes, type ActivityOptions, type QueryDefinition } from '@temporalio/workflow';
import type { createCrlPublicationActivities } from '../activities/crl';
import type { createOcspActivities } from '../activities/ocsp';
import type { createRevocationActivities } from '../activities/revocation';
import { searchAttributes } from './contracts';

type RevocationActivities = ReturnType<typeof createRevocationActivities>;
type CrlPublicationActivities = ReturnType<typeof createCrlPublicationActivities>;
type OcspSigningActivities = ReturnType<typeof createOcspActivities>;

/** Revocation bookkeeping and CRL requests on the main queue; OCSP responses signed on the signing queue (HSM). */
export function revocationActivities(options: { storage: ActivityOptions; signing: ActivityOptions }) {
  return {
    storage: proxyActivities<RevocationActivities & CrlPublicationActivities>(options.storage),
    ocsp: proxyActivities<OcspSigningActivities>(options.signing),
  };
}

/** Progress answered to `query`: `current` is the latest state; `update` merges a change into it. */
export function queryableProgress<T extends object>(query: QueryDefinition<T>, initial: T): { readonly current: T; update(change: Partial<T>): void } {
  let current = initial;
  setHandler(query, () => current);
  return {
    get current() {
      return current;
    },
    update(change) {
      current = { ...current, ...change };
    },
  };
}

/** The workflow's CaStatus search attribute (Temporal Web UI), e.g. `revocation-overdue`. */
export function setCaStatus(value: string): void {
  upsertSearchAttributes([{ key: searchAttributes.status, value }]);
}

/**
 * Waits for `work` to settle until `deadline` (ISO-8601), on a durable timer; false when the deadline passed first.
 * The caller still awaits `work` itself, for its result or its failure.
 */
export async function settledBy(work: Promise<unknown>, deadline: string): Promise<boolean> {
  let settled = false;
  const markSettled = () => {
    settled = true;
  };
  work.then(markSettled, markSettled);
  const msLeft = Date.parse(deadline) - Date.now();
  return msLeft > 0 && (await condition(() => settled, msLeft));
}
