/**
 * Debian's Prometheus scraping the stack, as the Debian `prometheus` user, its storage under data-stack/prometheus:
 * every CA process's /metrics and each worker's Temporal SDK exporter (process-settings.ts `scrapeTargetsOf`), and
 * the Temporal server's own metrics. The configuration is observability/scrape-config.ts's, as for `npm start`.
 */
import path from 'node:path';
import { prometheusScrapeConfig, type ScrapeTarget } from '../../../observability/scrape-config';
import { stackMetrics } from './ca-processes';
import { ownedDir, ownedFile, runAs } from './host';
import { stackPorts, type StackLayout } from './layout';
import { scrapeTargetsOf } from './process-settings';
import type { Service, Supervisor } from './supervisor';

const PROMETHEUS_USER = 'prometheus';

/** What the stack's Prometheus scrapes: the CA's processes where they listen, and the Temporal server. */
export const stackScrapeTargets = (): ScrapeTarget[] => [
  ...scrapeTargetsOf({ metrics: stackMetrics }),
  { job: 'temporal', address: `127.0.0.1:${stackPorts.temporalMetrics}` },
];

export async function startPrometheus(layout: StackLayout, supervisor: Supervisor): Promise<Service> {
  const dir = await ownedDir(layout.prometheus, PROMETHEUS_USER, 0o750);
  const data = await ownedDir(path.join(dir, 'data'), PROMETHEUS_USER, 0o750);
  // Every 5 s: the topology test reads a metric back seconds after an issuance.
  const conf = await ownedFile(path.join(dir, 'prometheus.yml'), prometheusScrapeConfig(stackScrapeTargets(), { scrapeIntervalSeconds: 5 }), PROMETHEUS_USER, 0o640);
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
