/**
 * RFC 8555 §7.3.4 EAB HMAC keys are kept encrypted (AES-256-GCM under the key file config acme.eabEncryptionKeyFile,
 * bound to the key id): a copy of the database binds no account. Rows written before are sealed after the migrations
 * (sealPlaintextEabKeys, run by npm start, the test setup and npm run db:migrate).
 */
import { randomBytes } from 'node:crypto';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../db/repositories/accounts';
import { createEabKey, sealPlaintextEabKeys, usableEabHmacKey } from '../../db/repositories/acme-eab';
import { externalAccountBinding } from '../support/acme-client';
import { client, problem, useAcmeTestServer } from './acme-fixture';

const s = useAcmeTestServer('acme_eab_rest');

async function row(keyId: string) {
  const [r] = await s.fresh.handle.sql`select hmac_key, hmac_key_sealed from acme_eab_keys where key_id = ${keyId}`;
  return r as { hmac_key: Uint8Array | null; hmac_key_sealed: Uint8Array | null };
}

async function bind(keyId: string, hmacKey: string) {
  const c = await client(s);
  return c.register({ termsOfServiceAgreed: true, externalAccountBinding: await externalAccountBinding({ keyId, hmacKey, jwk: c.key.jwk, url: c.directory.newAccount! }) });
}

describe('EAB HMAC keys at rest', () => {
  it('a new key is stored sealed only: the database holds no byte string of the HMAC key, and it still binds', async () => {
    const provider = await createAccount(s.fresh.handle.db, { name: 'provider', kind: 'provider' });
    const { keyId, hmacKey } = await createEabKey(s.fresh.handle.db, { accountId: provider.account.id, actor: 'test', encryptionKey: s.eabEncryptionKey });
    const r = await row(keyId);
    expect(r.hmac_key).toBeNull();
    expect(Buffer.from(r.hmac_key_sealed!).includes(Buffer.from(base64url.decode(hmacKey)))).toBe(false);
    const dump = await s.fresh.handle.sql`select encode(hmac_key_sealed, 'hex') as h from acme_eab_keys`;
    expect(JSON.stringify(dump)).not.toContain(Buffer.from(base64url.decode(hmacKey)).toString('hex'));
    expect((await bind(keyId, hmacKey)).status).toBe(201);
  });

  it('a row stored in plaintext before is sealed after the migrations, audited, and still binds', async () => {
    const provider = await createAccount(s.fresh.handle.db, { name: 'older provider', kind: 'provider' });
    const hmac = new Uint8Array(randomBytes(32));
    await s.fresh.handle.sql`insert into acme_eab_keys (key_id, account_id, hmac_key) values ('eab_legacy', ${provider.account.id}, ${hmac})`;
    expect(await sealPlaintextEabKeys(s.fresh.handle.db, s.eabEncryptionKey, { actor: 'migrate' })).toBe(1);
    expect(await sealPlaintextEabKeys(s.fresh.handle.db, s.eabEncryptionKey, { actor: 'migrate' })).toBe(0);
    const r = await row('eab_legacy');
    expect(r.hmac_key).toBeNull();
    expect(Buffer.from(r.hmac_key_sealed!).includes(Buffer.from(hmac))).toBe(false);
    const [audit] = await s.fresh.handle.sql`select data from audit_log where event = 'acme.eab_keys.sealed'`;
    expect(audit!.data).toEqual({ keyIds: ['eab_legacy'] });
    expect((await bind('eab_legacy', base64url.encode(hmac))).status).toBe(201);
  });

  it('without the key file the sealed key does not open: the binding fails as a server error, not as a match', async () => {
    const provider = await createAccount(s.fresh.handle.db, { name: 'third provider', kind: 'provider' });
    const { keyId, hmacKey } = await createEabKey(s.fresh.handle.db, { accountId: provider.account.id, actor: 'test', encryptionKey: s.eabEncryptionKey });
    await expect(usableEabHmacKey(s.fresh.handle.db, keyId, new Uint8Array(randomBytes(32)))).rejects.toMatchObject({ kind: 'invariantViolated' });
    // A copied row under another key id does not open either (the key id is the associated data).
    const sealed = (await row(keyId)).hmac_key_sealed!;
    await s.fresh.handle.sql`insert into acme_eab_keys (key_id, account_id, hmac_key_sealed) values ('eab_copy', ${provider.account.id}, ${sealed})`;
    const copied = await bind('eab_copy', hmacKey);
    expect(copied.status).toBe(500);
    expect((await problem(copied)).type).toBe('urn:ietf:params:acme:error:serverInternal');
  });
});
