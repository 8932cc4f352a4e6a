/**
 * What the doors do with a genuine bug (an error that is not a CaError of the failure table): answer 500 without
 * its text, log it with the request id the client also gets (X-Request-Id, and `requestId` in the problem document),
 * and count it per door and route in `ca_http_server_errors_total` (prom-client's default registry, which /metrics
 * serves). Logs are JSON lines (pino) with credentials redacted: an API key, a bearer token or a private key never
 * reaches a log, whatever an error object drags along.
 */
import type { Context } from 'hono';
import { routePath } from 'hono/route';
import { pino, type DestinationStream, type Logger } from 'pino';
import { Counter, register } from 'prom-client';

export type { Logger } from 'pino';

/** Where a credential could appear in what is logged (request headers, bodies, error properties). */
const redactPaths = [
  'authorization', '*.authorization', '*.*.authorization', 'headers.authorization', 'req.headers.authorization',
  'apiKey', '*.apiKey', 'privateKey', '*.privateKey', 'hmacKey', '*.hmacKey',
];

/** A door's logger: JSON lines on stdout (or `destination`), credentials redacted. */
export function createApiLogger(destination?: DestinationStream, door = 'api'): Logger {
  return pino({ base: { door }, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}

const metricName = 'ca_http_server_errors_total';

/** 500s per door and route (the route pattern, e.g. "POST /v1/orders", never the raw path). */
export const serverErrors: Counter<'door' | 'route'> =
  (register.getSingleMetric(metricName) as Counter<'door' | 'route'> | undefined) ??
  new Counter({ name: metricName, help: 'HTTP 500 answers of the doors (genuine bugs), per door and route', labelNames: ['door', 'route'] });

/** The route of a request as a metric label: its method and the pattern it matched. */
export function routeLabel(c: Context): string {
  let pattern = '';
  try {
    pattern = routePath(c, -1);
  } catch {
    pattern = '';
  }
  return `${c.req.method} ${pattern || '(unmatched)'}`;
}

/**
 * Logs and counts a genuine bug; returns the request id to hand to the client. The error is logged with its stack
 * (pino's err serializer); the request only by method, route and path — no headers, no body.
 */
export function reportServerError(logger: Logger, door: string, c: Context, err: unknown): string {
  const requestId = (c.get('requestId' as never) as string | undefined) ?? 'none';
  const route = routeLabel(c);
  serverErrors.inc({ door, route });
  logger.error({ requestId, route, path: new URL(c.req.url).pathname, err }, 'unhandled error: answered 500');
  return requestId;
}
