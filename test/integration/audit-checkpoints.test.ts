/**
 * Signed audit checkpoints (CP 5.4.3: a chain rewritten and re-hashed, or truncated, still verifies link by link;
 * only a signature over its head, by a key the database does not hold, shows it). The checkpoint
 * activity runs as the signing worker runs it — the runtime role, the SoftHSM2 token's dedicated `audit-checkpoint`
 * key — and OpenSSL checks its signature. Then the owner role (what an attacker with the services' former rights could
 * do) rewrites, re-hashes, deletes and truncates, and `verifyAuditLog` (what `npm run admin -- audit verify` runs) must
 * report each with the first sequence number it can no longer vouch for. One fresh database per scenario.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asc, gte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCheckpointKeyLabel, createAuditCheckpointActivities } from '../../activities/audit-checkpoint';
import { loadConfig, repoRoot } from '../../config';
import { createDb, type DbHandle } from '../../db/client';
import { appendAudit, auditEntryHash, verifyAuditChain } from '../../db/repositories/audit';
import { verifyAuditLog } from '../../db/repositories/audit-checkpoints';
import { auditLog } from '../../db/schema';
import { checkpointMessage } from '../../domain/audit-checkpoint';
import { openHsm, type Hsm } from '../../pki/hsm';
import { readHsmPin } from '../../pki/hsm-pin';
import { pemEncode } from '../../pki/pem';
import { freshDatabase } from '../support/database';

const config = loadConfig();
let hsm: Hsm;
let publicKeySpki: Uint8Array;
const work = mkdtempSync(path.join(tmpdir(), 'audit-cp-'));
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 1 });
});
afterAll(async () => {
  for (const c of cleanups) await c();
  await hsm?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A log of `n` entries with a checkpoint after entry `checkpointAt` and one at the head: owner and runtime handles. */
async function scenario(n: number, checkpointAt: number) {
  const fresh = await freshDatabase({ prefix: 'audit_cp' });
  const runtime = createDb(fresh.runtimeUrl, { max: 2 });
  cleanups.push(async () => {
    await runtime.close();
    await fresh.drop();
  });
  const checkpoint = createAuditCheckpointActivities({ db: runtime.db, signer: hsm, keys: hsm, clock: () => new Date() }).signAuditCheckpoint;
  const results = [];
  for (let i = 1; i <= n; i++) {
    await appendAudit(runtime.db, { actor: 'test', event: 'test.entry', data: { i } });
    if (i === checkpointAt) results.push(await checkpoint());
  }
  results.push(await checkpoint());
  publicKeySpki = await hsm.publicKeySpki(auditCheckpointKeyLabel);
  return { fresh, owner: fresh.handle, runtime, checkpoint, results, verify: () => verifyAuditLog(runtime.db, { publicKeySpki }) };
}

/**
 * As the owner: switch the append-only trigger off, change the log, and (when `rehash`) recompute every hash from the
 * first changed entry on — the whole-chain rewrite the hash chain alone cannot detect.
 */
async function tamper(owner: DbHandle, change: string, opts: { rehash: boolean }) {
  await owner.sql.begin(async (tx) => {
    await tx.unsafe('alter table audit_log disable trigger user');
    await tx.unsafe(change);
    await tx.unsafe('alter table audit_log enable trigger user');
  });
  if (!opts.rehash) return;
  const rows = await owner.db.select().from(auditLog).where(gte(auditLog.id, 1)).orderBy(asc(auditLog.id));
  let prev: Uint8Array = new Uint8Array(32);
  await owner.sql.begin(async (tx) => {
    await tx.unsafe('alter table audit_log disable trigger user');
    for (const row of rows) {
      const hash = auditEntryHash(prev, row);
      await tx`update audit_log set prev_hash = ${prev}, hash = ${hash} where id = ${row.id}`;
      prev = hash;
    }
    await tx.unsafe('alter table audit_log enable trigger user');
  });
}

describe('the signing worker signs the chain head with the dedicated HSM key', () => {
  it('OpenSSL verifies the checkpoint signature with the audit key; a head already signed is not signed again', async () => {
    const s = await scenario(3, 2);
    const [first, head] = s.results;
    expect(first).toMatchObject({ signed: true, sequence: 2 });
    expect(head).toMatchObject({ signed: true, sequence: 3 });
    expect(await s.checkpoint()).toEqual({ ...head, signed: false });

    const [row] = await s.runtime.sql`select hash from audit_log where id = 3`;
    const message = checkpointMessage({ sequence: 3, hash: new Uint8Array(row!.hash as Buffer) }, new Date(head!.signedAt!));
    writeFileSync(path.join(work, 'msg'), message);
    writeFileSync(path.join(work, 'sig'), Buffer.from(head!.signature!, 'hex'));
    writeFileSync(path.join(work, 'pub.pem'), pemEncode('PUBLIC KEY', publicKeySpki));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(work, 'pub.pem'), '-signature', path.join(work, 'sig'), path.join(work, 'msg')], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
    expect(await s.verify()).toMatchObject({ ok: true, entries: 3, checkpoints: 2, latestCheckpoint: { sequence: 3 } });
  });
});

describe('audit verify detects tampering and names the first bad sequence number', () => {
  it('an entry rewritten in place: the chain breaks at it', async () => {
    const s = await scenario(6, 3);
    await tamper(s.owner, `update audit_log set data = '{"i": 99}' where id = 4`, { rehash: false });
    expect(await s.verify()).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('an entry rewritten and the whole chain re-hashed — the chain verifies, the checkpoints do not', async () => {
    const s = await scenario(6, 3);
    await tamper(s.owner, `update audit_log set actor = 'mallory' where id = 4`, { rehash: true });
    expect(await verifyAuditChain(s.runtime.db)).toMatchObject({ ok: true });
    const v = await s.verify();
    expect(v).toMatchObject({ ok: false, brokenAt: 4 });
    expect(!v.ok && v.reason).toMatch(/sequence 6.*holds another hash.*after sequence 3/);

    // The operator's command reports the same, and fails.
    writeFileSync(path.join(work, 'pub.pem'), pemEncode('PUBLIC KEY', publicKeySpki));
    const cli = (() => {
      try {
        return { code: 0, out: execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts/admin.ts'), 'audit', 'verify', '--public-key', path.join(work, 'pub.pem')], {
          env: { ...process.env, DATABASE_URL: s.fresh.runtimeUrl },
          encoding: 'utf8',
        }) };
      } catch (e) {
        return { code: (e as { status: number }).status, out: String((e as { stdout: string }).stdout) };
      }
    })();
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.out)).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('entries deleted before the latest checkpoint and the rest re-hashed', async () => {
    const s = await scenario(6, 3);
    await tamper(s.owner, 'delete from audit_log where id in (4, 5)', { rehash: true });
    expect(await verifyAuditChain(s.runtime.db)).toMatchObject({ ok: true });
    expect(await s.verify()).toMatchObject({ ok: false, brokenAt: 6 });
  });

  it('the whole log truncated', async () => {
    const s = await scenario(4, 2);
    await tamper(s.owner, 'truncate audit_log', { rehash: false });
    expect(await verifyAuditChain(s.runtime.db)).toMatchObject({ ok: true, entries: 0 });
    expect(await s.verify()).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('a checkpoint forged in the table (no HSM key) is reported at its sequence', async () => {
    const s = await scenario(3, 2);
    await s.owner.sql`insert into audit_checkpoints (sequence, hash, signed_at, key_label, spki_sha256, signature)
      select 99, hash, now(), 'audit-checkpoint', (select spki_sha256 from audit_checkpoints limit 1), '\\x00'::bytea from audit_log where id = 3`;
    expect(await s.verify()).toMatchObject({ ok: false, brokenAt: 99 });
  });

  it('the signer refuses to sign a checkpoint over a chain that does not extend the last one', async () => {
    const s = await scenario(4, 4);
    await tamper(s.owner, `update audit_log set data = '{"i": 0}' where id = 2`, { rehash: true });
    await appendAudit(s.runtime.db, { actor: 'test', event: 'test.after', data: {} });
    await expect(s.checkpoint()).rejects.toMatchObject({ kind: 'invariantViolated' });
  });
});
