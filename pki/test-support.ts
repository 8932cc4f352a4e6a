/**
 * Helpers shared by the pki unit tests: temporary files and the openssl CLI as the independent DER checker
 * (ARCHITECTURE.md convention 12). Not imported by production code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'pki-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Runs openssl; returns stdout+stderr and the exit status (never throws on a non-zero status). */
export function openssl(args: readonly string[], input?: string | Uint8Array): { status: number; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'buffer' });
  return { status: r.status ?? -1, out: Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)]).toString('utf8') };
}

export function opensslOk(args: readonly string[], input?: string | Uint8Array): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
