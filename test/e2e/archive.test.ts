/**
 * CP 5.5.1–5.5.2: `npm run admin -- archive export` writes a signed bundle of a period — the orders with their
 * evidence, the certificates, the audit segment with its signed checkpoints (CP 5.4.3) and the Temporal histories of
 * the period's workflows — and `archive verify` checks it offline. The round trip holds what happened; a single
 * modified byte anywhere, an added file, or another signer is detected; and a checkpoint, signed by the HSM's audit
 * key rather than the archive key, catches a checkpoint or an audit segment changed by someone who re-signed the
 * bundle. The commands run exactly as documented, against a real issuance.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../config';
import { auditEntryHash } from '../../db/repositories/audit';
import { orderWorkflowId } from '../../domain/workflow-ids';
import { sha256Hex, type ArchiveManifest } from '../../scripts/lib/archive-format';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { applyAndWait, type OrderJson } from '../support/orders';

let h: Harness;
let order: OrderJson;
const work = mkdtempSync(path.join(tmpdir(), 'archive-'));
const bundle = path.join(work, 'bundle');
const keyFile = path.join(work, 'archive-key.pem');
const pubFile = path.join(work, 'archive-key.pub.pem');
const auditPubFile = path.join(work, 'audit-key.pub.pem');
const started = new Date(Date.now() - 60_000);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');

function admin(args: string[]) {
  return spawnSync(tsx, ['scripts/admin.ts', ...args], { cwd: repoRoot, env: process.env, encoding: 'utf8' });
}
/** For commands the harness's workers must answer (over Temporal): the test process's event loop stays free. */
function adminAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(tsx, ['scripts/admin.ts', ...args], { cwd: repoRoot, env: process.env, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}
type Verification = { ok: boolean; errors: string[]; signer: { trusted: boolean }; auditKey: { trusted: boolean }; checked: Record<string, number> };
function verify(dir: string, publicKey = pubFile) {
  const r = admin(['archive', 'verify', dir, '--public-key', publicKey, '--audit-public-key', auditPubFile]);
  return { status: r.status, result: JSON.parse(r.stdout) as Verification };
}
/** A copy of the bundle with one byte of `file` changed. */
function tampered(file: string, at: (size: number) => number): string {
  const dir = mkdtempSync(path.join(work, 'copy-'));
  cpSync(bundle, dir, { recursive: true });
  const p = path.join(dir, file);
  const bytes = readFileSync(p);
  const i = at(bytes.length);
  bytes[i] = bytes[i]! ^ 0x01;
  writeFileSync(p, bytes);
  return dir;
}
const parseJsonl = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const jsonl = (file: string) => parseJsonl(readFileSync(path.join(bundle, 'records', file), 'utf8'));

/**
 * A copy of the bundle in which `change` rewrote record files (name → new content), then re-hashed and re-signed with
 * the archive key as a forger holding that key would: only what the archive key does not sign can catch it.
 */
function resigned(change: (read: (file: string) => Array<Record<string, unknown>>) => Record<string, Array<Record<string, unknown>>>): string {
  const dir = mkdtempSync(path.join(work, 'resigned-'));
  cpSync(bundle, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ArchiveManifest & { files: Array<{ path: string; sha256: string; bytes: number }>; audit: { lastHash: string | null } };
  for (const [file, rows] of Object.entries(change(jsonl))) {
    const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    writeFileSync(path.join(dir, 'records', file), text);
    Object.assign(manifest.files.find((f) => f.path === `records/${file}`)!, { sha256: sha256Hex(text), bytes: Buffer.byteLength(text) });
    if (file === 'audit.jsonl') manifest.audit.lastHash = String(rows.at(-1)!.hash);
  }
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(dir, 'manifest.json'), bytes);
  writeFileSync(path.join(dir, 'manifest.sig'), `${sign(null, bytes, createPrivateKey(readFileSync(keyFile, 'utf8'))).toString('base64')}\n`);
  return dir;
}

beforeAll(async () => {
  h = await startHarness();
  const { apiKey } = await h.newAccount('Archived Applicant');
  order = await applyAndWait(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
  expect(order.status).toBe('valid');
  const keygen = admin(['archive', 'keygen', '--out', keyFile]);
  expect(keygen.status, keygen.stderr).toBe(0);
  writeFileSync(pubFile, (JSON.parse(keygen.stdout) as { publicKey: string }).publicKey);
  // The signing worker signs the chain head now (CP 5.4.3), as the 10-minute Schedule would; auditors get its key.
  await adminAsync(['audit', 'checkpoint']);
  const auditKey = admin(['audit', 'public-key']);
  expect(auditKey.status, auditKey.stderr).toBe(0);
  writeFileSync(auditPubFile, auditKey.stdout);
});
afterAll(async () => {
  await h?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('archive export and verify (CP 5.5.1)', () => {
  it('exports the period: orders, evidence, certificates, audit segment and workflow histories, signed', () => {
    const r = admin(['archive', 'export', '--from', started.toISOString(), '--to', new Date(Date.now() + 60_000).toISOString(), '--out', bundle, '--key', keyFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(jsonl('orders.jsonl').map((o) => o.id)).toContain(order.id);
    expect(jsonl('certificates.jsonl').find((c) => c.orderId === order.id)).toMatchObject({ serial: order.certificate!.serial, status: 'issued', certDer: expect.stringMatching(/^30/) });
    expect(jsonl('validation-evidence.jsonl').length).toBeGreaterThan(0);
    expect(jsonl('corroborations.jsonl').some((c) => c.orderId === order.id)).toBe(true);
    expect(jsonl('lint-reports.jsonl').some((l) => l.orderId === order.id)).toBe(true);
    expect(jsonl('audit.jsonl').some((e) => e.event === 'certificate.issued' && e.orderId === order.id)).toBe(true);
    expect(jsonl('audit-checkpoints.jsonl').length).toBeGreaterThanOrEqual(1);
    const manifest = JSON.parse(readFileSync(path.join(bundle, 'manifest.json'), 'utf8')) as ArchiveManifest;
    expect(manifest.audit.checkpoints.publicKey?.replace(/\s+/g, '')).toBe(readFileSync(auditPubFile, 'utf8').replace(/\s+/g, ''));
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(bundle, 'histories', `${orderWorkflowId(order.id)}.json`), 'utf8')));
    expect(history.events!.length).toBeGreaterThan(10);
    expect(readdirSync(bundle).sort()).toEqual(['histories', 'manifest.json', 'manifest.sig', 'records']);
  });

  it('verifies with the operator’s public key: signature, every file, the audit chain, the certificates', () => {
    const { status, result } = verify(bundle);
    expect(result.errors).toEqual([]);
    expect(status).toBe(0);
    expect(result.signer.trusted).toBe(true);
    expect(result.auditKey.trusted).toBe(true);
    expect(result.checked.checkpoints).toBeGreaterThanOrEqual(1);
    expect(result.checked.auditEntries).toBeGreaterThan(10);
    expect(result.checked.certificates).toBeGreaterThanOrEqual(1);
    expect(result.checked.histories).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['a record', 'records/certificates.jsonl', /records\/certificates\.jsonl was modified/],
    ['a workflow history', `histories/${orderWorkflowId('ORDER')}.json`, /was modified/],
    ['the audit segment', 'records/audit.jsonl', /records\/audit\.jsonl was modified/],
    ['the audit checkpoints', 'records/audit-checkpoints.jsonl', /records\/audit-checkpoints\.jsonl was modified/],
    ['the manifest', 'manifest.json', /manifest\.sig does not verify/],
  ])('detects one modified byte in %s', (_what, file, error) => {
    const dir = tampered(file.replace('ORDER', order.id), (n) => Math.floor(n / 2));
    const { status, result } = verify(dir);
    expect(status).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toMatch(error);
  });

  it('detects a file the manifest does not list, and a bundle signed by another key', () => {
    const dir = mkdtempSync(path.join(work, 'extra-'));
    cpSync(bundle, dir, { recursive: true });
    writeFileSync(path.join(dir, 'records', 'extra.jsonl'), '{}\n');
    expect(verify(dir).result.errors).toEqual(['records/extra.jsonl is not in the manifest']);
    const other = path.join(work, 'other-key.pem');
    const otherPub = path.join(work, 'other-key.pub.pem');
    writeFileSync(otherPub, (JSON.parse(admin(['archive', 'keygen', '--out', other]).stdout) as { publicKey: string }).publicKey);
    expect(verify(bundle, otherPub).result.errors.join('\n')).toMatch(/signed by another key/);
  });

  it('CP 5.4.3: a modified checkpoint fails its HSM signature, even in a bundle re-signed with the archive key', () => {
    const dir = resigned((read) => {
      const [first, ...rest] = read('audit-checkpoints.jsonl');
      const signedAt = new Date(Date.parse(String(first!.signedAt)) + 1000).toISOString();
      return { 'audit-checkpoints.jsonl': [{ ...first!, signedAt }, ...rest] };
    });
    const { status, result } = verify(dir);
    expect(status).toBe(1);
    expect(result.errors).toEqual([expect.stringMatching(/^audit checkpoint of sequence \d+ does not verify with the audit key/)]);
  });

  it('CP 5.4.3: an audit segment rewritten and re-hashed before a checkpoint is caught by that checkpoint', () => {
    // The latest checkpoint: the one signed after the order (the period may hold earlier ones too).
    const sequence = Math.max(...jsonl('audit-checkpoints.jsonl').map((c) => Number(c.sequence)));
    const dir = resigned((read) => {
      // The order's creation entry now names another actor; every entry from there on is re-hashed, so the chain and
      // the file hashes verify and only the HSM's checkpoint still holds the true head.
      const audit = read('audit.jsonl');
      const at = audit.findIndex((e) => e.event === 'order.created' && e.orderId === order.id);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(Number(audit[at]!.id)).toBeLessThanOrEqual(sequence);
      audit[at] = { ...audit[at]!, actor: 'account:someone-else' };
      let prev = String(audit[at]!.prevHash);
      for (const e of audit.slice(at)) {
        e.prevHash = prev;
        e.hash = Buffer.from(auditEntryHash(Buffer.from(prev, 'hex'), { at: new Date(String(e.at)), actor: String(e.actor), event: String(e.event), orderId: (e.orderId as string | null) ?? null, serial: (e.serial as string | null) ?? null, data: e.data })).toString('hex');
        prev = String(e.hash);
      }
      return { 'audit.jsonl': audit };
    });
    const { result } = verify(dir);
    expect(result.ok).toBe(false);
    expect(result.errors).toContainEqual(expect.stringMatching(new RegExp(`^audit checkpoint of sequence ${sequence}: the segment holds another hash`)));
    expect(result.errors.every((e) => e.startsWith('audit checkpoint of sequence'))).toBe(true);
  });
});
