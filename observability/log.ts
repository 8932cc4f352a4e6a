/**
 * The one logger of every process of the CA (the doors, the OCSP responder, the workers): JSON lines on stdout
 * (pino), one object per event, with `service` and — where known — `orderId`, `workflowId`, `serial` and the HTTP
 * request's `reqId`. Those come from a context that the request middleware (observability/http.ts) and the activity
 * interceptor (worker/activity-observability.ts) open around their work, so code in between logs them without
 * passing them along. Events carry named fields, never whole objects: an error is its type, kind, message, stack and
 * causes (serializeError), and secrets (API keys, PINs, EAB keys, Temporal task tokens) are removed by name wherever
 * they appear in the first three levels of an event (CP 6.2 / 6.4: activation data is never written out).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Temporal's level names (CA_LOG_LEVEL); the logger uses the same levels in lower case. */
export type LogLevelName = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Fields every event inside a context carries. */
export interface LogContext {
  orderId?: string;
  workflowId?: string;
  serial?: string;
  reqId?: string;
  [field: string]: string | number | boolean | undefined;
}

const contexts = new AsyncLocalStorage<LogContext>();

/** Field names whose values are secrets: removed from every event, at the top level and two levels down. */
export const secretFields = [
  'apiKey', 'authorization', 'cookie', 'pin', 'soPin', 'userPin', 'hsmPin', 'hmacKey', 'eabKey', 'eabHmacKey',
  'password', 'secret', 'privateKey', 'taskToken', 'token',
] as const;
const redactPaths = secretFields.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** An error as a bounded record: its class, failure kind (CaError) or type (Temporal failure), message, stack, causes. */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: typeof err === 'string' ? err : `non-error thrown (${typeof err})` };
  const out: Record<string, unknown> = { type: err.name, message: err.message };
  const { kind, type } = err as { kind?: unknown; type?: unknown };
  if (typeof kind === 'string') out.kind = kind;
  if (typeof type === 'string') out.failureType = type;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * A logger writing JSON lines to `destination` (default: stdout, synchronously, so the last lines before a crash
 * are not lost). Tests pass their own destination to read what was written.
 */
export function createLogger(opts: { level?: string; service?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service ?? 'ca', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
      redact: { paths: redactPaths, remove: true },
      mixin: () => ({ ...contexts.getStore() }),
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * The process's logger. Until the process configures it (configureLogging, called by config/main.ts `runMain`) it
 * writes warnings and errors only: code used as a library (tests, scripts) is not flooded with request lines.
 */
const stdout = pino.destination({ dest: 1, sync: true });
let destination: { write(line: string): unknown } = stdout;
export const log: Logger = createLogger({ level: 'warn' }, { write: (line: string) => destination.write(line) });

/** Sends the process's log elsewhere (tests read it; `null`: back to stdout). */
export function redirectLog(to: { write(line: string): unknown } | null): void {
  destination = to ?? stdout;
}

/** Names the process in every event and sets the level (CA_LOG_LEVEL). */
export function configureLogging(opts: { service: string; level: LogLevelName }): void {
  log.setBindings({ service: opts.service });
  log.level = opts.level.toLowerCase();
}

/** Runs `fn` with `fields` added to every event it (and whatever it awaits) logs; nested contexts add to outer ones. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return contexts.run({ ...contexts.getStore(), ...definedOnly(fields) }, fn);
}

/** Adds fields to the current context (e.g. the order id once the order exists); outside a context, does nothing. */
export function addLogContext(fields: LogContext): void {
  const store = contexts.getStore();
  if (store) Object.assign(store, definedOnly(fields));
}

/** A copy of the current context's fields (empty outside a context). */
export function currentLogContext(): LogContext {
  return { ...contexts.getStore() };
}

function definedOnly(fields: LogContext): LogContext {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
