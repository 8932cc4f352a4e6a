/**
 * The Temporal runtime of a worker process, installed once before the first worker or connection: its logs — the
 * SDK's own, Core's (forwarded), the workflows' `log` and the activities' — go to the CA's logger
 * (observability/log.ts) as flat fields, and its metrics, when CA_TEMPORAL_METRICS_PORT is set, to a Prometheus
 * exporter of its own, named `ca_temporal_*`.
 *
 * The SDK attaches to its events the activity's task token and, on failures, whole error and info objects; only
 * scalar fields are kept (no task token, no object dumps), an error becomes its bounded record (serializeError), and
 * the order id is read back from an issuance workflow's id.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { log as caLog, serializeError, type Logger } from '../observability/log';

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const orderWorkflow = /^order-([0-9a-f-]{36})$/;

/** The fields of an SDK event worth keeping: scalars (minus the task token) and errors as bounded records. */
export function temporalLogFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (key === 'taskToken') continue;
    // `err` is rendered by the logger's serializer (serializeError); an error under another name is rendered here.
    if (value instanceof Error) {
      if (key === 'error' || key === 'failure') fields.err = value;
      else fields[key] = serializeError(value);
    }
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
    else if (typeof value === 'bigint') fields[key] = value.toString();
  }
  const orderId = typeof fields.workflowId === 'string' ? orderWorkflow.exec(fields.workflowId)?.[1] : undefined;
  if (orderId && fields.orderId === undefined) fields.orderId = orderId;
  return fields;
}

/** The Temporal SDK's Logger interface over a pino logger. */
export function temporalLogger(target: Logger = caLog): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => target[levels[level]](temporalLogFields(meta), message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * Installs the runtime (later calls are no-ops: one runtime per process; tests install WARN to keep output readable).
 * `level` filters Core's own events; the CA's logger applies its level on top.
 */
export function installTemporalRuntime(opts: { level: LogLevel; metrics?: { host: string; port: number } }): void {
  if (Runtime._instance) return;
  Runtime.install({
    logger: temporalLogger(),
    telemetryOptions: {
      logging: { filter: { core: opts.level, other: 'ERROR' }, forward: {} },
      ...(opts.metrics && opts.metrics.port > 0
        ? { metrics: { metricPrefix: 'ca_temporal_', prometheus: { bindAddress: `${opts.metrics.host}:${opts.metrics.port}` } } }
        : {}),
    },
  });
}

/** The runtime of a worker process, from its configuration (CA_LOG_LEVEL, CA_METRICS_HOST, CA_TEMPORAL_METRICS_PORT). */
export function installWorkerRuntime(config: { log: { level: LogLevel }; metrics: { host: string; temporalPort: number } }): void {
  installTemporalRuntime({ level: config.log.level, metrics: { host: config.metrics.host, port: config.metrics.temporalPort } });
}
