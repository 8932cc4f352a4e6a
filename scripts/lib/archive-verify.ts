/**
 * `npm run admin -- archive verify <dir> [--public-key <pem>]`: checks an archive bundle (scripts/lib/archive-format.ts)
 * without the database or Temporal:
 *   1. manifest.sig is an Ed25519 signature of manifest.json by the given public key (or, without one, by the key the
 *      manifest names — then only integrity is shown, not who signed: `signer.trusted` says which);
 *   2. every file the manifest lists has its SHA-256 and size, and no file is there that it does not list;
 *   3. the audit segment is a hash chain (BR 5.4.1): each entry hashes to its hash and links to the one before, from the
 *      manifest's prevHash to its lastHash;
 *   4. each certificate whose issuance is in the segment is the one the audit entry recorded (SHA-256 of the DER).
 * Any modified, added or removed byte fails one of them.
 */
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { auditEntryHash } from '../../db/repositories/audit';
import { ARCHIVE_FORMAT, MANIFEST, SIGNATURE, sha256Hex, spkiSha256Of, type ArchiveManifest } from './archive-format';

export interface ArchiveVerification {
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly signer: { readonly spkiSha256: string | null; readonly trusted: boolean };
  readonly checked: { readonly files: number; readonly auditEntries: number; readonly certificates: number; readonly histories: number };
}

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const lines = (text: string) => text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);

export function verifyArchive(dir: string, opts: { publicKeyPem?: string } = {}): ArchiveVerification {
  const errors: string[] = [];
  const checked = { files: 0, auditEntries: 0, certificates: 0, histories: 0 };
  const fail = (spkiSha256: string | null = null, trusted = false): ArchiveVerification => ({ ok: false, errors, signer: { spkiSha256, trusted }, checked });
  if (!existsSync(path.join(dir, MANIFEST)) || !existsSync(path.join(dir, SIGNATURE))) {
    errors.push(`${dir} has no ${MANIFEST} and ${SIGNATURE}`);
    return fail();
  }
  const manifestBytes = readFileSync(path.join(dir, MANIFEST));
  const signature = Buffer.from(readFileSync(path.join(dir, SIGNATURE), 'utf8').trim(), 'base64');
  let manifest: ArchiveManifest | null = null;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as ArchiveManifest;
  } catch {
    manifest = null;
  }

  // 1. The signature, over the bytes, before anything in them is believed: with the trusted key when given, else with
  //    the key the manifest names (integrity only).
  const trusted = opts.publicKeyPem !== undefined;
  let key;
  try {
    key = createPublicKey(opts.publicKeyPem ?? manifest?.signer.publicKey ?? '');
  } catch {
    errors.push(manifest ? 'the public key cannot be read' : `${MANIFEST} is not JSON and no public key was given`);
    return fail();
  }
  const signer = { spkiSha256: spkiSha256Of(key), trusted };
  if (!verify(null, manifestBytes, key, signature)) errors.push(`${SIGNATURE} does not verify: ${MANIFEST} was modified or signed by another key`);
  if (!manifest) {
    errors.push(`${MANIFEST} is not JSON`);
    return fail(signer.spkiSha256, trusted);
  }
  if (manifest.format !== ARCHIVE_FORMAT) errors.push(`unknown format ${String(manifest.format)}`);

  // 2. The files, and nothing else.
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  for (const f of manifest.files) {
    const p = path.join(dir, f.path);
    if (!existsSync(p)) {
      errors.push(`${f.path} is missing`);
      continue;
    }
    const data = readFileSync(p);
    if (data.length !== f.bytes || sha256Hex(data) !== f.sha256) errors.push(`${f.path} was modified (SHA-256 or size differs)`);
    checked.files++;
  }
  for (const sub of ['records', 'histories']) {
    const d = path.join(dir, sub);
    for (const name of existsSync(d) ? readdirSync(d) : []) if (!listed.has(`${sub}/${name}`)) errors.push(`${sub}/${name} is not in the manifest`);
  }
  checked.histories = manifest.files.filter((f) => f.path.startsWith('histories/')).length;

  // 3. The audit segment's chain.
  const auditFile = path.join(dir, 'records', 'audit.jsonl');
  const audit = existsSync(auditFile) ? lines(readFileSync(auditFile, 'utf8')) : [];
  let prev = manifest.audit.prevHash;
  for (const e of audit) {
    const recomputed = Buffer.from(
      auditEntryHash(fromHex(String(e.prevHash)), { at: new Date(String(e.at)), actor: String(e.actor), event: String(e.event), orderId: (e.orderId as string | null) ?? null, serial: (e.serial as string | null) ?? null, data: e.data }),
    ).toString('hex');
    if (e.prevHash !== prev) errors.push(`audit entry ${String(e.id)} does not link to the entry before it`);
    if (recomputed !== e.hash) errors.push(`audit entry ${String(e.id)} does not hash to its stored hash`);
    prev = String(e.hash);
    checked.auditEntries++;
  }
  if (audit.length !== manifest.audit.entries || (audit.length > 0 && prev !== manifest.audit.lastHash)) errors.push('the audit segment does not end where the manifest says');

  // 4. The certificates are those the audit log recorded at issuance.
  const issued = new Map(audit.filter((e) => e.event === 'certificate.issued').map((e) => [String(e.serial), String((e.data as { sha256?: unknown }).sha256)]));
  const certFile = path.join(dir, 'records', 'certificates.jsonl');
  for (const c of existsSync(certFile) ? lines(readFileSync(certFile, 'utf8')) : []) {
    const recorded = issued.get(String(c.serial));
    if (recorded === undefined || typeof c.certDer !== 'string') continue;
    if (sha256Hex(fromHex(c.certDer)) !== recorded) errors.push(`certificate ${String(c.serial)} is not the one issued (SHA-256 differs from its audit entry)`);
    checked.certificates++;
  }
  return { ok: errors.length === 0, errors, signer, checked };
}
