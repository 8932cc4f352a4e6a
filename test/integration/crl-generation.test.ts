/**
 * CRL generation on a real PostgreSQL (CP 4.9.6–4.9.7, 7.2; BR 7.2): entries, expiry, cRLNumber under overlapping
 * and failed runs — checked with OpenSSL. The issuing CA's key is an InMemorySigner; the workflow that publishes
 * CRLs runs end to end in test/e2e/revocation.test.ts.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCrl } from '../../activities/crl';
import { loadConfig } from '../../config';
import { createAccount } from '../../db/repositories/accounts';
import { applyRevocation, crlEntries, crlEntryList, getCrlDer, latestCrlMeta } from '../../db/repositories/revocation';
import { crls } from '../../db/schema';
import { readCrl } from '../../pki/crl';
import { InMemorySigner } from '../../pki/memory-signer';
import { pemEncode } from '../../pki/pem';
import { openssl, tempDir, writeTemp } from '../../pki/test-support';
import { freshDatabase } from '../support/database';
import { seedCertificate, seedIssuingCa } from '../support/revocation-fixtures';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
const signer = new InMemorySigner();
const config = loadConfig();
const accounts = {} as Record<'owner', { id: string }>;
let caFile: string;
const dir = tempDir('crl-it-');

beforeAll(async () => {
  fresh = await freshDatabase({ prefix: 'crl' });
  const { rootDer, dvDer } = await seedIssuingCa(fresh.handle.db, signer);
  caFile = writeTemp(dir, 'ca.pem', pemEncode('CERTIFICATE', rootDer) + pemEncode('CERTIFICATE', dvDer));
  accounts.owner = (await createAccount(fresh.handle.db, { name: 'owner' })).account;
});
afterAll(async () => {
  await fresh?.drop();
});

describe('CRL generation (CP 4.9.6–4.9.7, 7.2; BR 7.2)', () => {
  const deps = () => ({ db: fresh.handle.db, signer, config, clock: () => new Date() });

  it('lists revoked unexpired certificates with their reasons; an expired one appears on one CRL after expiry, then drops', async () => {
    const db = fresh.handle.db;
    const revoked = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 5 });
    const soon = new Date(Date.now() + 1500);
    const expiring = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 1, notAfter: soon });
    const first = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    const firstDer = (await getCrlDer(db, first.crlId))!;
    const file = writeTemp(dir, 'first.crl', firstDer);
    const verify = openssl(['crl', '-inform', 'DER', '-in', file, '-CAfile', caFile, '-noout', '-verify', '-text']);
    expect(verify.out).toMatch(/verify OK/);
    expect(verify.out).toContain(revoked.serial.toUpperCase());
    expect(verify.out).toContain(expiring.serial.toUpperCase());
    // Let it expire (thisUpdate is in whole seconds: wait past the next second boundary).
    await new Promise((r) => setTimeout(r, Math.max(0, soon.getTime() - Date.now() + 1100)));
    // Expired before this CRL: still listed, once (CP 4.9.6 / BR 4.9.7 "appeared on at least one CRL after expiry").
    const second = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    expect(new Date(second.thisUpdate).getTime()).toBeGreaterThan(soon.getTime());
    const secondText = openssl(['crl', '-inform', 'DER', '-noout', '-text'], (await getCrlDer(db, second.crlId))!).out;
    expect(secondText).toContain(expiring.serial.toUpperCase());
    const third = await generateCrl(deps(), { issuerId: 'dv', trigger: 'test' });
    const thirdText = openssl(['crl', '-inform', 'DER', '-noout', '-text'], (await getCrlDer(db, third.crlId))!).out;
    expect(thirdText).not.toContain(expiring.serial.toUpperCase());
    expect(thirdText).toContain(revoked.serial.toUpperCase());
  });

  it('cRLNumber strictly increases and is never reused across overlapping and failed runs', async () => {
    const db = fresh.handle.db;
    const runs = await Promise.all(Array.from({ length: 6 }, () => generateCrl(deps(), { issuerId: 'dv', trigger: 'overlap' })));
    const numbers = runs.map((r) => BigInt(r.crlNumber));
    expect(new Set(numbers).size).toBe(runs.length);
    // Ordered by number, thisUpdate never goes back (the per-issuer lock serializes the runs).
    const rows = await db.select({ n: crls.crlNumber, t: crls.thisUpdate }).from(crls).where(eq(crls.issuerId, 'dv')).orderBy(crls.crlNumber);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.t.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.t.getTime());
    // A run that dies after drawing its number (here: the signer fails) burns it: the next CRL never reuses it.
    const before = (await latestCrlMeta(db, 'dv'))!.crlNumber;
    const failing = { ...deps(), signer: { signSha256Rsa: async () => { throw new Error('HSM gone'); }, publicKeySpki: signer.publicKeySpki.bind(signer) } };
    await expect(generateCrl(failing, { issuerId: 'dv', trigger: 'crash' })).rejects.toThrow(/HSM gone/);
    const after = await generateCrl(deps(), { issuerId: 'dv', trigger: 'after-crash' });
    expect(BigInt(after.crlNumber)).toBe(before + 2n);
    expect(readCrl((await getCrlDer(db, after.crlId))!).crlNumber).toBe(before + 2n);
  });

  it('reads the entries as columns, serial and reason intact (reason 0 stays without reasonCode)', async () => {
    const db = fresh.handle.db;
    const { serial } = await seedCertificate(db, { accountId: accounts.owner.id, status: 'revoked', reason: 0 });
    const entries = crlEntryList(await crlEntries(db, 'dv', null));
    expect(entries.find((e) => e.serialHex === serial)).toMatchObject({ reason: 0 });
    await applyRevocation(db, { serial, reason: 1, at: new Date(), actor: 'test' });
    expect(crlEntryList(await crlEntries(db, 'dv', null)).find((e) => e.serialHex === serial)).toMatchObject({ reason: 1 });
  });
});
