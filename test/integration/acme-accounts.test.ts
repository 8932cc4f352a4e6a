/**
 * RFC 8555 §7.3 accounts: newAccount, contacts, update and deactivation, keyChange, and external account binding
 * (§7.3.4).
 * The server, its fresh database and the recording Temporal fake: ./acme-fixture.ts.
 */
import { describe, expect, it } from 'vitest';
import { base64url } from 'jose';
import { createAccount } from '../../db/repositories/accounts';
import { createEabKey } from '../../db/repositories/acme-eab';
import { externalAccountBinding, newAccountKey, signJws } from '../support/acme-client';
import { BASE, client, problem, registeredClient, state, useAcmeTestServer, zone } from './acme-fixture';

const s = useAcmeTestServer('acme_acct');

describe('RFC 8555 §7.3 accounts', () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)('creates an account with a %s key, finds it again, and only returns existing ones when asked', async (alg) => {
    const c = await client(s, alg);
    const before = await state(s);
    const created = await c.register();
    expect(created.status).toBe(201);
    expect(c.kid).toMatch(new RegExp(`^${BASE}/acct/[0-9a-f-]{36}$`));
    expect(await created.json()).toMatchObject({ status: 'valid', contact: ['mailto:ops@example.jp'], termsOfServiceAgreed: true, orders: `${c.kid}/orders` });
    const again = await c.post(c.directory.newAccount!, { onlyReturnExisting: true }, { useJwk: true });
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(c.kid);
    const after = await state(s);
    expect(after.acme_accounts).toBe(before.acme_accounts + 1);
    expect(after.accounts).toBe(before.accounts + 1);
  });

  it('onlyReturnExisting with an unknown key is accountDoesNotExist and creates nothing', async () => {
    const c = await client(s);
    const before = await state(s);
    const res = await c.post(c.directory.newAccount!, { onlyReturnExisting: true }, { useJwk: true });
    expect(res.status).toBe(400);
    expect((await problem(res)).type).toBe('urn:ietf:params:acme:error:accountDoesNotExist');
    expect(await state(s)).toEqual(before);
  });

  it('refuses contacts other than one mailto address (unsupportedContact, invalidContact) and missing ToS agreement', async () => {
    const c = await client(s);
    const before = await state(s);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ termsOfServiceAgreed: true, contact: ['tel:+81312345678'] }, 'unsupportedContact'],
      [{ termsOfServiceAgreed: true, contact: ['mailto:a@example.jp?subject=x'] }, 'invalidContact'],
      [{ termsOfServiceAgreed: true, contact: ['mailto:not-an-address'] }, 'invalidContact'],
      [{ contact: ['mailto:a@example.jp'] }, 'userActionRequired'],
    ];
    for (const [payload, type] of cases) {
      const res = await c.post(c.directory.newAccount!, payload, { useJwk: true });
      expect((await problem(res)).type).toBe(`urn:ietf:params:acme:error:${type}`);
    }
    expect(await state(s)).toEqual(before);
  });

  it('updates the contact and deactivates; a deactivated account can do nothing more (§7.3.6)', async () => {
    const c = await registeredClient(s);
    const upd = await c.post(c.kid!, { contact: ['mailto:new@example.jp'] });
    expect(upd.status).toBe(200);
    expect(((await upd.json()) as { contact: string[] }).contact).toEqual(['mailto:new@example.jp']);
    const get = await c.post(c.kid!, '');
    expect(((await get.json()) as { contact: string[] }).contact).toEqual(['mailto:new@example.jp']);
    const deact = await c.post(c.kid!, { status: 'deactivated' });
    expect(((await deact.json()) as { status: string }).status).toBe('deactivated');
    const before = await state(s);
    const after = await c.post(c.directory.newOrder!, { identifiers: [{ type: 'dns', value: `x.${zone}` }] });
    expect(after.status).toBe(403);
    expect((await problem(after)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const reg = await c.post(c.directory.newAccount!, { termsOfServiceAgreed: true }, { useJwk: true });
    expect((await problem(reg)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(await state(s)).toEqual(before);
  });

  it('keyChange (§7.3.5): the new key works, the old one no longer does, and a key in use by another account is a 409', async () => {
    const c = await registeredClient(s);
    const oldKey = c.key;
    const newKey = await newAccountKey('ES384');
    const inner = await signJws(newKey, { jwk: newKey.jwk, url: c.directory.keyChange }, { account: c.kid, oldKey: oldKey.jwk });
    const res = await c.post(c.directory.keyChange!, inner);
    expect(res.status).toBe(200);
    c.key = newKey;
    expect((await c.post(c.kid!, '')).status).toBe(200);
    const withOld = await c.post(c.kid!, '', { key: oldKey });
    expect((await problem(withOld)).type).toBe('urn:ietf:params:acme:error:malformed');

    const other = await client(s);
    await other.register();
    const before = await state(s);
    const clash = await signJws(other.key, { jwk: other.key.jwk, url: c.directory.keyChange }, { account: c.kid, oldKey: newKey.jwk });
    const conflict = await c.post(c.directory.keyChange!, clash);
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('location')).toBe(other.kid);
    expect(await state(s)).toEqual(before);
  });
});

describe('RFC 8555 §7.3.4 external account binding', () => {
  it('is required when configured, binds the ACME account to the provider account, and is single use', async () => {
    s.eabRequired = true;
    const provider = await createAccount(s.fresh.handle.db, { name: 'Designated Provider', kind: 'provider' });
    const { keyId, hmacKey } = await createEabKey(s.fresh.handle.db, { accountId: provider.account.id, actor: 'test', encryptionKey: s.eabEncryptionKey });
    const c = await client(s);
    const before = await state(s);
    const without = await c.register();
    expect((await problem(without)).type).toBe('urn:ietf:params:acme:error:externalAccountRequired');
    const wrongMac = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey: base64url.encode(new Uint8Array(32).fill(7)), jwk: c.key.jwk, url: c.directory.newAccount! }) });
    expect((await problem(wrongMac)).type).toBe('urn:ietf:params:acme:error:unauthorized');
    const otherKey = await newAccountKey();
    const wrongJwk = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: otherKey.jwk, url: c.directory.newAccount! }) });
    expect((await problem(wrongJwk)).type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await state(s)).toEqual(before);

    const ok = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: c.key.jwk, url: c.directory.newAccount! }) });
    expect(ok.status).toBe(201);
    const [row] = await s.fresh.handle.sql`select account_id, eab_key_id from acme_accounts where id = ${c.kid!.split('/').pop()!}`;
    expect(row).toEqual({ account_id: provider.account.id, eab_key_id: keyId });
    expect((await state(s)).accounts).toBe(before.accounts); // no subscriber account was made: the provider's is used

    const second = await client(s);
    const reuse = await second.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: second.key.jwk, url: c.directory.newAccount! }) });
    expect((await problem(reuse)).type).toBe('urn:ietf:params:acme:error:unauthorized');
  });
});
