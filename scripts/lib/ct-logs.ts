/**
 * Real local CT logs for development and tests (issuance cycle step 8): TesseraCT's POSIX binary
 * (`go install github.com/transparency-dev/tesseract/cmd/tesseract/posix@v0.1.1` — v0.1.2, named in TOOLCHAIN.md,
 * does not build from the Go module proxy: two of its dependencies' pseudo-versions are not served), run as three
 * instances of two log operators, each with its own P-256 key and file storage under <dataDir>/ct/, and
 * accepting as roots our stand-in root and the issuing CAs. Their entries are written to the log list file
 * (config.ct.logListFile) the CT activities read.
 *
 * "local-a1" is listed as an RFC 6962 log, the others as static-CT logs: TesseraCT takes submissions with RFC
 * 6962's add-pre-chain (which is all this CA uses) and serves the static-ct-api tiles for reading, so either label
 * is true of it; the mix lets the development CA exercise Apple's "at least one RFC 6962 log".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { CaConfig } from '../../config';
import type { CtLogEntry } from '../../activities/ct/log-list';
import type { Db } from '../../db/client';
import { listIssuers } from '../../db/repositories/issuers';
import { pemEncode } from '../../pki/pem';

export const TESSERACT_MODULE = 'github.com/transparency-dev/tesseract/cmd/tesseract/posix@v0.1.1';

type Log = (line: string) => void;

function goBin(): string {
  const gopath = (process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go')).split(path.delimiter)[0]!;
  return path.join(gopath, 'bin');
}

/** $CA_TESSERACT_BIN, else `tesseract-posix` on PATH, else $GOPATH/bin/posix (what `go install` names it), else built. */
export async function ensureTesseractBinary(log: Log): Promise<string> {
  if (process.env.CA_TESSERACT_BIN) return process.env.CA_TESSERACT_BIN;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'tesseract-posix'))) return path.join(dir, 'tesseract-posix');
  }
  const built = path.join(goBin(), 'posix');
  if (existsSync(built)) return built;
  log(`building TesseraCT: go install ${TESSERACT_MODULE} (a few minutes)`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', TESSERACT_MODULE], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => log(c.toString('utf8').trim()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${TESSERACT_MODULE} failed (${code})`))));
  });
  return built;
}

/** A TCP port on 127.0.0.1 that is free now (the chaos harness takes its ports the same way). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalCtLogs {
  readonly logs: readonly CtLogEntry[];
  readonly logListFile: string;
  stop(): Promise<void>;
}

/**
 * Three logs of two operators: a certificate of more than 180 days (200 today, BR 6.3.2) needs 3 SCTs with at most
 * 2 counted per operator (Chrome/Apple, POLICY-2026.md), so operator A runs two logs — as real operators do.
 */
const instances = [
  { id: 'local-a1', operator: 'Local Log Operator A', api: 'rfc6962' as const },
  { id: 'local-a2', operator: 'Local Log Operator A', api: 'static-ct' as const },
  { id: 'local-b', operator: 'Local Log Operator B', api: 'static-ct' as const },
];

/** The log's P-256 key (SEC1 PEM, what TesseraCT reads), created once; returns the public key as base64 DER SPKI. */
function ensureLogKey(file: string): string {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
  }
  return createPublicKey(readFileSync(file)).export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * Starts both logs (the CA hierarchy must exist: the roots file is built from it) and writes the log list.
 * `logListFile` defaults to config.ct.logListFile.
 */
export async function startLocalCtLogs(config: CaConfig, opts: { db: Db; log: Log; logListFile?: string }): Promise<LocalCtLogs> {
  const binary = await ensureTesseractBinary(opts.log);
  const dir = path.join(config.dataDir, 'ct');
  await mkdir(dir, { recursive: true });
  await mkdir(path.join(config.dataDir, 'logs'), { recursive: true });
  const rootsFile = path.join(dir, 'roots.pem');
  const cas = (await listIssuers(opts.db)).filter((i) => i.certDer);
  writeFileSync(rootsFile, cas.map((i) => pemEncode('CERTIFICATE', i.certDer!)).join(''));

  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }));
  };

  try {
    const logs: CtLogEntry[] = [];
    for (const inst of instances) {
      const home = path.join(dir, inst.id);
      await mkdir(home, { recursive: true });
      const publicKey = ensureLogKey(path.join(home, 'key.pem'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/${inst.id}`;
      const args = [
        '--private_key', path.join(home, 'key.pem'),
        // The checkpoint origin is stable across restarts (the port is not); it names this development log.
        '--origin', `ct.example.jp/${inst.id}`,
        '--path_prefix', `/${inst.id}`,
        '--storage_dir', path.join(home, 'storage'),
        '--roots_pem_file', rootsFile,
        '--http_endpoint', `127.0.0.1:${port}`,
        // SHA-1 chains are never ours; accepting them is only TesseraCT's default for Chrome's merge-delay monitor.
        '--accept_sha1_signing_algorithms=false',
        // Publish checkpoints quickly: add-pre-chain answers once the entry is integrated.
        '--checkpoint_interval', '500ms',
      ];
      const logFd = openSync(path.join(config.dataDir, 'logs', `ct-${inst.id}.log`), 'a');
      const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      children.push(child);
      logs.push({ id: inst.id, url, publicKey, operator: inst.operator, api: inst.api, state: 'usable' });
    }
    // Ready when get-roots answers (RFC 6962 4.3).
    const deadline = Date.now() + 30_000;
    for (const [i, l] of logs.entries()) {
      for (;;) {
        const child = children[i]!;
        if (child.exitCode !== null) throw new Error(`TesseraCT ${l.id} exited (code ${child.exitCode}); see data logs/ct-${l.id}.log`);
        const ok = await fetch(`${l.url}/ct/v1/get-roots`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`TesseraCT ${l.id} did not answer on ${l.url}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const logListFile = opts.logListFile ?? config.ct.logListFile;
    await mkdir(path.dirname(logListFile), { recursive: true });
    writeFileSync(logListFile, `${JSON.stringify({ logs }, null, 2)}\n`);
    opts.log(`CT logs (TesseraCT): ${logs.map((l) => `${l.id} ${l.url}`).join(', ')}; log list ${logListFile}`);
    return { logs, logListFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
