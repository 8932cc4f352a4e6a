#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and the benchmarks on a fresh machine. Plain Node (no dependencies), because
// it runs before node_modules exists: it installs what is missing — system packages and tools through
// scripts/install-tools.sh when running as root, then node modules — and hands over to the TypeScript entry (tsx) or
// vitest.
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

function goBin() {
  const r = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  return r.status === 0 ? path.join(r.stdout.trim(), 'bin') : undefined;
}

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, name)));
}

// Go-installed tools (temporal, zlint, TesseraCT's `posix`, lego) live in GOPATH/bin: put it on the children's PATH.
const gobin = goBin();
if (gobin && !(process.env.PATH ?? '').split(path.delimiter).includes(gobin)) {
  process.env.PATH = `${gobin}${path.delimiter}${process.env.PATH ?? ''}`;
}

// System packages and tools (PostgreSQL, SoftHSM2, OpenSC, dig, jq, the Temporal CLI, zlint, pkilint, TesseraCT,
// lego, certbot, pebble): scripts/install-tools.sh installs whatever is missing, idempotently (the same script CI runs).
const needed = ['initdb', 'softhsm2-util', 'pkcs11-tool', 'openssl', 'dig', 'jq', 'temporal', 'zlint', 'zlint-resident', 'lint_crl', 'posix', 'lego', 'certbot', 'pebble', 'temporal-test-server'];
// The production topology (`npm run stack`, its test) also needs the real Temporal server and UI, Knot, Unbound,
// ldns, Prometheus and iproute2.
if (command === 'stack' || command === 'test-topology') {
  needed.push('temporal-server', 'temporal-sql-tool', 'temporal-ui-server', 'knotd', 'kdig', 'knsupdate', 'unbound', 'ldns-signzone', 'prometheus', 'ip', 'setpriv');
}
const hasInitdb = () => existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(path.join('/usr/lib/postgresql', v, 'bin', 'initdb')));
const missing = needed.filter((tool) => !(tool === 'initdb' ? hasInitdb() || Boolean(process.env.DATABASE_URL) : onPath(tool)));
if (missing.length > 0) {
  if (process.getuid?.() === 0) {
    say(`installing what is missing: ${missing.join(', ')} (scripts/install-tools.sh)`);
    sh('bash', [path.join(root, 'scripts', 'install-tools.sh')]);
  } else {
    console.error(`[bootstrap] missing: ${missing.join(', ')}. Run as root once: sudo bash scripts/install-tools.sh`);
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
/** The npm scripts that need the node modules bootstrapped first, and what each runs. */
const commands = {
  start: [bin('tsx'), 'scripts/start.ts'],
  test: [bin('vitest'), 'run'],
  stack: [bin('tsx'), 'scripts/stack.ts'],
  'test-topology': [bin('vitest'), 'run', '--config', 'vitest.topology.config.ts'],
  'bench-issue': [bin('tsx'), 'scripts/bench-issue.ts'],
  'bench-cost': [bin('tsx'), 'scripts/bench-cost.ts'],
  'bench-acme': [bin('tsx'), 'scripts/bench-acme.ts'],
  'bench-ct': [bin('tsx'), 'scripts/bench-ct.ts'],
  'bench-crl': [bin('tsx'), 'scripts/bench-crl.ts'],
  'bench-incident': [bin('tsx'), 'scripts/bench-incident.ts'],
  chaos: [bin('tsx'), 'scripts/chaos.ts'],
  soak: [bin('tsx'), 'scripts/soak.ts'],
};
const target = Object.hasOwn(commands, command) ? commands[command] : undefined;
if (!target) {
  console.error(`[bootstrap] unknown command ${command}`);
  process.exit(2);
}
const [program, ...args] = target;
sh(program, [...args, ...rest]);

