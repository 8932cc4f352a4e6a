/**
 * The database layer against a real PostgreSQL (the global setup's DATABASE_URL; each file gets its own database).
 * Pins: migrations are repeatable, orders are stored all-or-nothing, serial reservation is idempotent under
 * concurrency, the audit log is append-only and tamper-evident (BR 5.4; CP 5.4.3, 5.5.2), API keys are not stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../config';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../db/migrate';
import {
  appendAudit,
  auditEntryHash,
  canonicalJson,
  createAccount,
  createOrder,
  deleteOrder,
  expireOrderAuthorizations,
  findAccountByApiKey,
  getCertificateBySerial,
  getOrderDetail,
  listAuditForOrder,
  listOrders,
  markCertificateRevoked,
  recordChallengeResult,
  reserveSerial,
  setAccountStatus,
  setOrderStatus,
  storeCertificate,
  storePrecertificate,
  toJsonData,
  upsertIssuer,
  verifyAuditChain,
  type NewOrder,
} from '../../db/repositories';
import { isCaError } from '../../domain/errors';
import { markChallengeProcessing } from '../../db/repositories/validation';
import { freshDatabase } from '../support/database';

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
const db = () => fresh.handle.db;
const raw = () => fresh.handle.sql;

const token = () => randomBytes(24).toString('base64url');
const sha = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const DAY = 86_400_000;

function orderInput(accountId: string, names: string[], tokens = names.map(() => token())): NewOrder {
  return {
    accountId,
    profile: 'dv',
    csrDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
    spkiSha256: sha(names.join(',')),
    dnsNames: names,
    validitySeconds: 199 * 86_400,
    expiresAt: new Date(Date.now() + 7 * DAY),
    authorizations: names.map((n, i) => ({
      fqdn: n.replace(/^\*\./, ''),
      wildcard: n.startsWith('*.'),
      challenge: {
        method: 'dns-01',
        recordName: `_acme-challenge.${n.replace(/^\*\./, '')}`,
        token: tokens[i]!,
        expiresAt: new Date(Date.now() + 25 * DAY),
      },
    })),
  };
}

async function counts() {
  const [r] = await raw()`select
    (select count(*)::int from orders) as orders,
    (select count(*)::int from authorizations) as authorizations,
    (select count(*)::int from challenges) as challenges,
    (select count(*)::int from audit_log) as audit`;
  return r as unknown as { orders: number; authorizations: number; challenges: number; audit: number };
}

let accountId: string;
let otherAccountId: string;

beforeAll(async () => {
  fresh = await freshDatabase();
  accountId = (await createAccount(db(), { name: 'Example Subscriber' })).account.id;
  otherAccountId = (await createAccount(db(), { name: 'Someone Else' })).account.id;
  await upsertIssuer(db(), {
    id: 'dv',
    keyLabel: 'dv-test',
    subjectDer: new Uint8Array([0x30, 0x00]),
    spkiSha256: sha('dv-spki'),
    keyIdentifier: new Uint8Array(20).fill(7),
  });
});

afterAll(async () => {
  await fresh?.drop();
});

describe('migrations', () => {
  it('apply a second time without error and record each migration once', async () => {
    await migrateDatabase(fresh.url);
    await migrateDatabase(fresh.url);
    const rows = await raw()`select count(*)::int as n from drizzle.__drizzle_migrations`;
    // One row per committed migration (the journal lists them; every issue adds its own).
    const journal = JSON.parse(readFileSync(path.join(repoRoot, 'db/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(rows[0]!.n).toBe(journal.entries.length);
    const triggers = await raw()`select tgname from pg_trigger where tgrelid = 'audit_log'::regclass and not tgisinternal order by 1`;
    expect(triggers.map((t) => t.tgname)).toEqual(['audit_log_append_only', 'audit_log_no_truncate']);
  });

  it('CHECK constraints refuse a status no code knows about', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['check.example.com']));
    await expect(raw()`update orders set status = 'bogus' where id = ${o.id}`).rejects.toThrow(/orders_status_ck/);
  });
});

describe('accounts', () => {
  it('finds the account by its API key, which is stored only as SHA-256', async () => {
    const { account, apiKey } = await createAccount(db(), { name: 'Key Holder', kind: 'provider' });
    expect(apiKey).toMatch(/^ca_[A-Za-z0-9_-]{43}$/);
    expect((await findAccountByApiKey(db(), apiKey))?.id).toBe(account.id);
    expect(Buffer.from(account.apiKeySha256).equals(Buffer.from(sha(apiKey)))).toBe(true);
    // Neither the key nor its random part appears anywhere in the stored row.
    const [row] = await raw()`select accounts::text as t, encode(api_key_sha256, 'escape') as e from accounts where id = ${account.id}`;
    expect(row!.t).not.toContain(apiKey.slice(3));
    expect(row!.e).not.toContain(apiKey.slice(3));
  });

  it.each([
    ['an unknown key', () => `ca_${randomBytes(32).toString('base64url')}`],
    ['a key without the ca_ prefix', () => randomBytes(32).toString('base64url')],
    ['an empty key', () => ''],
  ])('returns null for %s', async (_name, key) => {
    expect(await findAccountByApiKey(db(), key())).toBeNull();
  });

  it('returns null for the key of a disabled account', async () => {
    const { account, apiKey } = await createAccount(db(), { name: 'To Disable' });
    await setAccountStatus(db(), account.id, 'disabled', { actor: 'admin:test' });
    expect(await findAccountByApiKey(db(), apiKey)).toBeNull();
  });
});

describe('orders', () => {
  it('stores order, authorizations, challenges and an order.created audit entry; workflowId is order-<id>', async () => {
    const names = ['www.example.com', '*.example.com', 'api.example.com'];
    const o = await createOrder(db(), orderInput(accountId, names));
    expect(o.workflowId).toBe(`order-${o.id}`);
    expect(o.status).toBe('pending');
    expect(o.dnsNames).toEqual(names);
    expect(o.authorizations.map((a) => [a.fqdn, a.wildcard])).toEqual([
      ['www.example.com', false],
      ['example.com', true],
      ['api.example.com', false],
    ]);
    expect(o.authorizations.every((a) => a.challenges.length === 1 && a.challenges[0]!.status === 'pending')).toBe(true);
    expect(o.csrDer).toBeInstanceOf(Uint8Array);
    expect(o.expiresAt).toBeInstanceOf(Date);
    expect(o.certificate).toBeNull();
    const audit = await listAuditForOrder(db(), o.id);
    expect(audit.map((e) => e.event)).toEqual(['order.created']);
  });

  it('is all-or-nothing: a duplicate challenge token in the second authorization stores nothing', async () => {
    const before = await counts();
    const t = token();
    const err = await createOrder(db(), orderInput(accountId, ['a.example.net', 'b.example.net'], [t, t])).catch((e) => e);
    expect(String(err?.cause ?? err)).toMatch(/challenges_token_uq|duplicate key/);
    expect(await counts()).toEqual(before);
  });

  it('getOrderDetail hides another account\'s order; listOrders lists only the own ones', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['mine.example.com']));
    expect(await getOrderDetail(db(), o.id, otherAccountId)).toBeNull();
    expect((await getOrderDetail(db(), o.id, accountId))?.id).toBe(o.id);
    expect((await listOrders(db(), accountId)).map((x) => x.id)).toContain(o.id);
    expect(await listOrders(db(), otherAccountId)).toEqual([]);
  });

  it('setOrderStatus records from -> to in the audit log', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['status.example.com']));
    const error = { type: 'urn:ietf:params:acme:error:unauthorized', title: 'DCV failed', detail: 'no TXT' };
    const updated = await setOrderStatus(db(), o.id, 'invalid', { error, actor: 'workflow:test' });
    expect(updated.status).toBe('invalid');
    expect(updated.error).toEqual(error);
    const audit = await listAuditForOrder(db(), o.id);
    expect(audit.at(-1)).toMatchObject({ event: 'order.status', actor: 'workflow:test', data: { from: 'pending', to: 'invalid' } });
  });

  it('deleteOrder removes the rows and appends order.aborted (the audit log keeps order.created)', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['abort.example.com']));
    expect(await deleteOrder(db(), o.id, { reason: 'temporal unavailable' })).toBe(true);
    expect(await getOrderDetail(db(), o.id)).toBeNull();
    const [{ n }] = (await raw()`select count(*)::int as n from authorizations where order_id = ${o.id}`) as unknown as [{ n: number }];
    expect(n).toBe(0);
    expect((await listAuditForOrder(db(), o.id)).map((e) => e.event)).toEqual(['order.created', 'order.aborted']);
  });
});

describe('challenges', () => {
  it('ready moves pending -> processing once (audited once); a repeated ready changes nothing', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['ready.example.com']));
    const ch = o.authorizations[0]!.challenges[0]!;
    await markChallengeProcessing(db(), { challengeId: ch.id, at: new Date() });
    const ready = (await getOrderDetail(db(), o.id))!.authorizations[0]!.challenges[0]!;
    expect(ready.status).toBe('processing');
    expect(ready.readyAt).toBeInstanceOf(Date);
    await markChallengeProcessing(db(), { challengeId: ch.id, at: new Date(Date.now() + 1000) });
    expect((await getOrderDetail(db(), o.id))!.authorizations[0]!.challenges[0]!.readyAt).toEqual(ready.readyAt);
    expect((await listAuditForOrder(db(), o.id)).filter((e) => e.event === 'challenge.ready')).toHaveLength(1);
  });

  it('recordChallengeResult stores evidence, moves the authorization, audits, and is idempotent', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['dcv.example.com']));
    const ch = o.authorizations[0]!.challenges[0]!;
    await markChallengeProcessing(db(), { challengeId: ch.id, at: new Date() });
    const evidence = ['primary', 'remote-1'].map((perspective) => ({
      fqdn: 'dcv.example.com',
      authorizationDomainName: 'dcv.example.com',
      method: '3.2.2.4.7',
      perspective,
      resolver: '127.0.0.1:8053',
      query: '_acme-challenge.dcv.example.com TXT',
      rawAnswers: [{ name: '_acme-challenge.dcv.example.com', type: 'TXT', data: ['x'] }],
      result: 'success' as const,
      detail: null,
    }));
    const first = await recordChallengeResult(db(), { challengeId: ch.id, status: 'valid', evidence });
    expect(first.challenge.status).toBe('valid');
    expect(first.evidence).toHaveLength(2);
    const again = await recordChallengeResult(db(), { challengeId: ch.id, status: 'valid', evidence });
    expect(again.evidence.map((e) => e.id).sort()).toEqual(first.evidence.map((e) => e.id).sort());
    const flip = await recordChallengeResult(db(), { challengeId: ch.id, status: 'invalid', evidence }).catch((e) => e);
    expect(isCaError(flip) && flip.kind).toBe('conflict');
    const detail = await getOrderDetail(db(), o.id);
    expect(detail!.authorizations[0]!.status).toBe('valid');
    expect(detail!.authorizations[0]!.validatedAt).toBeInstanceOf(Date);
    expect((await listAuditForOrder(db(), o.id)).filter((e) => e.event === 'challenge.validated')).toHaveLength(1);
  });

  it('expireOrderAuthorizations expires open authorizations and challenges only', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['exp1.example.com', 'exp2.example.com']));
    const [a1] = o.authorizations;
    await recordChallengeResult(db(), { challengeId: a1!.challenges[0]!.id, status: 'valid', evidence: [] });
    expect(await expireOrderAuthorizations(db(), o.id)).toBe(1);
    const detail = await getOrderDetail(db(), o.id);
    expect(detail!.authorizations.map((a) => [a.status, a.challenges[0]!.status])).toEqual([
      ['valid', 'valid'],
      ['expired', 'expired'],
    ]);
    expect(await expireOrderAuthorizations(db(), o.id)).toBe(0);
  });
});

describe('certificates', () => {
  const serial = () => '7' + randomBytes(15).toString('hex');

  it('reserveSerial called twice concurrently for one order yields one row, one serial, one audit entry', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['serial.example.com']));
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + 199 * DAY);
    const [a, b] = await Promise.all([
      reserveSerial(db(), { orderId: o.id, issuerId: 'dv', serialHex: serial(), notBefore, notAfter }),
      reserveSerial(db(), { orderId: o.id, issuerId: 'dv', serialHex: serial(), notBefore, notAfter }),
    ]);
    expect(a.serial).toBe(b.serial);
    const rows = await raw()`select serial from certificates where order_id = ${o.id}`;
    expect(rows.map((r) => r.serial)).toEqual([a.serial]);
    const later = await reserveSerial(db(), { orderId: o.id, issuerId: 'dv', serialHex: serial(), notBefore, notAfter });
    expect(later.serial).toBe(a.serial);
    const events = (await listAuditForOrder(db(), o.id)).map((e) => e.event);
    expect(events.filter((e) => e === 'certificate.serial_reserved')).toHaveLength(1);
    expect((await getOrderDetail(db(), o.id))!.certificate).toMatchObject({ serial: a.serial, status: 'reserved' });
  });

  it('stores precertificate and certificate once (first DER wins) and revokes idempotently', async () => {
    const o = await createOrder(db(), orderInput(accountId, ['issue.example.com']));
    const now = new Date();
    const r = await reserveSerial(db(), {
      orderId: o.id, issuerId: 'dv', serialHex: '00' + serial(), notBefore: now, notAfter: new Date(now.getTime() + DAY),
    });
    expect(r.serial).not.toMatch(/^0/);
    const pre1 = new Uint8Array([1, 2, 3]);
    expect((await storePrecertificate(db(), r.serial, pre1)).status).toBe('precertificate');
    expect([...(await storePrecertificate(db(), r.serial, new Uint8Array([9]))).precertDer!]).toEqual([1, 2, 3]);
    const fin = await storeCertificate(db(), r.serial, new Uint8Array([4, 5]));
    expect(fin.status).toBe('issued');
    expect([...(await storeCertificate(db(), r.serial, new Uint8Array([9]))).certDer!]).toEqual([4, 5]);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const rev = await markCertificateRevoked(db(), r.serial, { reason: 4, at, actor: 'admin:test' });
    expect(rev).toMatchObject({ status: 'revoked', revocationReason: 4, revokedAt: at });
    const rev2 = await markCertificateRevoked(db(), r.serial, { reason: 1, at: new Date(), actor: 'admin:test' });
    expect(rev2).toMatchObject({ revocationReason: 4, revokedAt: at });
    expect((await getCertificateBySerial(db(), r.serial.toUpperCase()))?.orderId).toBe(o.id);
    const events = (await listAuditForOrder(db(), o.id)).map((e) => e.event);
    expect(events).toEqual([
      'order.created',
      'certificate.serial_reserved',
      'certificate.precertificate_signed',
      'certificate.issued',
      'certificate.revoked',
    ]);
  });
});

describe('audit log', () => {
  it.each([
    ['sorts keys recursively', { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}'],
    ['writes bytes as lowercase hex and dates as ISO strings', { k: new Uint8Array([0xab, 1]), t: new Date(0) }, '{"k":"ab01","t":"1970-01-01T00:00:00.000Z"}'],
    ['drops undefined members', { a: undefined, b: [undefined] }, '{"b":[null]}'],
  ])('canonical JSON %s', (_name, value, expected) => {
    expect(canonicalJson(toJsonData(value))).toBe(expected);
  });

  it('stores `at` so the hash can be recomputed from the row alone', async () => {
    const e = await appendAudit(db(), { actor: 'test', event: 'test.recompute', data: { x: new Uint8Array([1]) } });
    const [prev] = await raw()`select hash from audit_log where id < ${e.id} order by id desc limit 1`;
    const recomputed = auditEntryHash(new Uint8Array(prev!.hash as Buffer), e);
    expect(Buffer.from(recomputed).equals(Buffer.from(e.hash))).toBe(true);
    expect(e.data).toEqual({ x: '01' });
  });

  it.each([
    ['UPDATE', 'update audit_log set actor = \'mallory\' where id = (select min(id) from audit_log)'],
    ['DELETE', 'delete from audit_log where id = (select max(id) from audit_log)'],
    ['TRUNCATE', 'truncate audit_log'],
  ])('is append-only: %s is refused', async (_op, statement) => {
    await expect(raw().unsafe(statement)).rejects.toThrow(/append-only/);
  });

  it('verifies, and detects a row changed behind the trigger (then verifies again once restored)', async () => {
    const ok = await verifyAuditChain(db());
    expect(ok).toMatchObject({ ok: true });
    const [{ n }] = (await raw()`select count(*)::int as n from audit_log`) as unknown as [{ n: number }];
    expect(ok.ok && ok.entries).toBe(n);
    expect(n).toBeGreaterThan(3);
    // Small batches so the walk crosses batch boundaries.
    expect(await verifyAuditChain(db(), { batchSize: 2 })).toEqual(ok);

    const [victim] = await raw()`select id, data from audit_log order by id offset 2 limit 1`;
    const id = Number(victim!.id);
    const tamper = async (data: unknown) => {
      await raw().begin(async (tx) => {
        await tx.unsafe('alter table audit_log disable trigger audit_log_append_only');
        await tx`update audit_log set data = ${JSON.stringify(data)}::jsonb where id = ${id}`;
        await tx.unsafe('alter table audit_log enable trigger audit_log_append_only');
      });
    };
    await tamper({ ...(victim!.data as object), injected: true });
    expect(await verifyAuditChain(db())).toEqual({ ok: false, brokenAt: id });
    await tamper(victim!.data);
    expect(await verifyAuditChain(db())).toEqual(ok);
  });

  it('serializes concurrent appends into one unbroken chain (inside transactions and on the plain pool)', async () => {
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => createOrder(db(), orderInput(accountId, [`c${i}.example.org`]))),
      ...Array.from({ length: 6 }, (_, i) => appendAudit(db(), { actor: 'test', event: 'test.direct', data: { i } })),
    ]);
    const res = await verifyAuditChain(db());
    expect(res.ok).toBe(true);
    const dupPrev = await db().execute(sql`select prev_hash from audit_log group by prev_hash having count(*) > 1`);
    expect(dupPrev.length).toBe(0);
  });
});
