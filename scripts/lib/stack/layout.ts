/**
 * The production topology on one machine (`npm run stack`, docs/DEPLOYMENT.md): where its state lives under
 * data-stack/, its ports (apart from `npm start`'s and the test slots'), and its security contexts — one OS user
 * per process of the CA, each perspective in a network namespace of its own. Everything else in scripts/lib/stack
 * reads these tables, so the users, their secrets, their certificates and their processes cannot drift apart.
 */
import path from 'node:path';
import { repoRoot } from '../../../config';

/** In 21xxx: clear of `npm start` (5433, 7233, 8xxx), the test slots (1xxxx) and the benchmarks (25xxx–28xxx). */
export const stackPorts = {
  postgres: 21432,
  knot: 21353,
  /** The primary perspective's validating Unbound. */
  resolver: 21354,
  /** The dev zone's admin API (records by RFC 2136 dynamic update to Knot): `npm run dns`, the ACME hook. */
  dnsAdmin: 21355,
  temporalFrontend: 21233,
  temporalHistory: 21234,
  temporalMatching: 21235,
  temporalWorker: 21239,
  temporalFrontendMembership: 21933,
  temporalHistoryMembership: 21934,
  temporalMatchingMembership: 21935,
  temporalWorkerMembership: 21939,
  temporalMetrics: 21800,
  temporalUi: 21280,
  api: 21080,
  /** The applicant API's HTTPS listener (API keys travel in headers): its links and Location headers point here. */
  apiTls: 21444,
  ocsp: 21081,
  acme: 21443,
  prometheus: 21090,
  /** /metrics listeners (CA_METRICS_PORT) of the processes whose door does not serve it over plain http. */
  acmeMetrics: 21091,
  workerMetrics: 21092,
  workerSdkMetrics: 21093,
  signingMetrics: 21094,
  signingSdkMetrics: 21095,
  /** The local SMTP relay (mail sink) the notices and the constructed e-mail method go to. */
  smtp: 21025,
} as const;

/**
 * A perspective's metrics listeners, on its own link's address inside its namespace (the same ports in every
 * namespace): Prometheus on the host reaches them over the veth pair, as it reaches a remote region's exporter.
 */
export const perspectiveMetricsPorts = { metrics: 21096, sdk: 21097 } as const;

/** The dev zone, signed by Knot (DNSSEC), and its deliberately broken child zone (bad signatures). */
export const stackZone = 'dev.test';
export const bogusZone = `bogus.${stackZone}`;
/** The CA's Temporal namespace: retention and history archival are set on it at start. */
export const stackNamespace = 'ca';
/** The name in the frontend's certificate; clients reach it by IP (127.0.0.1, a veth address) and check this name. */
export const frontendServerName = 'temporal-frontend';
export const internodeServerName = 'temporal-internode';

/** A remote MPIC perspective (BR 3.2.2.9): its own OS user, network namespace, veth link and Unbound. */
export interface StackPerspective {
  readonly id: string;
  readonly region: string;
  readonly user: string;
  readonly netns: string;
  /** veth ends: on the host and inside the namespace (interface names ≤ 15 bytes). */
  readonly hostIf: string;
  readonly nsIf: string;
  /** The /30 link: host side (Temporal and Knot answer there), namespace side. */
  readonly hostAddress: string;
  readonly nsAddress: string;
}

const regions = ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'] as const;

/** Five remotes in five RIR regions: policy(now) wants 5 from 2026-12-15 (BR 3.2.2.9, POLICY-2026.md). */
export const stackPerspectives: readonly StackPerspective[] = regions.map((region, i) => {
  const id = `stack-${region.toLowerCase()}`;
  return {
    id,
    region,
    user: `ca-persp-${region.toLowerCase()}`,
    netns: `ca-${id}`,
    hostIf: `ca-p${i + 1}h`,
    nsIf: `ca-p${i + 1}n`,
    hostAddress: `10.231.${i + 1}.1`,
    nsAddress: `10.231.${i + 1}.2`,
  };
});

/** The security contexts of the CA's own processes: the same entry points as `npm start`, one OS user each. */
export interface CaProcess {
  readonly name: string;
  readonly user: string;
  readonly entry: string;
  /** The PostgreSQL login role (a member of the runtime role); none: no database credentials at all. */
  readonly dbRole?: string;
  /** A client certificate for the Temporal frontend; false: never talks to Temporal. */
  readonly temporalClient: boolean;
  readonly perspective?: StackPerspective;
}

export const caProcesses: readonly CaProcess[] = [
  { name: 'api', user: 'ca-api', entry: 'api/server.ts', dbRole: 'ca_api', temporalClient: true },
  { name: 'acme', user: 'ca-acme', entry: 'api/acme/server.ts', dbRole: 'ca_acme', temporalClient: true },
  { name: 'ocsp', user: 'ca-ocsp', entry: 'api/ocsp-server.ts', dbRole: 'ca_ocsp', temporalClient: false },
  { name: 'worker', user: 'ca-worker', entry: 'worker/main.ts', dbRole: 'ca_worker', temporalClient: true },
  // The only user that can read the SoftHSM token directory (mode 0700, CP 6.2).
  { name: 'signing', user: 'ca-signing', entry: 'worker/signing.ts', dbRole: 'ca_signing', temporalClient: true },
  ...stackPerspectives.map((p) => ({ name: p.id, user: p.user, entry: 'worker/perspective.ts', temporalClient: true, perspective: p })),
];

/** The other services' users: created by the stack (Debian's own postgres, knot, unbound, prometheus are reused). */
export const serviceUsers = {
  temporal: 'ca-temporal',
  temporalUi: 'ca-temporal-ui',
  ctLog: 'ca-ctlog',
  /** The local SMTP relay: it accepts every message and writes it to data-stack/mail/ (mail-sink.ts). */
  mail: 'ca-mail',
} as const;

export const allStackUsers: readonly string[] = [...caProcesses.map((p) => p.user), ...Object.values(serviceUsers)];

export interface StackLayout {
  readonly root: string;
  /** Root-only (0711): one 0700 directory per user below, plus `operator/` for the stack's own credentials. */
  readonly secrets: string;
  readonly logs: string;
  /** Binaries the service users run, staged out of GOPATH (root's home is not theirs to traverse). */
  readonly bin: string;
  /** Public material: the operations CA certificate, the DNSSEC trust anchor. */
  readonly pki: string;
  readonly temporal: string;
  readonly dns: string;
  readonly prometheus: string;
  /** The messages the local SMTP relay accepted, one `.eml` file each (the operator reads them as root). */
  readonly mail: string;
  /** The coordinates of a running stack, for the topology test and operators (written when everything is up). */
  readonly stateFile: string;
  secretsOf(user: string): string;
}

export function stackLayout(root = process.env.CA_STACK_DIR ?? path.join(repoRoot, 'data-stack')): StackLayout {
  const secrets = path.join(root, 'secrets');
  return {
    root,
    secrets,
    logs: path.join(root, 'logs'),
    bin: path.join(root, 'bin'),
    pki: path.join(root, 'pki'),
    temporal: path.join(root, 'temporal'),
    dns: path.join(root, 'dns'),
    prometheus: path.join(root, 'prometheus'),
    mail: path.join(root, 'mail'),
    stateFile: path.join(root, 'stack.json'),
    secretsOf: (user) => path.join(secrets, user),
  };
}

/** The operator's own credentials (root only): the PostgreSQL superuser, the Temporal admin certificate, TSIG. */
export const OPERATOR = 'operator';
