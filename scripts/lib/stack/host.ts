/**
 * The host side of the stack: OS users, files owned by one user only (secrets), binaries staged where the service
 * users can run them, and the command prefix that runs a process as its user (and in its network namespace).
 * Everything here runs as root (`npm run stack` refuses otherwise).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const exec = promisify(execFile);

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

const idCache = new Map<string, Ids>();

/** uid and gid of `user` (root: 0/0). */
export async function idsOf(user: string): Promise<Ids> {
  const cached = idCache.get(user);
  if (cached) return cached;
  const uid = Number((await exec('id', ['-u', user])).stdout.trim());
  const gid = Number((await exec('id', ['-g', user])).stdout.trim());
  const ids = { uid, gid };
  idCache.set(user, ids);
  return ids;
}

/** A system user with its own group, no home and no login shell; created once. */
export async function ensureUser(user: string): Promise<Ids> {
  const exists = await exec('id', ['-u', user]).then(() => true, () => false);
  if (!exists) {
    await exec('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', user]);
  }
  return idsOf(user);
}

/** A directory owned by `user` with `mode` (created with its parents, which stay as they are). */
export async function ownedDir(dir: string, user: string, mode: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = await idsOf(user);
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
  return dir;
}

/** Writes `content` to `file` owned by `user` with `mode`, atomically (the old content is never half-replaced). */
export async function ownedFile(file: string, content: string | Buffer, user: string, mode = 0o600): Promise<string> {
  const { uid, gid } = await idsOf(user);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chownSync(tmp, uid, gid);
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  return file;
}

/** `chown -R user:user dir` (files a root-run setup step wrote into a user's directory). */
export async function chownTree(dir: string, user: string): Promise<void> {
  await exec('chown', ['-R', `${user}:${user}`, dir]);
}

/** A random secret (hex) kept in `file`, created once, readable by `user` only. */
export async function ensureSecret(file: string, user: string, bytes = 24): Promise<string> {
  if (!existsSync(file)) await ownedFile(file, randomBytes(bytes).toString('hex'), user, 0o400);
  else {
    const { uid, gid } = await idsOf(user);
    chownSync(file, uid, gid);
    chmodSync(file, 0o400);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Makes `source` runnable by every service user at `dir/<name>`: a hard link when both are on one file system (no
 * copy of a 150 MB binary), else a copy; redone when the source changed. GOPATH/bin lives in root's home (0700).
 */
export function stageBinary(source: string, dir: string, name = path.basename(source)): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const target = path.join(dir, name);
  const src = statSync(source);
  const current = existsSync(target) ? statSync(target) : undefined;
  if (current && ((current.ino === src.ino && current.dev === src.dev) || (current.size === src.size && current.mtimeMs >= src.mtimeMs))) return target;
  if (current) unlinkSync(target);
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
  chmodSync(target, 0o755);
  return target;
}

/**
 * The command prefix that runs a program as `user` (its own uid, gid and groups, no new privileges), inside network
 * namespace `netns` when given: `ip netns exec <ns> setpriv … -- <program>`.
 */
export function runAs(user: string, netns?: string): string[] {
  const drop = ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--no-new-privs', '--'];
  return netns ? ['ip', 'netns', 'exec', netns, ...drop] : drop;
}

/** Runs a command to completion, with its stderr in the error. */
export async function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await exec(cmd, [...args], { env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr || err.stdout || err.message).trim()}`);
  }
}
