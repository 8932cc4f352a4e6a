/**
 * `npm run stack`: the production topology on one machine (docs/DEPLOYMENT.md) — the real Temporal server with mTLS
 * on PostgreSQL, one OS user per security context, the perspectives in their own network namespaces, a DNSSEC-
 * validating resolver in front of a signed zone, Prometheus — with state under data-stack/. Ctrl-C stops everything.
 * Runs as root (it creates users, namespaces and files owned by them).
 */
import { bringUpStack, type RunningStack } from './lib/stack';

const log = (line: string) => console.log(`[stack] ${line}`);
let shuttingDown = false;

/** `--env NAME=VALUE` (repeatable): a setting for every CA process, e.g. a shorter DCV window in the topology test. */
function parseArgs(argv: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i] === '--env' ? /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(argv[i + 1] ?? '') : null;
    if (!m) {
      console.error('usage: npm run stack [-- --env NAME=VALUE ...]');
      process.exit(2);
    }
    env[m[1]!] = m[2]!;
    i++;
  }
  return env;
}

const bringingUp: Promise<RunningStack> = bringUpStack({ log, env: parseArgs(process.argv.slice(2)), onFatal: () => void shutdown(1) });

/** Stops once the bring-up has settled (a Ctrl-C during it waits for it, then stops what it started). */
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping…');
  const stack = await bringingUp.catch(() => undefined);
  await stack?.stop();
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const s = (await bringingUp).state;
  log(`the production topology is up (state: data-stack/, coordinates: data-stack/stack.json):
  API            ${s.apiUrl}, ${s.apiTlsUrl} (trust ${s.apiCaFile})
  ACME           ${s.acmeDirectoryUrl} (trust ${s.acmeCaFile})
  OCSP           ${s.ocspUrl}
  Temporal       ${s.temporal.address} (mTLS, server name ${s.temporal.serverName}), namespace ${s.namespace}; Web UI ${s.temporalUiUrl}
  DNS            zone ${s.zone} signed by Knot; validating resolver ${s.resolver}; ${s.bogusZone} is deliberately bogus
                 records: CA_DEV_DNS_ADMIN_PORT=${new URL(s.dnsAdminUrl).port} npm run dns -- add TXT <name> <value>
  Prometheus     ${s.prometheusUrl} (every CA process, the workers' Temporal SDKs, the Temporal server)
  mail           ${s.mailDir}/ (the local SMTP relay: notices, vetting, the e-mail method)
  operator CLI   sudo env $(sudo jq -r '.operatorEnv | to_entries[] | "\\(.key)=\\(.value)"' data-stack/stack.json) npm run admin -- …
  logs           data-stack/logs/
Press Ctrl-C to stop everything.`);
} catch (e) {
  console.error(`[stack] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
