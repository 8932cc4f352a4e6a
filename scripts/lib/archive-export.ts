/**
 * `npm run admin -- archive export --from … --to … --out <dir> [--key <file>] [--audit-public-key <file>]`: writes the
 * archive bundle of the period (scripts/lib/archive-format.ts): the records of db/repositories/archive.ts, the audit
 * segment with its signed checkpoints and the audit key's public half, and the Temporal histories of the period's workflows (each order's issuance, and its certificate's revocation, expiry
 * reminders and notice deliveries). A history Temporal no longer holds (past the namespace's retention) is listed as
 * missing, not silently left out.
 */
import { createPublicKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../db/client';
import { archiveRecords } from '../../db/repositories/archive';
import { toJsonData } from '../../db/repositories/audit';
import { expiryRemindersWorkflowId, noticeWorkflowId, revocationWorkflowId } from '../../domain/workflow-ids';
import { ARCHIVE_FORMAT, AUDIT_FILE, CHECKPOINTS_FILE, MANIFEST, SIGNATURE, loadSigningKey, sha256Hex, spkiSha256Of, type ArchiveFileEntry, type ArchiveManifest } from './archive-format';

export interface ExportInput {
  readonly db: Db;
  readonly from: Date;
  readonly to: Date;
  readonly outDir: string;
  readonly signingKeyPem: string;
  /** The audit checkpoint key's public half (SubjectPublicKeyInfo DER): the HSM key that signed the checkpoints. */
  readonly auditPublicKeySpki: Uint8Array | null;
  /** A workflow's history as Temporal's JSON, or null when Temporal has none (never ran, or past retention). */
  readonly fetchHistory: (workflowId: string) => Promise<string | null>;
  readonly now: Date;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function exportArchive(input: ExportInput): Promise<ArchiveManifest> {
  if (!(input.from < input.to)) throw new Error('--from must be before --to');
  if (existsSync(input.outDir) && readdirSync(input.outDir).length > 0) throw new Error(`${input.outDir} is not empty: an archive is never written over`);
  const key = loadSigningKey(input.signingKeyPem);
  mkdirSync(path.join(input.outDir, 'records'), { recursive: true });
  mkdirSync(path.join(input.outDir, 'histories'), { recursive: true });
  const files: ArchiveFileEntry[] = [];
  const write = (rel: string, content: string, records?: number) => {
    writeFileSync(path.join(input.outDir, rel), content);
    files.push({ path: rel, sha256: sha256Hex(content), bytes: Buffer.byteLength(content), ...(records !== undefined ? { records } : {}) });
  };
  const jsonl = (rows: readonly unknown[]) => rows.map((r) => `${JSON.stringify(toJsonData(r))}\n`).join('');

  const { records, audit, checkpoints } = await archiveRecords(input.db, { from: input.from, to: input.to });
  for (const [name, rows] of Object.entries(records)) write(`records/${name}.jsonl`, jsonl(rows), rows.length);
  write(AUDIT_FILE, jsonl(audit), audit.length);
  write(CHECKPOINTS_FILE, jsonl(checkpoints), checkpoints.length);
  const auditKey = input.auditPublicKeySpki ? createPublicKey({ key: Buffer.from(input.auditPublicKeySpki), format: 'der', type: 'spki' }) : null;

  const orders = records.orders as ReadonlyArray<{ workflowId: string }>;
  const serials = (records.certificates as ReadonlyArray<{ serial: string }>).map((c) => c.serial);
  const noticeIds = (records.notices as ReadonlyArray<{ id: string }>).map((n) => n.id);
  const workflowIds = [
    ...orders.map((o) => o.workflowId),
    ...serials.flatMap((s) => [revocationWorkflowId(s), expiryRemindersWorkflowId(s)]),
    ...noticeIds.map(noticeWorkflowId),
  ];
  const missing: Array<{ workflowId: string; reason: string }> = [];
  let fetched = 0;
  for (const workflowId of workflowIds) {
    const history = await input.fetchHistory(workflowId);
    if (history === null) {
      missing.push({ workflowId, reason: 'not held by Temporal (never started, or past the namespace retention)' });
      continue;
    }
    write(`histories/${workflowId}.json`, history);
    fetched++;
  }

  const first = audit[0];
  const last = audit[audit.length - 1];
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    period: { from: input.from.toISOString(), to: input.to.toISOString() },
    createdAt: input.now.toISOString(),
    files,
    audit: {
      entries: audit.length,
      firstId: first?.id ?? null,
      lastId: last?.id ?? null,
      prevHash: first ? hexOf(first.prevHash) : null,
      lastHash: last ? hexOf(last.hash) : null,
      checkpoints: {
        entries: checkpoints.length,
        publicKey: auditKey ? auditKey.export({ type: 'spki', format: 'pem' }).toString() : null,
        spkiSha256: auditKey ? spkiSha256Of(auditKey) : null,
      },
    },
    histories: { fetched, missing },
    signer: {
      algorithm: 'Ed25519',
      publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      spkiSha256: spkiSha256Of(key.publicKey),
    },
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(input.outDir, MANIFEST), manifestBytes);
  writeFileSync(path.join(input.outDir, SIGNATURE), `${sign(null, manifestBytes, key.privateKey).toString('base64')}\n`);
  return manifest;
}
