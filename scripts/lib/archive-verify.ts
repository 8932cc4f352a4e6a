/**
 * `npm run admin -- archive verify <dir> [--public-key <pem>] [--audit-public-key <pem>]`: checks an archive bundle
 * (scripts/lib/archive-format.ts) without the database or Temporal:
 *   1. manifest.sig is an Ed25519 signature of manifest.json by the given public key (or, without one, by the key the
 *      manifest names — then only integrity is shown, not who signed: `signer.trusted` says which);
 *   2. every file the manifest lists has its SHA-256 and size, and no file is there that it does not list;
 *   3. the audit segment is a hash chain (BR 5.4.1): each entry hashes to its hash and links to the one before, from the
 *      manifest's prevHash to its lastHash;
 *   4. each certificate whose issuance is in the segment is the one the audit entry recorded (SHA-256 of the DER);
 *   5. each signed checkpoint of the segment (CP 5.4.3) verifies with the audit key — the one given, else the one the
 *      manifest names (integrity only: `auditKey.trusted`) — and the segment still holds the head it signed. The
 *      checkpoints are signed by the HSM, not by the archive's key: a bundle whose audit segment was rewritten and
 *      re-signed with the archive key still fails here.
 * Any modified, added or removed byte fails one of them.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { auditEntryHash } from '../../db/repositories/audit';
import { checkpointSignatureValid } from '../../db/repositories/audit-checkpoints';
import { ARCHIVE_FORMAT, AUDIT_FILE, CHECKPOINTS_FILE, MANIFEST, SIGNATURE, sha256Hex, spkiSha256Of, type ArchiveManifest } from './archive-format';

export interface ArchiveVerification {
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly signer: { readonly spkiSha256: string | null; readonly trusted: boolean };
  /** The key the audit checkpoints were verified with (null: none was given or named). */
  readonly auditKey: { readonly spkiSha256: string | null; readonly trusted: boolean };
  readonly checked: { readonly files: number; readonly auditEntries: number; readonly certificates: number; readonly histories: number; readonly checkpoints: number };
}

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
/** The JSON lines of one file of the bundle; a line that is not JSON (a modified file) is an error, not a crash. */
function jsonLines(dir: string, file: string, errors: string[]): Array<Record<string, unknown>> {
  const p = path.join(dir, file);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .flatMap((l, i) => {
      if (l.length === 0) return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        errors.push(`${file} line ${i + 1} is not JSON`);
        return [];
      }
    });
}

/**
 * Step 5: every checkpoint verifies with the audit key and signed a head the segment still holds, hash for hash.
 * Returns the number checked.
 */
function verifyCheckpoints(checkpoints: ReadonlyArray<Record<string, unknown>>, heads: ReadonlyMap<number, string>, key: KeyObject | null, errors: string[]): number {
  if (checkpoints.length > 0 && !key) {
    errors.push('the bundle has audit checkpoints but no audit public key to verify them (--audit-public-key)');
    return 0;
  }
  const spki = key ? new Uint8Array(key.export({ type: 'spki', format: 'der' })) : new Uint8Array();
  let n = 0;
  for (const c of checkpoints) {
    const sequence = Number(c.sequence);
    const row = { id: Number(c.id), sequence, hash: fromHex(String(c.hash)), signedAt: new Date(String(c.signedAt)), keyLabel: String(c.keyLabel), spkiSha256: fromHex(String(c.spkiSha256)), signature: fromHex(String(c.signature)) };
    if (!checkpointSignatureValid(row, spki)) errors.push(`audit checkpoint of sequence ${sequence} does not verify with the audit key: it was modified or signed by another key`);
    const head = heads.get(sequence);
    if (head !== String(c.hash)) errors.push(`audit checkpoint of sequence ${sequence}: the segment ${head ? 'holds another hash for that entry' : 'does not hold that entry'} (the chain was rewritten or cut)`);
    n++;
  }
  return n;
}

export function verifyArchive(dir: string, opts: { publicKeyPem?: string; auditPublicKeyPem?: string } = {}): ArchiveVerification {
  const errors: string[] = [];
  const checked = { files: 0, auditEntries: 0, certificates: 0, histories: 0, checkpoints: 0 };
  let auditKey: ArchiveVerification['auditKey'] = { spkiSha256: null, trusted: false };
  const fail = (spkiSha256: string | null = null, trusted = false): ArchiveVerification => ({ ok: false, errors, signer: { spkiSha256, trusted }, auditKey, checked });
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
  const audit = jsonLines(dir, AUDIT_FILE, errors);
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
  for (const c of jsonLines(dir, 'records/certificates.jsonl', errors)) {
    const recorded = issued.get(String(c.serial));
    if (recorded === undefined || typeof c.certDer !== 'string') continue;
    if (sha256Hex(fromHex(c.certDer)) !== recorded) errors.push(`certificate ${String(c.serial)} is not the one issued (SHA-256 differs from its audit entry)`);
    checked.certificates++;
  }

  // 5. The signed checkpoints: with the audit key given (trusted), else the one the manifest names.
  const checkpoints = jsonLines(dir, CHECKPOINTS_FILE, errors);
  if (checkpoints.length !== (manifest.audit.checkpoints?.entries ?? 0)) errors.push('the audit checkpoints are not those the manifest lists');
  let checkpointKey: KeyObject | null = null;
  const checkpointKeyPem = opts.auditPublicKeyPem ?? manifest.audit.checkpoints?.publicKey ?? null;
  try {
    checkpointKey = checkpointKeyPem ? createPublicKey(checkpointKeyPem) : null;
  } catch {
    errors.push('the audit public key cannot be read');
  }
  auditKey = { spkiSha256: checkpointKey ? spkiSha256Of(checkpointKey) : null, trusted: checkpointKey !== null && opts.auditPublicKeyPem !== undefined };
  const heads = new Map(audit.map((e) => [Number(e.id), String(e.hash)]));
  checked.checkpoints = verifyCheckpoints(checkpoints, heads, checkpointKey, errors);
  return { ok: errors.length === 0, errors, signer, auditKey, checked };
}
