/**
 * Authorizations and challenges (RFC 8555 §7.5): reading them, and answering a challenge (§7.5.1), which fixes the
 * key authorization (§8.1) and tells the order's workflow that the record or file is in place (issuance cycle step 2).
 */
import { Hono } from 'hono';
import { acmeOrderIdOfAuthorization, acmeOrderIdOfChallenge, clearChallengeResponse, corroboratedAuthorizationIds, respondToChallenge } from '../../db/repositories/acme';
import { CaError } from '../../domain/errors';
import { workflowUnavailableRetryAfterSeconds } from '../order-intake';
import { jsonPayload } from './jws';
import { authorizationShown, presentAuthorization, presentChallenge } from './presenters';
import { CHALLENGE_RETRY_AFTER_SECONDS, RETRY_AFTER_SECONDS, requireAccount, type AcmeEnv, type AcmeKit } from './requests';

export function authorizationsApp({ deps, urls, verified, reply, ownOrder }: AcmeKit) {
  const app = new Hono<AcmeEnv>();

  app.post('/authz/:id', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const orderId = await acmeOrderIdOfAuthorization(deps.db, c.req.param('id'));
    if (!orderId) throw new CaError('notFound', 'no such authorization');
    const o = await ownOrder(account, orderId);
    const a = o.authorizations.find((x) => x.id === c.req.param('id'))!;
    if (v.payloadText !== '') {
      const p = jsonPayload(v.payloadText);
      if (p.status === 'deactivated') throw new CaError('malformed', 'deactivating authorizations is not supported: they end with their order');
    }
    const view = presentAuthorization(urls, o, a, await corroboratedAuthorizationIds(deps.db, o.id));
    if (view.status === 'pending') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return reply(c, view);
  });

  app.post('/chall/:id', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const ref = await acmeOrderIdOfChallenge(deps.db, c.req.param('id'));
    if (!ref) throw new CaError('notFound', 'no such challenge');
    const o = await ownOrder(account, ref.orderId);
    const a = o.authorizations.find((x) => x.id === ref.authorizationId)!;
    const ch = a.challenges.find((x) => x.id === c.req.param('id'))!;
    const replyWith = async (keyAuthorization: string | null) => {
      const shown = presentChallenge(urls, { ...ch, keyAuthorization }, authorizationShown(o, a, await corroboratedAuthorizationIds(deps.db, o.id)), o.error);
      if (shown.status === 'processing') c.header('Retry-After', String(CHALLENGE_RETRY_AFTER_SECONDS));
      return reply(c, shown);
    };
    c.header('Link', `<${urls.authz(ref.authorizationId)}>;rel="up"`, { append: true });
    if (v.payloadText === '') return replyWith(ch.keyAuthorization);
    jsonPayload(v.payloadText); // §7.5.1: the response is an empty JSON object (its members are ignored).
    // §8.1: key authorization = token || '.' || base64url(JWK thumbprint of the account key) — fixed now.
    const keyAuthorization = `${ch.token}.${account.jwkThumbprint}`;
    const changed = await respondToChallenge(deps.db, { challengeId: ch.id, keyAuthorization, acmeAccountId: account.id, now: deps.clock() });
    if (changed) {
      try {
        await deps.workflows.signalChallengeReady(o.id, ch.id);
      } catch {
        await clearChallengeResponse(deps.db, ch.id);
        throw new CaError('serviceUnavailable', 'the workflow service is unavailable; answer the challenge again later', { retryAfterSeconds: workflowUnavailableRetryAfterSeconds });
      }
    }
    // respondToChallenge changed nothing but this challenge's key authorization (and only when `changed`).
    return replyWith(changed ? keyAuthorization : ch.keyAuthorization);
  });

  return app;
}
