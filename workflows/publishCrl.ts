/**
 * publishCrl — signs and publishes an issuing CA's full CRL (CP 4.9.6–4.9.8, 7.2; BR 4.9.7).
 *
 * Started two ways:
 * - by the Temporal Schedule `crl-schedule-<issuer>` (worker/crl-schedule.ts; at least every 7 days, default daily),
 *   mode 'schedule': one CRL at once;
 * - by revocations, through signal-with-start of `crl-<issuer>` with `crlRequested`, mode 'debounced': it waits until
 *   no revocation came for quietSeconds (at most maxDelaySeconds after the first), then signs one CRL for all of
 *   them; requests arriving meanwhile make it loop. A mass revocation thus costs a few CRLs, not one per certificate.
 *
 * Each CRL is signed on the signing queue and stored by id (the DER never enters the workflow history), then fetched
 * back over http and verified; a verification that keeps failing is recorded for the operators.
 */
import { condition, continueAsNew, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createCrlPublicationActivities, createCrlSigningActivities } from '../activities/crl';
import { crlCheck, signingBatch, storage } from './activity-options';
import { failureOf } from './failures';
import { crlRequestedSignal, type PublishCrlInput, type PublishCrlResult, type PublishedCrl } from './revocation-contracts';

type CrlSigningActivities = ReturnType<typeof createCrlSigningActivities>;
type CrlPublicationActivities = ReturnType<typeof createCrlPublicationActivities>;

/** Debounced runs continue as new after this many CRLs, to keep the history short under a revocation storm. */
const MAX_CRLS_PER_RUN = 50;

export async function publishCrl(input: PublishCrlInput): Promise<PublishCrlResult> {
  // A million entries take seconds to sign; the HSM may be busy with issuance.
  const signing = proxyActivities<CrlSigningActivities>(signingBatch(input.signingTaskQueue));
  // The check is retried for a while, then recorded as failed (the CRL stays served).
  const publication = proxyActivities<CrlPublicationActivities>(crlCheck);
  const bookkeeping = proxyActivities<CrlPublicationActivities>(storage);

  let requests = 0;
  let firstAt = 0;
  let lastAt = 0;
  const triggers = new Set<string>();
  setHandler(crlRequestedSignal, ({ trigger }) => {
    requests++;
    lastAt = Date.now();
    if (firstAt === 0) firstAt = lastAt;
    if (triggers.size < 20) triggers.add(trigger);
  });

  const published: PublishedCrl[] = [];
  const publishOne = async (trigger: string): Promise<void> => {
    const signed = await signing.signCrl({ issuerId: input.issuerId, trigger });
    let verified = true;
    try {
      await publication.verifyPublishedCrl({ crlId: signed.crlId });
    } catch (err) {
      verified = false;
      const error = failureOf(err).message;
      log.error('CRL published but not verified', { issuerId: input.issuerId, crlId: signed.crlId, error });
      await bookkeeping.recordCrlPublicationFailure({ crlId: signed.crlId, error });
    }
    published.push({ ...signed, verified });
  };

  if (input.mode !== 'debounced') {
    await publishOne(input.mode);
    return { issuerId: input.issuerId, published };
  }

  // Debounced: a signal-with-start delivers its signal before the first activation; an empty start publishes once.
  if (requests === 0) {
    requests = 1;
    firstAt = lastAt = Date.now();
  }
  while (requests > 0) {
    for (;;) {
      const due = Math.min(lastAt + input.quietSeconds * 1000, firstAt + input.maxDelaySeconds * 1000);
      const wait = due - Date.now();
      if (wait <= 0) break;
      const seen = requests;
      await condition(() => requests !== seen, wait);
    }
    const trigger = `revocations: ${[...triggers].join(', ')}${requests > triggers.size ? ` (+${requests - triggers.size})` : ''}`;
    requests = 0;
    firstAt = 0;
    triggers.clear();
    await publishOne(trigger);
    if (requests > 0 && published.length >= MAX_CRLS_PER_RUN) {
      // Pending requests are carried over by the new run, which starts with one (see above).
      await continueAsNew<typeof publishCrl>(input);
    }
  }
  return { issuerId: input.issuerId, published };
}
