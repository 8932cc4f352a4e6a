/**
 * CP 5.5.1–5.5.2: `npm run admin -- archive export` writes a signed bundle of a period — the orders with their
 * evidence, the certificates, the audit segment and the Temporal histories of the period's workflows — and
 * `archive verify` checks it offline. The round trip holds what happened; a single modified byte anywhere, an added
 * file, or another signer is detected. The commands run exactly as documented, against a real issuance.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../config';
import { orderWorkflowId } from '../../domain/workflow-ids';
import { startHarness, uniqueLabel, type Harness } from '../support/ca-harness';
import { makeCsr } from '../support/csr';
import { applyAndWait, type OrderJson } from '../support/orders';

let h: Harness;
let order: OrderJson;
const work = mkdtempSync(path.join(tmpdir(), 'archive-'));
const bundle = path.join(work, 'bundle');
const keyFile = path.join(work, 'archive-key.pem');
const pubFile = path.join(work, 'archive-key.pub.pem');
const started = new Date(Date.now() - 60_000);

function admin(args: string[]) {
  return spawnSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/admin.ts', ...args], { cwd: repoRoot, env: process.env, encoding: 'utf8' });
}
function verify(dir: string, publicKey = pubFile) {
  const r = admin(['archive', 'verify', dir, '--public-key', publicKey]);
  return { status: r.status, result: JSON.parse(r.stdout) as { ok: boolean; errors: string[]; signer: { trusted: boolean }; checked: Record<string, number> } };
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
const jsonl = (file: string) => readFileSync(path.join(bundle, 'records', file), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  h = await startHarness();
  const { apiKey } = await h.newAccount('Archived Applicant');
  order = await applyAndWait(h, apiKey, makeCsr({ names: [`${uniqueLabel()}.${h.config.dns.devZone}`] }));
  expect(order.status).toBe('valid');
  const keygen = admin(['archive', 'keygen', '--out', keyFile]);
  expect(keygen.status, keygen.stderr).toBe(0);
  writeFileSync(pubFile, (JSON.parse(keygen.stdout) as { publicKey: string }).publicKey);
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
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(bundle, 'histories', `${orderWorkflowId(order.id)}.json`), 'utf8')));
    expect(history.events!.length).toBeGreaterThan(10);
    expect(readdirSync(bundle).sort()).toEqual(['histories', 'manifest.json', 'manifest.sig', 'records']);
  });

  it('verifies with the operator’s public key: signature, every file, the audit chain, the certificates', () => {
    const { status, result } = verify(bundle);
    expect(result.errors).toEqual([]);
    expect(status).toBe(0);
    expect(result.signer.trusted).toBe(true);
    expect(result.checked.auditEntries).toBeGreaterThan(10);
    expect(result.checked.certificates).toBeGreaterThanOrEqual(1);
    expect(result.checked.histories).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['a record', 'records/certificates.jsonl', /records\/certificates\.jsonl was modified/],
    ['a workflow history', `histories/${orderWorkflowId('ORDER')}.json`, /was modified/],
    ['the audit segment', 'records/audit.jsonl', /records\/audit\.jsonl was modified/],
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
});
