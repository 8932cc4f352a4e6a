/**
 * Pre-issuance linting (issuance cycle step 6; POLICY-2026.md "Pre-issuance linting", a SHALL since 2025-03-15):
 * the to-be-signed certificate, signed by a throwaway key, goes through real linters — zlint (Go) and pkilint
 * (Python) — and any error refuses the signature. Warnings are recorded; a warning refuses too unless it is in
 * pki/lint-acceptances.ts, where each accepted one is justified (docs/LINTING.md).
 *
 * The linters are external programs run per certificate (ARCHITECTURE.md: check DER with independent tools).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { acceptedLintWarnings } from './lint-acceptances';
import { findGoTool, onPath, ResidentPool } from './resident-linters';

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

/** zlint: $CA_ZLINT_BIN, else on PATH, else where `go install` puts it ($GOPATH/bin, default ~/go/bin). */
export function findZlint(configured?: string): string {
  const found = configured ?? findGoTool('zlint');
  if (found) return found;
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
type ZlintResults = Record<string, { result: string; details?: string }>;

export function parseZlintOutput(stdout: string): LintFinding[] {
  return zlintFindings(JSON.parse(stdout) as ZlintResults);
}

function zlintFindings(json: ZlintResults): LintFinding[] {
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

const pools = new Map<string, ResidentPool>();
const pool = (key: string, make: () => ResidentPool) => pools.get(key) ?? pools.set(key, make()).get(key)!;

/** pkilint through its resident interpreters (CA_PKILINT_RESIDENT=off: one process per lint, as the command line). */
async function runPkilint(bin: string, args: string[]): Promise<string> {
  if (process.env.CA_PKILINT_RESIDENT !== 'off') {
    const python = pythonOf(bin);
    const script = fileURLToPath(new URL('./pkilint-resident.py', import.meta.url));
    try {
      const { stdout } = (await pool(`pkilint ${python}`, () => new ResidentPool('pkilint', python, [script])).ask({ args })) as { stdout: string };
      if (stdout.trim().startsWith('{')) return stdout;
    } catch {
      // fall through to a process of its own: same answer, only slower
    }
  }
  return run(bin, args);
}

/** The zlint version zlint-resident was built with (asked once per binary). */
function residentZlintVersion(zlint: ResidentPool, bin: string): Promise<string> {
  let v = versionCache.get(bin);
  if (!v) versionCache.set(bin, (v = zlint.ask({ version: true }).then((r) => (r as { version: string }).version)));
  return v;
}

/**
 * zlint through zlint-resident (pki/zlint-resident/, built by scripts/install-tools.sh; CA_ZLINT_RESIDENT=off, or no
 * zlint-resident installed: one zlint process per lint). The findings and the version it reports are those of the
 * zlint command line of the same version.
 */
async function runZlint(der: Uint8Array, file: () => Promise<string>, configured?: string): Promise<{ findings: LintFinding[]; version: string }> {
  const resident = process.env.CA_ZLINT_RESIDENT !== 'off' && !configured ? findGoTool('zlint-resident') : undefined;
  if (resident) {
    const zlint = pool(`zlint ${resident}`, () => new ResidentPool('zlint', resident, []));
    try {
      const reply = (await zlint.ask({ der: Buffer.from(der).toString('base64') })) as { results?: ZlintResults };
      if (reply.results) return { findings: zlintFindings(reply.results), version: await residentZlintVersion(zlint, resident) };
    } catch {
      versionCache.delete(resident);
      // fall through to a process of its own
    }
  }
  const bin = findZlint(configured);
  const [stdout, version] = await Promise.all([file().then((f) => run(bin, ['-format', 'der', f])), zlintVersion(bin)]);
  return { findings: parseZlintOutput(stdout), version };
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
  // The DER goes to a file only for what reads one (pkilint, the zlint command line), once.
  let dir: string | undefined;
  let written: Promise<string> | undefined;
  const file = () =>
    (written ??= mkdtemp(path.join(tmpdir(), 'ca-lint-')).then(async (d) => {
      dir = d;
      const f = path.join(d, opts.kind === 'precertificate' ? 'precert.der' : 'cert.der');
      await writeFile(f, der, { mode: 0o600 });
      return f;
    }));
  try {
    return await Promise.all(opts.linters.map(async (linter): Promise<LintRun> => {
      if (linter === 'zlint') {
        const zlint = await runZlint(der, file, opts.binaries?.zlint);
        const findings = classifyFindings('zlint', zlint.findings, opts.developmentAcceptances ?? []);
        return { linter, version: zlint.version, findings, passed: lintPassed(findings) };
      }
      const bin = findPkilint(opts.binaries?.pkilint);
      // The certificate type is given, not detected: the profile (CP 7.1.1: DV or OV), precertificate or final.
      const type = `${(opts.profile ?? 'dv').toUpperCase()}-${opts.kind === 'precertificate' ? 'PRE-CERTIFICATE' : 'FINAL-CERTIFICATE'}`;
      const [stdout, version] = await Promise.all([
        file().then((f) => runPkilint(bin, ['lint', '-t', type, '-f', 'JSON', '--document-format', 'DER', f])),
        pkilintVersion(bin),
      ]);
      const findings = classifyFindings('pkilint', parsePkilintOutput(stdout), opts.developmentAcceptances ?? []);
      return { linter, version, findings, passed: lintPassed(findings) };
    }));
  } finally {
    await written?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
