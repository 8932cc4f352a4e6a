/**
 * RFC 8555 §6.5 nonces across ACME processes: two ACME apps (each with its own database pool, as two processes
 * behind one name would be) on one PostgreSQL database and one nonce key. A nonce one issues is accepted once by
 * either; asking for nonces stores nothing, so no client can push legitimate nonces out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeApp } from '../../api/acme/app';
import { createNonceStore, usedNoncesIn } from '../../api/acme/nonces';
import { createDb, type DbHandle } from '../../db/client';
import { AcmeTestClient } from '../support/acme-client';
import { DIRECTORY, problem, registeredClient, useAcmeTestServer } from './acme-fixture';

const s = useAcmeTestServer('acme_nonces');
let second: { handle: DbHandle; app: ReturnType<typeof createAcmeApp> };

beforeAll(async () => {
  const handle = createDb(s.fresh.url, { max: 2 });
  const nonces = createNonceStore({ key: s.nonceKey, used: usedNoncesIn(handle.db) });
  second = { handle, app: createAcmeApp({ ...s.deps, db: handle.db, nonces }) };
});
afterAll(async () => {
  await second?.handle.close();
});

const usedRows = async () => (await s.fresh.handle.sql`select count(*)::int as n from acme_used_nonces`)[0]!.n as number;

/** The same account, talking to the second process. */
function viaSecond(c: AcmeTestClient): AcmeTestClient {
  const other = new AcmeTestClient((url, init) => second.app.request(url, init), DIRECTORY, c.key);
  other.directory = c.directory;
  other.kid = c.kid;
  return other;
}

describe('nonces shared by two ACME processes (PostgreSQL)', () => {
  it('a nonce from one process is accepted once by the other, and its replay is badNonce at either', async () => {
    const c = await registeredClient(s);
    const b = viaSecond(c);
    const nonce = (await s.app.request(c.directory.newNonce!, { method: 'HEAD' })).headers.get('replay-nonce')!;
    const used = await b.post(c.kid!, '', { nonce });
    expect(used.status).toBe(200);
    for (const replay of [await c.post(c.kid!, '', { nonce }), await b.post(c.kid!, '', { nonce })]) {
      expect((await problem(replay)).type).toBe('urn:ietf:params:acme:error:badNonce');
    }
  });

  it('issuing nonces stores nothing: after 110 000 more, an earlier one is still good', async () => {
    const c = await registeredClient(s);
    const nonce = (await s.app.request(c.directory.newNonce!, { method: 'HEAD' })).headers.get('replay-nonce')!;
    const rows = await usedRows();
    for (let i = 0; i < 10; i++) await second.app.request(c.directory.newNonce!, { method: 'HEAD' });
    for (let i = 0; i < 110_000; i++) s.deps.nonces.issue();
    expect(await usedRows()).toBe(rows);
    expect((await viaSecond(c).post(c.kid!, '', { nonce })).status).toBe(200);
    expect(await usedRows()).toBe(rows + 1);
  });

  it('a forged or unsigned request uses up no nonce', async () => {
    const c = await registeredClient(s);
    const nonce = (await second.app.request(c.directory.newNonce!, { method: 'HEAD' })).headers.get('replay-nonce')!;
    const forged = await c.post(c.kid!, '', { nonce, rawBody: JSON.stringify({ protected: 'e30', payload: '', signature: 'AAAA' }) });
    expect(forged.status).toBe(400);
    expect((await c.post(c.kid!, '', { nonce })).status).toBe(200);
  });
});
