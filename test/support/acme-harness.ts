/**
 * The CA with its ACME listener (RFC 8555) for end-to-end tests with real clients: the harness of ca-harness.ts
 * (dev DNS, workers, API) plus api/acme/server.ts over HTTPS on a free port, and runners for lego and certbot that
 * trust the stand-in root (LEGO_CA_CERTIFICATES, REQUESTS_CA_BUNDLE) and keep their state in a temporary directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../config';
import { startAcmeServer, type RunningAcmeServer } from '../../api/acme/server';
import { acmeTlsCaFile } from '../../scripts/lib/acme-tls';
import { startHarness, type Harness } from './ca-harness';

export interface AcmeHarness extends Harness {
  readonly acme: RunningAcmeServer;
  /** The stand-in root (PEM): what the clients trust for the ACME server's TLS certificate. */
  readonly caFile: string;
  readonly hook: string;
  readonly workDir: string;
  stop(): Promise<void>;
}

export function toolPath(name: 'lego' | 'certbot'): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, name)),
    path.join(process.env.GOPATH ?? path.join(process.env.HOME ?? '/root', 'go'), 'bin', name),
    `/root/.pyenv/shims/${name}`,
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${name} is not installed (see .ci/run: lego via go install, certbot via pip)`);
  return found;
}

/**
 * The dev zone of these tests: under a real TLD (JPRS's documentation domain example.jp), because the pre-issuance
 * linters (POLICY-2026.md) rightly refuse certificates for names under the reserved `test` TLD (zlint
 * e_dnsname_not_valid_tld, pkilint cabf.internal_domain_name) — the default dev zone `dev.test` can pass DCV but not
 * step 6. The development DNS server is authoritative for it, exactly as for the default zone.
 */
export const ACME_TEST_ZONE = 'acme.example.jp';

export async function startAcmeHarness(opts: { env?: Record<string, string> } = {}): Promise<AcmeHarness> {
  // CT (step 8) is off here: with the default 200-day validity Chrome's policy needs 3 SCTs and the test
  // setup runs 2 local logs; CT is exercised by test/e2e/ct-lint.test.ts, these tests are about the ACME door.
  const h = await startHarness({ env: { CA_DEV_ZONE: ACME_TEST_ZONE, CA_CT_SUBMISSION: 'off', ...opts.env }, apiOnConfiguredPort: true });
  const acme = await startAcmeServer(h.config, { port: 0 });
  const workDir = mkdtempSync(path.join(tmpdir(), 'acme-e2e-'));
  return {
    ...h,
    acme,
    caFile: acmeTlsCaFile(h.config),
    hook: path.join(repoRoot, 'scripts/acme-hooks/dev-dns-hook.sh'),
    workDir,
    async stop() {
      await acme.close();
      await h.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number;
  readonly out: string;
}

/** Runs a client to completion, never throwing: tests assert on the exit code and the combined output. */
export function run(cmd: string, args: readonly string[], env: Record<string, string>, timeoutMs = 240_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

/** lego against our directory; `--path` keeps its account and certificates under the test's work directory. */
export function lego(h: AcmeHarness, dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run(
    toolPath('lego'),
    // --cert.timeout: lego waits 30 s by default for a processing order; on a loaded 2-core machine the first
    // issuance (cold linters, HSM sessions) can take longer.
    ['--server', h.acme.directoryUrl, '--accept-tos', '--email', 'ops@example.jp', '--path', dir, '--key-type', 'rsa2048', '--cert.timeout', '120', ...args],
    {
      LEGO_CA_CERTIFICATES: h.caFile,
      // dns-01 through the exec provider: the hook writes into the dev DNS server (scripts/acme-hooks/dev-dns-hook.sh).
      EXEC_PATH: h.hook,
      EXEC_POLLING_INTERVAL: '1',
      EXEC_PROPAGATION_TIMEOUT: '60',
      EXEC_SEQUENCE_INTERVAL: '1',
      CA_DEV_DNS_ADMIN_URLS: adminUrls(h),
      ...env,
    },
  );
}

/** The admin APIs of the primary's DNS server and of every remote perspective's (BR 3.2.2.9): the hook writes to all. */
export function adminUrls(h: AcmeHarness): string {
  return [h.dns, ...h.perspectiveDns.values()].map((d) => `http://127.0.0.1:${d.adminPort}`).join(' ');
}

/** certbot with its config, work and logs directories under `dir`, trusting the stand-in root. */
export function certbot(h: AcmeHarness, dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run(
    toolPath('certbot'),
    [
      ...args,
      '--server', h.acme.directoryUrl,
      '--config-dir', path.join(dir, 'config'),
      '--work-dir', path.join(dir, 'work'),
      '--logs-dir', path.join(dir, 'logs'),
      '--non-interactive', '--agree-tos', '-m', 'ops@example.jp', '--no-eff-email',
    ],
    { REQUESTS_CA_BUNDLE: h.caFile, CA_DEV_DNS_ADMIN_URLS: adminUrls(h), ...env },
  );
}
