#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and the benchmarks on a fresh machine. Plain Node (no dependencies), because
// it runs before node_modules exists: it installs what is missing — node modules, the Debian packages (PostgreSQL,
// SoftHSM2, OpenSC) when running as root — and then hands over to the TypeScript entry (tsx) or vitest. The Temporal
// CLI is built on first use by scripts/lib/temporal.ts (go install …@v1.5.1).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...rest] = process.argv.slice(2);
const say = (s) => console.log(`[bootstrap] ${s}`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`[bootstrap] ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function hasPostgres() {
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(path.join(base, v, 'bin', 'initdb')));
}

const systemNeeds = [
  { what: 'PostgreSQL server binaries', ok: () => hasPostgres() || Boolean(process.env.DATABASE_URL), pkg: 'postgresql' },
  { what: 'SoftHSM2', ok: () => existsSync('/usr/lib/softhsm/libsofthsm2.so') || Boolean(process.env.PKCS11_MODULE), pkg: 'softhsm2' },
  { what: 'OpenSC (pkcs11-tool)', ok: () => existsSync('/usr/bin/pkcs11-tool'), pkg: 'opensc' },
  { what: 'OpenSSL', ok: () => existsSync('/usr/bin/openssl'), pkg: 'openssl' },
  // dig checks the development DNS server's wire format in the tests, independently of our own DNS client.
  { what: 'dig (dnsutils)', ok: () => existsSync('/usr/bin/dig'), pkg: 'dnsutils' },
  // jq reads the API's JSON in the README tour.
  { what: 'jq', ok: () => existsSync('/usr/bin/jq'), pkg: 'jq' },
];

const missing = systemNeeds.filter((n) => !n.ok());
if (missing.length > 0) {
  const pkgs = missing.map((n) => n.pkg);
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    say(`installing ${pkgs.join(' ')} (Debian packages)`);
    sh('apt-get', ['update', '-q']);
    sh('apt-get', ['install', '-y', '-q', ...pkgs], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    console.error(`[bootstrap] missing: ${missing.map((n) => n.what).join(', ')}. Install them: sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
}

if (!existsSync(path.join(root, 'node_modules', '.bin', 'tsx')) || !existsSync(path.join(root, 'node_modules', 'pkcs11js', 'build', 'Release'))) {
  say('installing node modules (npm ci)');
  sh('npm', ['ci', '--no-audit', '--no-fund']);
}

// Ctrl-C reaches the child too (same process group); it shuts down cleanly, and we wait for it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
switch (command) {
  case 'start':
    sh(bin('tsx'), ['scripts/start.ts', ...rest]);
    break;
  case 'test':
    sh(bin('vitest'), ['run', ...rest]);
    break;
  case 'bench-issue':
    sh(bin('tsx'), ['scripts/bench-issue.ts', ...rest]);
    break;
  default:
    console.error(`[bootstrap] unknown command ${command}`);
    process.exit(2);
}

