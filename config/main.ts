/**
 * The entry of every long-running process (the doors in api/, the workers in worker/): parse the configuration once
 * (docs/ARCHITECTURE.md, "Configuration"), start, run until told to stop, then release what was opened.
 */
import { fileURLToPath } from 'node:url';
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
 * (`tsx api/server.ts`); a module that is only imported (by tests, by `npm start`) starts nothing.
 */
export async function runMain(moduleUrl: string, start: (config: CaConfig) => Promise<RunningProcess>): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const running = await start(loadConfig());
  try {
    await (running.stopped ?? nextSignal());
  } finally {
    await running.close();
  }
  process.exit(0);
}
