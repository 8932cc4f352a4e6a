/**
 * Pre-issuance linting (issuance cycle step 6; POLICY-2026.md "Pre-issuance linting", a SHALL since 2025-03-15):
 * the to-be-signed certificate, signed by a throwaway key, goes through real linters — zlint (Go) and pkilint
 * (Python) — and any error refuses the signature. Warnings are recorded; a warning refuses too unless it is in
 * pki/lint-acceptances.ts, where each accepted one is justified (docs/LINTING.md).
 *
 * The linters are external programs run per certificate (ARCHITECTURE.md: check DER with independent tools).
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { acceptedLintWarnings } from './lint-acceptances';

const execFileAsync = promisify(execFile);

export type LinterName = 'zlint' | 'pkilint';
export type FindingSeverity = 'fatal' | 'error' | 'warning' | 'notice' | 'info';

export interface LintFinding {
  readonly severity: FindingSeverity;
  readonly code: string;
  readonly message?: string;
  /** pkilint: the ASN.1 node path of the finding. */
  readonly path?: string;
  /** Set on warnings found in pki/lint-acceptances.ts: the justification. */
  readonly acceptedBecause?: string;
}

export interface LintRun {
  readonly linter: LinterName;
  readonly version: string;
  /** Every finding that is not a pass / not applicable. */
  readonly findings: readonly LintFinding[];
  /** false when an error/fatal or an unaccepted warning was found. */
  readonly passed: boolean;
}

export interface LinterBinaries {
  readonly zlint?: string;
  readonly pkilint?: string;
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/** zlint: $CA_ZLINT_BIN, else on PATH, else where `go install` puts it ($GOPATH/bin, default ~/go/bin). */
export function findZlint(configured?: string): string {
  if (configured) return configured;
  const found = onPath('zlint');
  if (found) return found;
  const gopath = (process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go')).split(path.delimiter)[0]!;
  const candidate = path.join(gopath, 'bin', 'zlint');
  if (existsSync(candidate)) return candidate;
  throw new Error('zlint not found: go install github.com/zmap/zlint/v3/cmd/zlint@v3.7.3 (or set CA_ZLINT_BIN)');
}

/** pkilint's CA/B Forum TLS BR entry point (pip install pkilint==0.13.3). */
export function findPkilint(configured?: string): string {
  if (configured) return configured;
  const found = onPath('lint_cabf_serverauth_cert');
  if (found) return found;
  throw new Error('lint_cabf_serverauth_cert (pkilint) not found: pip install pkilint==0.13.3 (or set CA_PKILINT_BIN)');
}

const versionCache = new Map<string, Promise<string>>();

function zlintVersion(bin: string): Promise<string> {
  let v = versionCache.get(bin);
  if (!v) {
    v = (async () => {
      // `go install` builds print "dev-unknown"; the module version is in the binary's build info.
      const own = (await execFileAsync(bin, ['-version']).catch(() => ({ stdout: '' }))).stdout.trim();
      if (own && !own.includes('dev-unknown')) return own;
      const info = (await execFileAsync('go', ['version', '-m', bin]).catch(() => ({ stdout: '' }))).stdout;
      const m = /\bmod\s+github\.com\/zmap\/zlint\/v3\s+(\S+)/.exec(info);
      return m ? `zlint ${m[1]}` : 'zlint (unknown version)';
    })();
    versionCache.set(bin, v);
  }
  return v;
}

/** The Python that runs pkilint: the script's shebang (a venv's python), else python3 (e.g. behind a pyenv shim). */
function pythonOf(bin: string): string {
  try {
    const first = readFileSync(realpathSync(bin), 'utf8').slice(0, 200).split('\n')[0] ?? '';
    const m = /^#!\s*(\S*python[\d.]*)\s*$/.exec(first);
    return m ? m[1]! : 'python3';
  } catch {
    return 'python3';
  }
}

function pkilintVersion(bin: string): Promise<string> {
  let v = versionCache.get(bin);
  if (!v) {
    v = execFileAsync(pythonOf(bin), ['-c', 'import importlib.metadata as m; print(m.version("pkilint"))'])
      .then(({ stdout }) => `pkilint ${stdout.trim()}`)
      .catch(() => 'pkilint (unknown version)');
    versionCache.set(bin, v);
  }
  return v;
}

/**
 * A development-only acceptance (never in production): the development zone (config CA_DEV_ZONE, `dev.test`) is an
 * Internal Name that api/accept.ts admits only in development, so the linters rightly flag it. `applies` decides
 * per finding, so only findings about the dev zone are accepted.
 */
export interface DevelopmentAcceptance {
  readonly linter: LinterName;
  readonly code: string;
  readonly applies: (f: LintFinding) => boolean;
  readonly justification: string;
}

export function classifyFindings(linter: LinterName, findings: LintFinding[], development: readonly DevelopmentAcceptance[]): LintRun['findings'] {
  return findings.map((f) => {
    const dev = development.find((a) => a.linter === linter && a.code === f.code && a.applies(f));
    if (dev) return { ...f, acceptedBecause: `development only: ${dev.justification}` };
    if (f.severity !== 'warning') return f;
    const accepted = acceptedLintWarnings.find((a) => a.linter === linter && a.code === f.code);
    return accepted ? { ...f, acceptedBecause: accepted.justification } : f;
  });
}

/** Refused: any fatal, error or warning that is not accepted (warnings: pki/lint-acceptances.ts). */
export function lintPassed(findings: readonly LintFinding[]): boolean {
  return !findings.some((f) => (f.severity === 'fatal' || f.severity === 'error' || f.severity === 'warning') && !f.acceptedBecause);
}

const zlintSeverity: Record<string, FindingSeverity | undefined> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warning',
  notice: 'notice',
  info: 'info',
};

/** zlint's JSON: { "<lint name>": { "result": "pass|NA|NE|info|notice|warn|error|fatal", "details"?: string } }. */
export function parseZlintOutput(stdout: string): LintFinding[] {
  const json = JSON.parse(stdout) as Record<string, { result: string; details?: string }>;
  const out: LintFinding[] = [];
  for (const [code, r] of Object.entries(json)) {
    const severity = zlintSeverity[r.result];
    if (severity) out.push({ severity, code, ...(r.details ? { message: r.details } : {}) });
  }
  return out;
}

const pkilintSeverity: Record<string, FindingSeverity | undefined> = {
  FATAL: 'fatal',
  ERROR: 'error',
  WARNING: 'warning',
  NOTICE: 'notice',
  INFO: 'info',
};

/** pkilint's JSON: { results: [{ node_path, validator, finding_descriptions: [{ severity, code, message }] }] }. */
export function parsePkilintOutput(stdout: string): LintFinding[] {
  const json = JSON.parse(stdout) as {
    results: Array<{ node_path: string; finding_descriptions: Array<{ severity: string; code: string; message: string | null }> }>;
  };
  const out: LintFinding[] = [];
  for (const r of json.results) {
    for (const d of r.finding_descriptions) {
      const severity = pkilintSeverity[d.severity];
      if (severity) out.push({ severity, code: d.code, path: r.node_path, ...(d.message ? { message: d.message } : {}) });
    }
  }
  return out;
}

/**
 * pkilint kept warm: a pool of resident interpreters (pki/pkilint-resident.py) that take the command line's arguments
 * and return what it would print. A process start costs ≈ 0.4 s of imports before a ≈ 0.18 s lint, and every TBS is
 * linted (steps 6 and 10), so this is most of the CA's CPU per certificate (docs/BENCHMARKS.md). A crashed interpreter
 * is replaced on the next request; if none can start, the caller falls back to one process per lint.
 */
class ResidentPkilint {
  private readonly idle: ChildProcessWithoutNullStreams[] = [];
  private readonly waiting: Array<(p: ChildProcessWithoutNullStreams) => void> = [];
  private started = 0;

  constructor(
    private readonly python: string,
    private readonly size: number,
  ) {}

  async run(args: string[]): Promise<string> {
    const proc = await this.acquire();
    try {
      const reply = await this.ask(proc, args);
      this.release(proc);
      return reply;
    } catch (e) {
      this.started--;
      proc.kill();
      throw e;
    }
  }

  private acquire(): Promise<ChildProcessWithoutNullStreams> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.started < this.size) {
      this.started++;
      const script = fileURLToPath(new URL('./pkilint-resident.py', import.meta.url));
      const proc = spawn(this.python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
      // Spawn failures and writes to a dead interpreter surface as the request's error (see ask), never as a crash.
      proc.on('error', () => {});
      proc.stdin.on('error', () => {});
      proc.on('exit', () => {
        const i = this.idle.indexOf(proc);
        if (i >= 0) {
          this.idle.splice(i, 1);
          this.started--;
        }
      });
      return Promise.resolve(proc);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(proc: ChildProcessWithoutNullStreams): void {
    const next = this.waiting.shift();
    if (next) return next(proc);
    // An idle interpreter must not keep a finished process (a CLI, a test) alive.
    proc.unref();
    for (const s of [proc.stdin, proc.stdout, proc.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    this.idle.push(proc);
  }

  private ask(proc: ChildProcessWithoutNullStreams, args: string[]): Promise<string> {
    proc.ref();
    for (const s of [proc.stdin, proc.stdout, proc.stderr]) (s as unknown as { ref?: () => void }).ref?.();
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => done(new Error('resident pkilint did not answer within 60 s')), 60_000);
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const nl = buffered.indexOf('\n');
        if (nl < 0) return;
        try {
          done(undefined, (JSON.parse(buffered.slice(0, nl)) as { stdout: string }).stdout);
        } catch (e) {
          done(e as Error);
        }
      };
      const onExit = (code: number | null) => done(new Error(`resident pkilint exited (${code})`));
      const onError = (e: Error) => done(e);
      const done = (err?: Error, out?: string) => {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        if (err) reject(err);
        else resolve(out!);
      };
      proc.stdout.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
      proc.stdin.write(`${JSON.stringify({ args })}\n`);
    });
  }
}

const residentPools = new Map<string, ResidentPkilint>();

/** pkilint through the warm pool (CA_PKILINT_RESIDENT=off: one process per lint, as the command line). */
async function runPkilint(bin: string, args: string[]): Promise<string> {
  if (process.env.CA_PKILINT_RESIDENT !== 'off') {
    const python = pythonOf(bin);
    let pool = residentPools.get(python);
    if (!pool) residentPools.set(python, (pool = new ResidentPkilint(python, Math.max(1, availableParallelism()))));
    try {
      const out = await pool.run(args);
      if (out.trim().startsWith('{')) return out;
    } catch {
      // fall through to a process of its own: same answer, only slower
    }
  }
  return run(bin, args);
}

/** Runs a linter that exits non-zero when it finds something: the JSON on stdout is the answer either way. */
async function run(bin: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(bin, args, { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 })).stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    if (err.stdout && err.stdout.trim().startsWith('{')) return err.stdout;
    throw new Error(`${path.basename(bin)} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/**
 * Lints one DER certificate (a precertificate or a final certificate, signed by the throwaway lint key) with the
 * given linters, in parallel.
 */
export async function lintCertificate(
  der: Uint8Array,
  opts: {
    kind: 'precertificate' | 'final';
    /** The certificate's profile (CP 7.1.1): which pkilint certificate type applies. Default dv. */
    profile?: 'dv' | 'ov';
    linters: readonly LinterName[];
    binaries?: LinterBinaries;
    /** Only ever passed in development (activities/lint.ts). */
    developmentAcceptances?: readonly DevelopmentAcceptance[];
  },
): Promise<LintRun[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ca-lint-'));
  try {
    const file = path.join(dir, opts.kind === 'precertificate' ? 'precert.der' : 'cert.der');
    await writeFile(file, der, { mode: 0o600 });
    return await Promise.all(opts.linters.map(async (linter): Promise<LintRun> => {
      if (linter === 'zlint') {
        const bin = findZlint(opts.binaries?.zlint);
        const [stdout, version] = await Promise.all([run(bin, ['-format', 'der', file]), zlintVersion(bin)]);
        const findings = classifyFindings('zlint', parseZlintOutput(stdout), opts.developmentAcceptances ?? []);
        return { linter, version, findings, passed: lintPassed(findings) };
      }
      const bin = findPkilint(opts.binaries?.pkilint);
      // The certificate type is given, not detected: the profile (CP 7.1.1: DV or OV), precertificate or final.
      const type = `${(opts.profile ?? 'dv').toUpperCase()}-${opts.kind === 'precertificate' ? 'PRE-CERTIFICATE' : 'FINAL-CERTIFICATE'}`;
      const [stdout, version] = await Promise.all([
        runPkilint(bin, ['lint', '-t', type, '-f', 'JSON', '--document-format', 'DER', file]),
        pkilintVersion(bin),
      ]);
      const findings = classifyFindings('pkilint', parsePkilintOutput(stdout), opts.developmentAcceptances ?? []);
      return { linter, version, findings, passed: lintPassed(findings) };
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
