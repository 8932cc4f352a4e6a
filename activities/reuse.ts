/**
 * Step 2, before waiting for the applicant (BR 4.2.1): reuse an earlier validation of the same applicant and FQDN
 * when policy(now) allows it (domain/dcv.ts `validationReusable`: reuse period 200/100/10 days, never across a
 * method's sunset). The decision is taken here, at the instant the workflow asks, with the policy of that instant.
 */
import type { Db } from '../db/client';
import { findEarlierValidations, markAuthorizationReused } from '../db/repositories/reuse';
import { validationReusable, type DcvMethodId } from '../domain/dcv';
import { policyAt, SECONDS_PER_DAY } from '../domain/policy';

export function createReuseActivities({ db, clock }: { db: Db; clock: () => Date }) {
  return {
    async reuseValidation({ authorizationId }: { authorizationId: string }): Promise<
      { reused: false } | { reused: true; method: DcvMethodId; fromAuthorizationId: string; validatedAt: string }
    > {
      const now = clock();
      const policy = policyAt(now);
      const since = new Date(now.getTime() - policy.dcvReuseDays * SECONDS_PER_DAY * 1000);
      const { self, candidates } = await findEarlierValidations(db, { authorizationId, since });
      if (!self) return { reused: false };
      for (const c of candidates) {
        const verdict = validationReusable(policy, { validatedAt: c.validatedAt, method: c.method as DcvMethodId }, now);
        if (!verdict.ok) continue;
        await markAuthorizationReused(db, { authorizationId, orderId: self.orderId, from: c, fqdn: self.fqdn });
        return { reused: true, method: c.method as DcvMethodId, fromAuthorizationId: c.authorizationId, validatedAt: c.validatedAt.toISOString() };
      }
      return { reused: false };
    },
  };
}
