/**
 * The entry of every long-running process (the doors in api/, the workers in worker/): parse the configuration once
 * (docs/ARCHITECTURE.md, "Configuration"), name the process in its logs, open its metrics listener (CA_METRICS_PORT),
 * start, run until told to stop, then release what was opened. A failure to start, and any error nobody caught, is
 * logged as one event (observability/log.ts) and ends the process with status 1.
 */
import { fileURLToPath } from 'node:url';
import { configureLogging, log } from '../observability/log';
import { collectProcessMetrics } from '../observability/metrics';
import { startMetricsServer } from '../observability/metrics-server';
import { loadConfig, type CaConfig } from './index';

/** Something a process opened and must release on shutdown. */
export interface Closable {
  close(): Promise<unknown> | void;
}

/** A started process: what ends it, and how its resources are released. */
export interface RunningProcess {
  /**
   * Resolves when the process should stop; by default the first SIGINT or SIGTERM. A Temporal worker passes
   * `worker.run()`, which returns once the SDK has shut the worker down gracefully on those same signals.
   */
  readonly stopped?: Promise<unknown>;
  close(): Promise<void>;
}

/** Closes each resource in turn, in the order given: what uses another resource comes before it. */
export async function closeInOrder(...resources: readonly Closable[]): Promise<void> {
  for (const r of resources) await r.close();
}

/** A node HTTP(S) server as a Closable: close() stops accepting and resolves once open connections have ended. */
export function closableServer(server: { close(callback: () => void): unknown }): Closable {
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const nextSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/**
 * Starts the process when `moduleUrl` (the caller's `import.meta.url`) is the file node was started with
 * (`tsx api/server.ts`); a module that is only imported (by tests, by `npm start`) starts nothing. `service` names
 * the process in every log event (api, acme, ocsp, worker-main, worker-signing, perspective).
 */
export async function runMain(moduleUrl: string, start: (config: CaConfig) => Promise<RunningProcess>, opts: { service: string }): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const fatal = (what: string) => (err: unknown) => {
    log.fatal({ err }, what);
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
  let running: RunningProcess;
  let metrics: Closable = { close() {} };
  try {
    const config = loadConfig();
    configureLogging({ service: opts.service, level: config.log.level });
    collectProcessMetrics();
    if (config.metrics.port > 0) {
      const server = await startMetricsServer({ host: config.metrics.host, port: config.metrics.port });
      log.info({ url: server.url }, 'metrics listener up');
      metrics = server;
    }
    running = await start(config);
  } catch (err) {
    fatal('failed to start')(err);
    return;
  }
  try {
    await (running.stopped ?? nextSignal());
  } finally {
    await running.close();
    await metrics.close();
  }
  log.info('stopped');
  process.exit(0);
}
