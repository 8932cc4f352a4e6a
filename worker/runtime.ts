import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/**
 * The Temporal runtime's log level (CA_LOG_LEVEL: TRACE | DEBUG | INFO | WARN | ERROR; default INFO). Installed once per
 * process, before the first worker or connection; later calls are no-ops (tests install WARN to keep output readable).
 */
export function installRuntimeLogging(level: LogLevel = (process.env.CA_LOG_LEVEL as LogLevel | undefined) ?? 'INFO'): void {
  if (Runtime._instance) return;
  Runtime.install({ logger: new DefaultLogger(level) });
}
