/**
 * Secrets kept in files under <dataDir>/secrets (mode 0600, directory 0700), never in the repository or the
 * database: the HSM PINs, the ACME nonce key and the key that encrypts EAB HMAC keys at rest. `npm start` and the
 * test setup create them once (exclusive create, so two racing starts agree on one value); the processes that use
 * them only read them, and refuse a file other users can read.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Reads the secret in `file`, or creates it with `make()`. */
export function readOrCreateSecretFile(file: string, make: () => string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(file), 0o700);
  try {
    fs.writeFileSync(file, make(), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  fs.chmodSync(file, 0o600);
  return fs.readFileSync(file, 'utf8').trim();
}

const newKey = () => randomBytes(32).toString('hex');

/** Creates the 256-bit key file if it is missing (npm start, the test setup). */
export function ensureSecretKeyFile(file: string): void {
  readOrCreateSecretFile(file, newKey);
}

/** A 256-bit key (64 hex digits) from a secret file that must exist and be readable by its owner only. */
export function readSecretKeyFile(file: string, purpose: string): Uint8Array {
  let stat: fs.Stats;
  let text: string;
  try {
    stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(`${purpose}: cannot read ${file} (${(e as Error).message}); npm start creates it, a deployment provides it`);
  }
  if (stat.mode & 0o077) throw new Error(`${purpose}: ${file} is readable by other users (chmod 600 it)`);
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`${purpose}: ${file} does not hold a 256-bit key (64 hex digits)`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}
