/**
 * The compromised/weak key blocklist (BR 6.1.1.3, CP 4.9.12): looked up at application time, filled by the admin
 * command `npm run admin -- blocklist import <file>` and by verified key-compromise reports (CP 4.9.12). Imports are
 * idempotent (a key already listed keeps its first source) and audited.
 */
import { createHash } from 'node:crypto';
import { and, eq, or } from 'drizzle-orm';
import { CaError } from '../../domain/errors';
import { pemDecode } from '../../pki/pem';
import { spkiOfPemBlock } from '../../pki/public-key';
import { blockedKeys } from '../schema';
import { appendAudit } from './audit';
import type { DbOrTx } from './types';

export type BlockedKeyKind = (typeof blockedKeys.$inferSelect)['kind'];

export interface BlockedKeyEntry {
  readonly kind: BlockedKeyKind;
  readonly hash: Uint8Array;
}

/**
 * The Debian weak-key fingerprint of an RSA modulus, as Debian's openssl-blacklist / openssl-vulnkey compute it:
 * the last 20 hex digits (80 bits) of SHA-1("Modulus=" + upper-case hex modulus + "\n").
 */
export function debianModulusFingerprint(modulus: bigint): Uint8Array {
  const line = `Modulus=${modulus.toString(16).toUpperCase()}\n`;
  const sha1 = createHash('sha1').update(line).digest();
  return new Uint8Array(sha1.subarray(sha1.length - 10));
}

/** The first blocklist entry matching the key, by SPKI SHA-256 or (RSA) Debian modulus fingerprint; null if none. */
export async function findBlockedKey(
  db: DbOrTx,
  key: { spkiSha256: Uint8Array; rsaModulus?: bigint },
): Promise<{ kind: BlockedKeyKind; source: string } | null> {
  const conditions = [and(eq(blockedKeys.kind, 'spki-sha256'), eq(blockedKeys.hash, key.spkiSha256))];
  if (key.rsaModulus !== undefined) {
    conditions.push(and(eq(blockedKeys.kind, 'debian-modulus-sha1'), eq(blockedKeys.hash, debianModulusFingerprint(key.rsaModulus))));
  }
  const [row] = await db
    .select({ kind: blockedKeys.kind, source: blockedKeys.source })
    .from(blockedKeys)
    .where(or(...conditions))
    .limit(1);
  return row ?? null;
}

/**
 * Parses a blocklist file. Accepted, mixed freely, `#` comments and blank lines ignored:
 *  - 64 hex digits: SPKI SHA-256;
 *  - 20 hex digits: a Debian openssl-blacklist line (80-bit modulus fingerprint); 40 hex digits: the full SHA-1,
 *    reduced to its last 80 bits;
 *  - PEM blocks PUBLIC KEY / RSA PUBLIC KEY / CERTIFICATE: the SPKI SHA-256 of the key they carry.
 * Throws CaError('malformed') on any other line, naming its number, and on a PEM block that does not decode (the file
 * comes from outside: every block goes through the guarded DER reader): a half-imported list would be worse than none.
 */
export function parseBlocklist(text: string): BlockedKeyEntry[] {
  const out: BlockedKeyEntry[] = [];
  const pemRe = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;
  let n = 0;
  for (const m of text.matchAll(pemRe)) {
    const what = `PEM block ${++n}`;
    const spkiDer = spkiOfPemBlock(pemDecode(m[0]), what);
    out.push({ kind: 'spki-sha256', hash: new Uint8Array(createHash('sha256').update(spkiDer).digest()) });
  }
  const rest = text.replace(pemRe, '');
  rest.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim().toLowerCase();
    if (!line) return;
    if (/^[0-9a-f]{64}$/.test(line)) out.push({ kind: 'spki-sha256', hash: Uint8Array.from(Buffer.from(line, 'hex')) });
    else if (/^[0-9a-f]{20}$/.test(line)) out.push({ kind: 'debian-modulus-sha1', hash: Uint8Array.from(Buffer.from(line, 'hex')) });
    else if (/^[0-9a-f]{40}$/.test(line)) out.push({ kind: 'debian-modulus-sha1', hash: Uint8Array.from(Buffer.from(line.slice(20), 'hex')) });
    else throw new CaError('malformed', `line ${i + 1}: not a SPKI SHA-256 (64 hex), a Debian fingerprint (20/40 hex) or a PEM block`);
  });
  return out;
}

/** Adds entries (duplicates ignored); returns how many were new. One audit entry per import. */
export async function importBlockedKeys(
  db: DbOrTx,
  entries: readonly BlockedKeyEntry[],
  opts: { source: string; actor: string },
): Promise<{ added: number; total: number }> {
  return db.transaction(async (tx) => {
    let added = 0;
    for (let i = 0; i < entries.length; i += 1000) {
      const chunk = entries.slice(i, i + 1000);
      const rows = await tx
        .insert(blockedKeys)
        .values(chunk.map((e) => ({ kind: e.kind, hash: e.hash, source: opts.source })))
        .onConflictDoNothing()
        .returning({ kind: blockedKeys.kind });
      added += rows.length;
    }
    await appendAudit(tx, { actor: opts.actor, event: 'blocklist.imported', data: { source: opts.source, entries: entries.length, added } });
    return { added, total: entries.length };
  });
}
