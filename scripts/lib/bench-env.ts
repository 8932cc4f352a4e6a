import path from 'node:path';
import { repoRoot } from '../../config';

/**
 * The environment of a benchmark that brings up the whole CA: its own data dir (.data-bench-<name>), ports and task
 * queues, so a benchmark never touches `npm start`'s or the tests' services. Assign it to process.env before the
 * first loadConfig().
 */
export function benchEnvironment(
  name: string,
  ports: { readonly pg: number; readonly temporal: number; readonly dns: number; readonly api?: number },
  extra: Record<string, string> = {},
): Record<string, string> {
  const suffix = name === 'issue' ? '' : `-${name}`;
  return {
    CA_ENV: 'development',
    CA_DATA_DIR: path.join(repoRoot, `.data-bench${suffix}`),
    CA_PG_PORT: String(ports.pg),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    CA_TASK_QUEUE: `ca-main-bench${suffix}`,
    CA_SIGNING_TASK_QUEUE: `ca-signing-bench${suffix}`,
    CA_DNS_RESOLVER: `127.0.0.1:${ports.dns}`,
    CA_DEV_DNS_PORT: String(ports.dns),
    CA_DEV_DNS_ADMIN_PORT: String(ports.dns + 2),
    ...(ports.api ? { CA_API_PORT: String(ports.api) } : {}),
    ...extra,
  };
}

/** The p-th percentile of ascending latencies (nearest rank); NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
