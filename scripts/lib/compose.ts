/**
 * docker-compose.yml, generated from the same tables as `npm run stack` (scripts/lib/stack/layout.ts: the processes,
 * their users, the perspectives; process-settings.ts: what each process is configured with; temporal-config.ts: the
 * Temporal server), so the two mirror each other service for service. The Compose Specification as Debian's
 * docker-compose 1.29.2 reads it (no top-level `name`; CI runs `docker-compose config -q`). Secrets are files under
 * ./secrets/ (mounted in /run/secrets/), never environment variables; configuration files are under ./deploy/.
 */
import { caSearchAttributes } from '../../workflows/search-attributes';
import { temporalDatabases, TEMPORAL_ROLE } from './stack/database';
import { caProcesses, frontendServerName, stackNamespace, stackPerspectives, type CaProcess } from './stack/layout';
import { isWorker, secretsOf, settingsOf, type Placement, type ProcessMetrics } from './stack/process-settings';
import type { YamlValue } from './yaml';

type Service = { [k: string]: YamlValue };

const CA_IMAGE = { build: '.', image: 'jprs-ca:latest' };
const ADMIN_TOOLS = 'temporalio/admin-tools:1.29.1';
const RETENTION = '30d';
/** Paths inside the Temporal containers, shared with the server configuration (compose-files.ts). */
export const temporalContainerPaths = { archiveUri: 'file:///var/lib/temporal/archival', dynamicConfigFile: '/etc/temporal/dynamicconfig.yaml' } as const;
const ARCHIVE = temporalContainerPaths.archiveUri;
/** The CA's processes run as these uids (one per security context), from 10001. */
const uidOf = (p: CaProcess) => 10001 + caProcesses.indexOf(p);
const secretName = (p: CaProcess, file: string) => `${p.name}-${file}`;
const perspectiveNetwork = (id: string) => `persp-${id}`;
/** Each container's own metrics listeners (every container has its own address): /metrics, the Temporal SDK's. */
const METRICS_PORT = 9464;
const SDK_METRICS_PORT = 9465;
/** The doors whose plain-http port serves /metrics; the ACME door speaks TLS only, under a public name. */
const doorPorts: Record<string, number> = { api: 8080, ocsp: 8081 };

/** Where Prometheus scrapes a CA container (by its service name, on a network they share). */
export function composeMetrics(p: CaProcess): ProcessMetrics {
  const door = doorPorts[p.name];
  if (door !== undefined) return { target: `${p.name}:${door}` };
  return {
    listen: { host: '0.0.0.0', port: METRICS_PORT },
    target: `${p.name}:${METRICS_PORT}`,
    ...(isWorker(p) ? { sdkPort: SDK_METRICS_PORT, sdkTarget: `${p.name}:${SDK_METRICS_PORT}` } : {}),
  };
}

const operatorTls = ['--tls-ca-path', '/run/secrets/ops-ca.pem', '--tls-cert-path', '/run/secrets/operator-temporal.pem', '--tls-key-path', '/run/secrets/operator-temporal-key.pem', '--tls-server-name', frontendServerName];

const placement: Placement = {
  common: {
    CA_ENV: 'production',
    CA_PUBLIC_BASE_URL: '${CA_PUBLIC_BASE_URL:?set CA_PUBLIC_BASE_URL (http URL of the repository and OCSP host)}',
    CA_API_HOST: '0.0.0.0',
    CA_DNS_RESOLVER: 'unbound:53',
    // The Chrome/Apple log_list.json (v3) the operator keeps current.
    CA_CT_LOG_LIST: '/etc/ca/log_list.json',
  },
  temporalAddress: () => 'temporal:7233',
  perspectiveResolver: (id) => `unbound-${id}:53`,
  opsCaFile: '/run/secrets/ops-ca.pem',
  secret: (p, name) => `/run/secrets/${secretName(p, name)}`,
  dbUrl: (role) => `postgres://${role}@postgresql:5432/ca`,
  // The operator's MTA (no credentials in a URL: the relay admits the CA's hosts).
  smtpUrl: '${CA_SMTP_URL:?set CA_SMTP_URL (the SMTP relay of the notices, e.g. smtp://mail.example.jp:25)}',
  apiTls: { port: 8444, url: '${CA_API_URL:?set CA_API_URL (https URL of the applicant API)}' },
  metrics: composeMetrics,
  extra: (p): Record<string, string> => {
    if (p.name === 'signing') return { PKCS11_MODULE: '${PKCS11_MODULE:?path of the HSM vendor PKCS#11 module under /opt/hsm}', HSM_TOKEN_LABEL: '${HSM_TOKEN_LABEL:-jprs-ca}' };
    if (p.name === 'acme') return { CA_ACME_PUBLIC_URL: '${CA_ACME_PUBLIC_URL:?set CA_ACME_PUBLIC_URL (https URL of the ACME directory host)}', CA_ACME_EAB_REQUIRED: 'on' };
    return {};
  },
};

/** The networks a CA process joins: PostgreSQL and Temporal on `backend`; the Internet only where it must go out. */
function networksOf(p: CaProcess): string[] {
  if (p.perspective) return [perspectiveNetwork(p.perspective.id)];
  if (p.name === 'signing' || p.name === 'ocsp') return ['backend', ...(p.name === 'ocsp' ? ['edge'] : [])];
  return ['backend', 'edge'];
}

const ports: Record<string, string[]> = { api: ['8080:8080', '8444:8444'], acme: ['8443:8443'], ocsp: ['8081:8081'] };

function caService(p: CaProcess): Service {
  return {
    ...CA_IMAGE,
    command: ['node', '--import', 'tsx', p.entry],
    user: `${uidOf(p)}:${uidOf(p)}`,
    read_only: true,
    tmpfs: ['/tmp'],
    environment: settingsOf(p, placement),
    secrets: [...(p.temporalClient ? ['ops-ca.pem'] : []), ...secretsOf(p).map((s) => secretName(p, s))],
    ...(p.name === 'worker' ? { volumes: ['./deploy/log_list.json:/etc/ca/log_list.json:ro'] } : {}),
    ...(p.name === 'signing' ? { volumes: ['./deploy/log_list.json:/etc/ca/log_list.json:ro', '${PKCS11_MODULE_DIR:?directory of the HSM vendor PKCS#11 module}:/opt/hsm:ro'] } : {}),
    ...(ports[p.name] ? { ports: ports[p.name] } : {}),
    networks: networksOf(p),
    depends_on: p.dbRole
      ? { migrate: { condition: 'service_completed_successfully' }, 'temporal-setup': { condition: 'service_completed_successfully' } }
      : p.temporalClient
        ? { 'temporal-setup': { condition: 'service_completed_successfully' } }
        : {},
    restart: 'unless-stopped',
  };
}

const unbound = (networks: string[]): Service => ({
  image: 'mvance/unbound:1.21.1',
  // A validating recursive resolver to the IANA root (POLICY-2026: DNSSEC at the primary perspective); each
  // perspective has its own, with no shared cache (BR 3.2.2.9).
  volumes: ['./deploy/unbound.conf:/opt/unbound/etc/unbound/unbound.conf:ro'],
  networks,
  restart: 'unless-stopped',
});

const roleSecrets = ['pg-superuser-password', 'ca-owner-db-password', 'temporal-db-password', ...caProcesses.filter((p) => p.dbRole).map((p) => secretName(p, 'db-password'))];

/** One-shot jobs: database roles, the CA's migrations, the Temporal schema, the namespace and search attributes. */
function jobs(): Record<string, Service> {
  const sqlTool = (db: string, dir: string) =>
    `temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u ${TEMPORAL_ROLE} --db ${db} setup-schema -v 0.0 || true; ` +
    `temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u ${TEMPORAL_ROLE} --db ${db} update-schema -d /etc/temporal/schema/postgresql/v12/${dir}/versioned`;
  const searchAttributes = Object.entries(caSearchAttributes)
    .map(([name, type]) => `temporal operator search-attribute create --namespace ${stackNamespace} --name ${name} --type ${type} $$TLS || true`)
    .join('; ');
  return {
    'db-roles': {
      ...CA_IMAGE,
      command: ['node', '--import', 'tsx', 'scripts/db-setup.ts', 'roles', '--secrets', '/run/secrets'],
      environment: { DATABASE_URL: 'postgres://postgres@postgresql:5432/postgres', DATABASE_PASSWORD_FILE: '/run/secrets/pg-superuser-password' },
      secrets: roleSecrets,
      networks: ['backend'],
      depends_on: { postgresql: { condition: 'service_healthy' } },
    },
    migrate: {
      ...CA_IMAGE,
      // The migrations run as the schema owner, then the runtime role gets exactly the privileges the services use.
      command: ['node', '--import', 'tsx', 'scripts/db-setup.ts', 'migrate'],
      environment: { DATABASE_URL: 'postgres://ca_owner@postgresql:5432/ca', DATABASE_PASSWORD_FILE: '/run/secrets/ca-owner-db-password' },
      secrets: ['ca-owner-db-password'],
      networks: ['backend'],
      depends_on: { 'db-roles': { condition: 'service_completed_successfully' } },
    },
    'temporal-schema': {
      image: ADMIN_TOOLS,
      entrypoint: ['sh', '-ec', `export SQL_PASSWORD="$$(cat /run/secrets/temporal-db-password)"; ${sqlTool(temporalDatabases[0], 'temporal')}; ${sqlTool(temporalDatabases[1], 'visibility')}`],
      secrets: ['temporal-db-password'],
      networks: ['backend'],
      depends_on: { 'db-roles': { condition: 'service_completed_successfully' } },
    },
    'temporal-setup': {
      image: ADMIN_TOOLS,
      entrypoint: [
        'sh',
        '-ec',
        `TLS="--address temporal:7233 ${operatorTls.join(' ')}"; until temporal operator cluster health $$TLS; do sleep 2; done; ` +
          `temporal operator namespace describe --namespace ${stackNamespace} $$TLS || temporal operator namespace create --namespace ${stackNamespace} --retention ${RETENTION} --history-archival-state enabled --history-uri ${ARCHIVE} $$TLS; ` +
          searchAttributes,
      ],
      secrets: ['ops-ca.pem', 'operator-temporal.pem', 'operator-temporal-key.pem'],
      networks: ['backend'],
      depends_on: { temporal: { condition: 'service_started' } },
    },
  };
}

export function composeProject(): { [k: string]: YamlValue } {
  const services: Record<string, Service> = {
    postgresql: {
      image: 'postgres:15',
      environment: { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD_FILE: '/run/secrets/pg-superuser-password', POSTGRES_DB: 'ca' },
      secrets: ['pg-superuser-password'],
      volumes: ['pgdata:/var/lib/postgresql/data'],
      networks: ['backend'],
      healthcheck: { test: ['CMD-SHELL', 'pg_isready -U postgres'], interval: '5s', retries: 30 },
      restart: 'unless-stopped',
    },
    ...jobs(),
    temporal: {
      image: 'temporalio/server:1.29.1',
      // Its configuration (deploy/temporal-server.example.yaml, with the temporal role's password filled in) is itself a secret.
      entrypoint: ['temporal-server', '--root', '/', '--config', 'run/secrets', '--env', 'temporal-server', '--allow-no-auth', 'start'],
      secrets: ['temporal-server.yaml', 'ops-ca.pem', 'temporal-frontend.pem', 'temporal-frontend-key.pem', 'temporal-internode.pem', 'temporal-internode-key.pem', 'temporal-system-worker.pem', 'temporal-system-worker-key.pem'],
      volumes: [`temporal-archival:${new URL(ARCHIVE).pathname}`, `./deploy/temporal-dynamicconfig.yaml:${temporalContainerPaths.dynamicConfigFile}:ro`],
      // The perspectives reach the frontend over their own networks, and nothing else there.
      networks: ['backend', ...stackPerspectives.map((p) => perspectiveNetwork(p.id))],
      depends_on: { 'temporal-schema': { condition: 'service_completed_successfully' } },
      restart: 'unless-stopped',
    },
    'temporal-ui': {
      image: 'temporalio/ui:2.42.1',
      environment: {
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_DEFAULT_NAMESPACE: stackNamespace,
        TEMPORAL_TLS_CA: '/run/secrets/ops-ca.pem',
        TEMPORAL_TLS_CERT: '/run/secrets/temporal-ui.pem',
        TEMPORAL_TLS_KEY: '/run/secrets/temporal-ui-key.pem',
        TEMPORAL_TLS_SERVER_NAME: frontendServerName,
        TEMPORAL_TLS_ENABLE_HOST_VERIFICATION: 'true',
      },
      secrets: ['ops-ca.pem', 'temporal-ui.pem', 'temporal-ui-key.pem'],
      ports: ['127.0.0.1:8233:8080'],
      networks: ['backend', 'edge'],
      depends_on: { 'temporal-setup': { condition: 'service_completed_successfully' } },
      restart: 'unless-stopped',
    },
    unbound: unbound(['backend', 'edge']),
    ...Object.fromEntries(stackPerspectives.map((p) => [`unbound-${p.id}`, unbound([perspectiveNetwork(p.id), 'edge'])])),
    ...Object.fromEntries(caProcesses.map((p) => [p.name, caService(p)])),
    prometheus: {
      image: 'prom/prometheus:v2.42.0',
      command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=30d'],
      volumes: ['./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro', 'prometheus-data:/prometheus'],
      ports: ['127.0.0.1:9090:9090'],
      // It scrapes every CA process, so it joins each perspective's network too (where it only connects to the
      // perspective's metrics listener: nothing on those networks listens on Prometheus's behalf).
      networks: ['backend', 'edge', ...stackPerspectives.map((p) => perspectiveNetwork(p.id))],
      restart: 'unless-stopped',
    },
  };
  const secretNames = new Set(Object.values(services).flatMap((s) => (s.secrets as string[] | undefined) ?? []));
  return {
    services,
    networks: {
      // No route out: PostgreSQL, Temporal, the signing worker.
      backend: { internal: true },
      edge: {},
      ...Object.fromEntries(stackPerspectives.map((p) => [perspectiveNetwork(p.id), { internal: true }])),
    },
    volumes: { pgdata: {}, 'temporal-archival': {}, 'prometheus-data': {} },
    secrets: Object.fromEntries([...secretNames].sort().map((name) => [name, { file: `./secrets/${name}` }])),
  };
}
