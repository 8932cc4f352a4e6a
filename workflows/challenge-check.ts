/**
 * Step 2's check of the challenge an applicant answered, by its method (BR 3.2.2.4.7, .18, .19, .12, .4): activities
 * on the main task queue, retried with backoff for the order's DCV check window (workflows/activity-options.ts).
 */
import { condition, proxyActivities } from '@temporalio/workflow';
import type { createDnsValidationActivities } from '../activities/validation/dns-change';
import type { createEmailValidationActivities } from '../activities/validation/email';
import type { createRdapActivities } from '../activities/validation/rdap';
import type { createWebValidationActivities } from '../activities/validation/web-check';
import type { DcvCheckSpec } from '../domain/dcv';
import { dcvCheck, email } from './activity-options';
import type { AuthorizationToValidate } from './contracts';
import { workflowFailure } from './failures';

type DcvActivities = ReturnType<typeof createDnsValidationActivities> &
  ReturnType<typeof createWebValidationActivities> &
  ReturnType<typeof createRdapActivities>;

/** The challenge of an authorization the applicant answered, and its method. */
export type ChallengeChoice = { challengeId: string; method: string };

/** `emailConfirmed`: whether the recipient of the constructed e-mail confirmed it (the workflow's signal). */
export function challengeChecker(dcvCheckWindowSeconds: number, emailConfirmed: (challengeId: string) => boolean) {
  const dcv = proxyActivities<DcvActivities>(dcvCheck(dcvCheckWindowSeconds));
  const emailValidation = proxyActivities<ReturnType<typeof createEmailValidationActivities>>(email);

  return async function checkChallenge(a: AuthorizationToValidate, pick: ChallengeChoice): Promise<{ spec: DcvCheckSpec | null }> {
    const challenge = { challengeId: pick.challengeId };
    if (pick.method === '3.2.2.4.7') return dcv.checkDnsChange(challenge);
    // The web-based methods go through the one careful HTTP fetcher (activities/validation/http-fetch.ts).
    if (pick.method === '3.2.2.4.18' || pick.method === '3.2.2.4.19') return dcv.checkWebValidation(challenge);
    if (pick.method === '3.2.2.4.12') return dcv.checkRegistrant(challenge);
    if (pick.method === '3.2.2.4.4') {
      // Constructed e-mail: send, then wait for the recipient's confirmation until the random value expires.
      await emailValidation.sendConstructedEmails(challenge);
      const confirmed = await condition(() => emailConfirmed(pick.challengeId), Math.max(1, Date.parse(a.expiresAt) - Date.now()));
      if (!confirmed) throw workflowFailure('validationFailed', 'the e-mail was not confirmed before the random value expired (CP 3.2.2.4.4)');
      return emailValidation.completeEmailValidation(challenge);
    }
    throw workflowFailure('invariantViolated', `no check is wired for DCV method ${pick.method}`);
  };
}
