/**
 * Debian's Prometheus scraping the stack, as the Debian `prometheus` user, its storage under data-stack/prometheus.
 * The targets today: the Temporal server's own metrics endpoint. The CA's processes get their /metrics endpoints and
 * a scrape-configuration generator from the observability work; until that is merged this file writes the (small)
 * configuration itself and scrapes what exists.
 */
import path from 'node:path';
import { ownedDir, ownedFile, runAs } from './host';
import { stackPorts, type StackLayout } from './layout';
import type { Service, Supervisor } from './supervisor';

const PROMETHEUS_USER = 'prometheus';

export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly string[];
}

/** A Prometheus configuration (JSON, which is YAML) scraping every job every 5 s. */
export function scrapeConfig(jobs: readonly ScrapeJob[]): string {
  const config = {
    global: { scrape_interval: '5s', evaluation_interval: '5s' },
    scrape_configs: jobs.map((j) => ({ job_name: j.job, static_configs: [{ targets: [...j.targets] }] })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export async function startPrometheus(layout: StackLayout, supervisor: Supervisor, jobs: readonly ScrapeJob[]): Promise<Service> {
  const dir = await ownedDir(layout.prometheus, PROMETHEUS_USER, 0o750);
  const data = await ownedDir(path.join(dir, 'data'), PROMETHEUS_USER, 0o750);
  const conf = await ownedFile(path.join(dir, 'prometheus.yml'), scrapeConfig(jobs), PROMETHEUS_USER, 0o640);
  return supervisor.start({
    name: 'prometheus',
    command: [
      ...runAs(PROMETHEUS_USER),
      'prometheus',
      `--config.file=${conf}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${stackPorts.prometheus}`,
      '--storage.tsdb.retention.time=7d',
    ],
    env: { PATH: '/usr/bin:/bin' },
  });
}
