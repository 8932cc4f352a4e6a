/**
 * The operator commands of the subscriber's life cycle (scripts/admin.ts):
 *   notices failed | notices list --status pending|sent|failed     the outbox (CP 4.3.2, 4.9, expiry reminders)
 *   archive keygen --out <file>                                      the operator's Ed25519 archive key (PKCS#8, 0600)
 *   archive export --from <ISO> --to <ISO> --out <dir> [--key <file>] [--audit-public-key <file>]
 *                                                                    the signed archive of the period (CP 5.5.1), with
 *                                                                    the audit checkpoints and the audit key (from the
 *                                                                    HSM unless given as a file)
 *   archive verify <dir> [--public-key <file>] [--audit-public-key <file>]   check a bundle offline
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { CaConfig } from '../../config';
import type { Db } from '../../db/client';
import { listNotices } from '../../db/repositories/notices';
import { noticeStatuses, type NoticeStatus } from '../../domain/statuses';
import { pemDecode } from '../../pki/pem';
import { connectCaClient } from '../../temporal/connection';
import { spkiSha256Of } from './archive-format';
import { exportArchive } from './archive-export';
import { verifyArchive } from './archive-verify';
import { auditPublicKey } from './audit-key';

/** The failed (or pending, or sent) notices, oldest first: what an operator follows up by other means. */
export async function noticesCommand(db: Db, status: string, limit: number): Promise<unknown[]> {
  if (!(noticeStatuses as readonly string[]).includes(status)) throw new Error(`--status must be one of ${noticeStatuses.join(', ')}`);
  const rows = await listNotices(db, { status: status as NoticeStatus, limit });
  return rows.map((n) => ({
    id: n.id,
    kind: n.kind,
    status: n.status,
    recipient: n.recipient,
    language: n.language,
    serial: n.serial,
    orderId: n.orderId,
    attempts: n.attempts,
    lastError: n.lastError,
    messageId: n.messageId,
    createdAt: n.createdAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
    failedAt: n.failedAt?.toISOString() ?? null,
  }));
}

export const defaultArchiveKeyFile = (config: Pick<CaConfig, 'dataDir'>) => path.join(config.dataDir, 'secrets', 'archive-signing-key.pem');

export function archiveKeygen(file: string): { file: string; publicKey: string; spkiSha256: string } {
  if (existsSync(file)) throw new Error(`${file} exists: a signing key is never overwritten`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { file, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), spkiSha256: spkiSha256Of(publicKey) };
}

export async function archiveExport(config: CaConfig, db: Db, args: { from?: string; to?: string; out?: string; key?: string; 'audit-public-key'?: string }) {
  if (!args.from || !args.to || !args.out) throw new Error('archive export needs --from <ISO date> --to <ISO date> --out <dir>');
  const from = new Date(args.from);
  const to = new Date(args.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new Error('--from and --to are ISO-8601 dates, e.g. 2026-11-01 or 2026-11-01T00:00:00Z');
  const keyFile = args.key ?? defaultArchiveKeyFile(config);
  if (!existsSync(keyFile)) throw new Error(`no signing key at ${keyFile}: create one with npm run admin -- archive keygen --out ${keyFile}`);
  // The key that signed the audit checkpoints, as `audit verify` trusts it: the HSM's, or the file an auditor was given.
  const auditKeyFile = args['audit-public-key'];
  const auditPublicKeySpki = auditKeyFile ? pemDecode(readFileSync(auditKeyFile, 'utf8'), ['PUBLIC KEY']).der : await auditPublicKey(config);
  const temporal = await connectCaClient(config);
  try {
    const manifest = await exportArchive({
      db,
      from,
      to,
      outDir: args.out,
      signingKeyPem: readFileSync(keyFile, 'utf8'),
      auditPublicKeySpki,
      now: new Date(),
      fetchHistory: async (workflowId) => {
        try {
          return historyToJSON(await temporal.client.workflow.getHandle(workflowId).fetchHistory());
        } catch {
          return null;
        }
      },
    });
    return {
      out: args.out,
      period: manifest.period,
      files: manifest.files.length,
      auditEntries: manifest.audit.entries,
      auditCheckpoints: manifest.audit.checkpoints.entries,
      histories: manifest.histories,
      signer: manifest.signer.spkiSha256,
    };
  } finally {
    await temporal.close();
  }
}

export function archiveVerify(dir: string, files: { publicKey?: string; auditPublicKey?: string } = {}) {
  return verifyArchive(dir, {
    ...(files.publicKey ? { publicKeyPem: readFileSync(files.publicKey, 'utf8') } : {}),
    ...(files.auditPublicKey ? { auditPublicKeyPem: readFileSync(files.auditPublicKey, 'utf8') } : {}),
  });
}
