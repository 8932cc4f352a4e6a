/**
 * Disabling a CA account (`npm run admin -- account disable <id>`; CP 4.1, RFC 8555 §7.1.6) shuts every door to new
 * orders: its ACME accounts are revoked (RFC 8555 §7.1.6), its API key no longer authenticates, a designated
 * provider's relayed applications are refused, and the one order intake of both doors refuses an inactive applicant
 * or provider even past the door's check. In-flight orders: the signer's gate (test/e2e/issuance-gate.test.ts).
 * The ACME and REST apps in process on a fresh database; the Temporal side is the recording fake.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { createAccount, setAccountStatus } from '../../db/repositories/accounts';
import { createEabKey } from '../../db/repositories/acme-eab';
import { createOrder } from '../../db/repositories/orders';
import { CaError } from '../../domain/errors';
import { currentAcceptance } from '../support/acceptance';
import { externalAccountBinding } from '../support/acme-client';
import { makeCsr } from '../support/csr';
import { baseConfig, client, problem, registeredClient, state, useAcmeTestServer, zone } from './acme-fixture';

const s = useAcmeTestServer('acct_disable');
const newOrder = (c: Awaited<ReturnType<typeof client>>, name: string) => c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
const caAccountOf = async (kid: string) => {
  const [row] = await s.fresh.handle.sql`select account_id from acme_accounts where id = ${kid.split('/').pop()!}`;
  return row!.account_id as string;
};

describe('ACME: disabling the CA account revokes its ACME accounts', () => {
  it('the ACME account of a disabled account can no longer order (unauthorized), and stays revoked', async () => {
    const c = await registeredClient(s);
    const accountId = await caAccountOf(c.kid!);
    expect((await newOrder(c, `before.${zone}`)).status).toBe(201);

    await setAccountStatus(s.fresh.handle.db, accountId, 'disabled', { actor: 'test' });
    const before = await state(s);
    const refused = await newOrder(c, `after.${zone}`);
    expect(refused.status).toBe(403);
    expect((await problem(refused)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect((await state(s)).orders).toBe(before.orders);
    const [audit] = await s.fresh.handle.sql`select data from audit_log where event = 'account.status' order by id desc limit 1`;
    expect(audit!.data).toEqual({ accountId, status: 'disabled', acmeAccountsRevoked: [c.kid!.split('/').pop()] });

    // RFC 8555 §7.1.6: revoked is final; enabling the CA account again does not bring the ACME account back.
    await setAccountStatus(s.fresh.handle.db, accountId, 'active', { actor: 'test' });
    expect((await newOrder(c, `again.${zone}`)).status).toBe(403);
  });

  it('a designated provider disabled: the ACME accounts it bound with external account binding are revoked too', async () => {
    s.eabRequired = true;
    const { account: provider } = await createAccount(s.fresh.handle.db, { name: 'ACME provider', kind: 'provider' });
    const { keyId, hmacKey } = await createEabKey(s.fresh.handle.db, { accountId: provider.id, actor: 'test', encryptionKey: s.eabEncryptionKey });
    const c = await client(s);
    const eab = await externalAccountBinding({ keyId, hmacKey, jwk: c.key.jwk, url: c.directory.newAccount! });
    expect((await c.register({ termsOfServiceAgreed: true, externalAccountBinding: eab })).status).toBe(201);
    await setAccountStatus(s.fresh.handle.db, provider.id, 'disabled', { actor: 'test' });
    const refused = await newOrder(c, `relay.${zone}`);
    expect(refused.status).toBe(403);
    expect((await problem(refused)).type).toBe('urn:ietf:params:acme:error:unauthorized');
  });
});

describe('REST: a disabled designated provider relays nothing', () => {
  it('CP 1.3, 3.4 (1): its relayed application for a subscriber it manages → 401 unauthorized, nothing stored', async () => {
    const app = createApp({ db: s.fresh.handle.db, workflows: s.workflows, config: baseConfig, clock: () => new Date() });
    const provider = await createAccount(s.fresh.handle.db, { name: 'Provider', kind: 'provider' });
    const shop = await createAccount(s.fresh.handle.db, { name: 'Shop', providerAccountId: provider.account.id });
    const relay = () =>
      app.request('/v1/orders', {
        method: 'POST',
        headers: { authorization: `Bearer ${provider.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ csr: makeCsr({ names: [`shop.${zone}`] }).pem, profile: 'dv', onBehalfOf: shop.account.id, acceptance: currentAcceptance() }),
      });
    expect((await relay()).status).toBe(201);
    await setAccountStatus(s.fresh.handle.db, provider.account.id, 'disabled', { actor: 'test' });
    const before = await state(s);
    const refused = await relay();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { type: string }).type).toBe('/problems/unauthorized');
    expect((await state(s)).orders).toBe(before.orders);
  });
});

describe('the order intake of both doors (createOrder) refuses an inactive applicant or provider', () => {
  const order = (accountId: string, providerAccountId: string | null) =>
    createOrder(s.fresh.handle.db, {
      accountId,
      providerAccountId,
      profile: 'dv',
      csrDer: new Uint8Array(0),
      spkiSha256: new Uint8Array(0),
      dnsNames: [`intake.${zone}`],
      validitySeconds: 86_400,
      expiresAt: new Date(Date.now() + 86_400_000),
      authorizations: [],
    });

  it.each([
    ['CP 4.1: a disabled applicant', 'subscriber' as const, 'CP 4.1'],
    ['CP 1.3, 3.4 (1): a disabled relaying provider', 'provider' as const, 'CP 1.3, 3.4 (1)'],
  ])('%s → unauthorized, nothing stored', async (_rule, disabled, rule) => {
    const provider = await createAccount(s.fresh.handle.db, { name: 'P', kind: 'provider' });
    const shop = await createAccount(s.fresh.handle.db, { name: 'S', providerAccountId: provider.account.id });
    await setAccountStatus(s.fresh.handle.db, disabled === 'provider' ? provider.account.id : shop.account.id, 'disabled', { actor: 'test' });
    const before = await state(s);
    const err = await order(shop.account.id, provider.account.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaError);
    expect(err).toMatchObject({ kind: 'unauthorized', details: { rule } });
    expect((await state(s)).orders).toBe(before.orders);
  });
});
