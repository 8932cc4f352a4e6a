/**
 * What each CA process is configured with (config/index.ts variables only, secrets as file paths only), written once
 * for both places the topology runs: `npm run stack` (files under data-stack/) and docker-compose.yml (secrets under
 * /run/secrets). A `Placement` says where things are; `settingsOf` says which process gets what, and
 * `scrapeTargetsOf` where Prometheus finds each process's metrics — from the same placement, so the listeners and the
 * scrape configuration cannot drift apart.
 */
import type { ScrapeTarget } from '../../../observability/scrape-config';
import { caProcesses, frontendServerName, stackNamespace, stackPerspectives, type CaProcess } from './layout';

/** The secret files a process may hold (each only its own): see `secretsOf` for who holds which. */
export type SecretName =
  | 'temporal.pem'
  | 'temporal-key.pem'
  | 'db-password'
  | 'hsm-user-pin'
  | 'acme-tls-key.pem'
  | 'acme-tls-cert.pem'
  | 'acme-nonce-key'
  | 'eab-encryption-key'
  | 'api-tls-key.pem'
  | 'api-tls-cert.pem';

/** Where a process serves Prometheus metrics, and where Prometheus reaches them. */
export interface ProcessMetrics {
  /** CA_METRICS_HOST / CA_METRICS_PORT: a /metrics listener of its own; absent when the door's plain-http port serves it. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** CA_TEMPORAL_METRICS_PORT (workers): the Temporal SDK's exporter, on the same host. */
  readonly sdkPort?: number;
  /** host:port Prometheus scrapes for the process's /metrics, and for its SDK's. */
  readonly target: string;
  readonly sdkTarget?: string;
}

export interface Placement {
  /** Settings every process gets (environment, data directory, public URLs, ports…). */
  readonly common: Readonly<Record<string, string>>;
  /** host:port of the Temporal frontend as this process reaches it (a perspective: over its own link). */
  temporalAddress(p: CaProcess): string;
  /** host:port of the resolver of a remote perspective, as that perspective reaches it. */
  perspectiveResolver(id: string): string;
  readonly opsCaFile: string;
  /** The path of one of this process's secret files. */
  secret(p: CaProcess, name: SecretName): string;
  dbUrl(dbRole: string): string;
  /** The SMTP relay of the notices and of the constructed e-mail method (CP 3.2.2.4.4, 4.3.2, 4.9). */
  readonly smtpUrl: string;
  /** The applicant API's HTTPS port and its base URL (its links and Location headers). */
  readonly apiTls: { readonly port: number; readonly url: string };
  metrics(p: CaProcess): ProcessMetrics;
  /** What a role adds (the signing worker's HSM, the worker's linters, the ACME listener's public URL…). */
  extra(p: CaProcess): Readonly<Record<string, string>>;
}

/** The remote perspectives (BR 3.2.2.9) as every process sees them (CA_PERSPECTIVES): id, RIR region, resolver. */
export const perspectivesSetting = (at: Pick<Placement, 'perspectiveResolver'>): string =>
  stackPerspectives.map((p) => `${p.id}:${p.region}@${at.perspectiveResolver(p.id)}`).join(',');

/** A worker (main, signing, perspective) runs the Temporal SDK, whose runtime has its own metrics exporter. */
export const isWorker = (p: CaProcess): boolean => p.entry.startsWith('worker/');

/** The processes that send mail: the main worker (notices, vetting, constructed e-mail) and the API (it offers the e-mail method only with a relay). */
const sendsMail = (p: CaProcess): boolean => p.name === 'worker' || p.name === 'api';

export function settingsOf(p: CaProcess, at: Placement): Record<string, string> {
  const env: Record<string, string> = {
    ...at.common,
    CA_PERSPECTIVES: perspectivesSetting(at),
    TEMPORAL_NAMESPACE: stackNamespace,
    TEMPORAL_ADDRESS: at.temporalAddress(p),
  };
  if (p.temporalClient) {
    Object.assign(env, {
      TEMPORAL_TLS_CA: at.opsCaFile,
      TEMPORAL_TLS_CERT: at.secret(p, 'temporal.pem'),
      TEMPORAL_TLS_KEY: at.secret(p, 'temporal-key.pem'),
      TEMPORAL_TLS_SERVER_NAME: frontendServerName,
    });
  }
  if (p.dbRole) Object.assign(env, { DATABASE_URL: at.dbUrl(p.dbRole), DATABASE_PASSWORD_FILE: at.secret(p, 'db-password') });
  if (p.perspective) env.CA_PERSPECTIVE_ID = p.perspective.id;
  if (sendsMail(p)) env.CA_SMTP_URL = at.smtpUrl;
  const metrics = at.metrics(p);
  if (metrics.listen) Object.assign(env, { CA_METRICS_HOST: metrics.listen.host, CA_METRICS_PORT: String(metrics.listen.port) });
  if (metrics.sdkPort !== undefined) env.CA_TEMPORAL_METRICS_PORT = String(metrics.sdkPort);
  if (p.name === 'signing') env.HSM_PIN_FILE = at.secret(p, 'hsm-user-pin');
  if (p.name === 'api') {
    Object.assign(env, {
      CA_API_TLS_PORT: String(at.apiTls.port),
      CA_API_URL: at.apiTls.url,
      CA_API_TLS_KEY: at.secret(p, 'api-tls-key.pem'),
      CA_API_TLS_CERT: at.secret(p, 'api-tls-cert.pem'),
    });
  }
  if (p.name === 'acme') {
    Object.assign(env, {
      CA_ACME_TLS_KEY: at.secret(p, 'acme-tls-key.pem'),
      CA_ACME_TLS_CERT: at.secret(p, 'acme-tls-cert.pem'),
      // Every ACME process of a deployment shares both keys (RFC 8555 §6.5 nonces, §7.3.4 EAB keys sealed at rest).
      CA_ACME_NONCE_KEY_FILE: at.secret(p, 'acme-nonce-key'),
      CA_EAB_ENCRYPTION_KEY_FILE: at.secret(p, 'eab-encryption-key'),
    });
  }
  return { ...env, ...at.extra(p) };
}

/** The secrets a process holds, by the settings above. */
export function secretsOf(p: CaProcess): SecretName[] {
  return [
    ...(p.temporalClient ? (['temporal.pem', 'temporal-key.pem'] as const) : []),
    ...(p.dbRole ? (['db-password'] as const) : []),
    ...(p.name === 'signing' ? (['hsm-user-pin'] as const) : []),
    ...(p.name === 'api' ? (['api-tls-key.pem', 'api-tls-cert.pem'] as const) : []),
    ...(p.name === 'acme' ? (['acme-tls-key.pem', 'acme-tls-cert.pem', 'acme-nonce-key', 'eab-encryption-key'] as const) : []),
  ];
}

/** The scrape job of a process: the `service` name its logs carry (config/main.ts runMain). */
export function metricsJobOf(p: CaProcess): string {
  if (p.perspective) return 'perspective';
  return ({ worker: 'worker-main', signing: 'worker-signing' } as Record<string, string>)[p.name] ?? p.name;
}

/** Every CA process's /metrics, and each worker's Temporal SDK metrics (job `temporal-sdk`, labelled by process). */
export function scrapeTargetsOf(at: Pick<Placement, 'metrics'>): ScrapeTarget[] {
  return caProcesses.flatMap((p): ScrapeTarget[] => {
    const m = at.metrics(p);
    const labels = p.perspective ? { perspective: p.perspective.id } : undefined;
    return [
      { job: metricsJobOf(p), address: m.target, ...(labels ? { labels } : {}) },
      ...(m.sdkTarget ? [{ job: 'temporal-sdk', address: m.sdkTarget, labels: { process: p.name, ...labels } }] : []),
    ];
  });
}
