/**
 * A Prometheus configuration that scrapes the CA's processes: one job per process kind (api, acme, ocsp,
 * worker-main, ...), each target labelled with its `service`. Written as JSON, which is YAML too, so Prometheus
 * (Debian's `prometheus`, `promtool check config`) reads it as it is and no YAML writer is needed.
 */

export interface ScrapeTarget {
  /** The job: which kind of process (api, acme, ocsp, worker-main, worker-signing, perspective, temporal-sdk, …). */
  readonly job: string;
  /** host:port of the process's /metrics. */
  readonly address: string;
  /** https for the ACME door (RFC 8555 §6.1: it only speaks TLS); default http. */
  readonly scheme?: 'http' | 'https';
  /** PEM file of the CA that issued an https target's certificate. */
  readonly caFile?: string;
  /** The name to verify an https target's certificate against, when the address is not it. */
  readonly serverName?: string;
  /** Default /metrics. */
  readonly metricsPath?: string;
  /** Extra labels of this target (e.g. the perspective's id). */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ScrapeOptions {
  readonly scrapeIntervalSeconds?: number;
  readonly scrapeTimeoutSeconds?: number;
}

/** The configuration document (an object; `prometheusScrapeConfig` serializes it). */
export function scrapeConfigDocument(targets: readonly ScrapeTarget[], opts: ScrapeOptions = {}) {
  const interval = opts.scrapeIntervalSeconds ?? 15;
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of targets) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(t.job)) throw new Error(`scrape job name ${JSON.stringify(t.job)} is not a valid name`);
    if (!/^[^\s/]+:\d+$/.test(t.address)) throw new Error(`scrape target ${JSON.stringify(t.address)} is not host:port`);
    jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  }
  return {
    global: { scrape_interval: `${interval}s`, scrape_timeout: `${Math.min(opts.scrapeTimeoutSeconds ?? 10, interval)}s` },
    scrape_configs: [...jobs].map(([job, list]) => {
      const first = list[0]!;
      for (const t of list) {
        if ((t.scheme ?? 'http') !== (first.scheme ?? 'http') || t.caFile !== first.caFile || t.serverName !== first.serverName || t.metricsPath !== first.metricsPath) {
          throw new Error(`scrape job ${job}: every target of a job needs the same scheme, path and TLS settings`);
        }
      }
      return {
        job_name: job,
        scheme: first.scheme ?? 'http',
        metrics_path: first.metricsPath ?? '/metrics',
        ...(first.caFile || first.serverName
          ? { tls_config: { ...(first.caFile ? { ca_file: first.caFile } : {}), ...(first.serverName ? { server_name: first.serverName } : {}) } }
          : {}),
        static_configs: list.map((t) => ({ targets: [t.address], labels: { service: job, ...t.labels } })),
      };
    }),
  };
}

/** The configuration file's text (JSON, a subset of YAML). */
export function prometheusScrapeConfig(targets: readonly ScrapeTarget[], opts: ScrapeOptions = {}): string {
  return `${JSON.stringify(scrapeConfigDocument(targets, opts), null, 2)}\n`;
}
