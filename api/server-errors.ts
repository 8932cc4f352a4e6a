/**
 * What the doors do with a genuine bug (an error that is not a CaError of the failure table): answer 500 without
 * its text, log it with the request id the client also gets (X-Request-Id, and `requestId` in the problem document),
 * and count it per door and route in `ca_http_server_errors_total` (prom-client's default registry, which /metrics
 * serves). Logs go through the one logger (observability/log.ts), which removes credentials by name.
 */
import type { Context } from 'hono';
import { routePath } from 'hono/route';
import { Counter, register } from 'prom-client';
import { currentLogContext, log } from '../observability/log';

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
 * Logs and counts a genuine bug; returns the request id (observability/http.ts) to hand to the client. The error is
 * logged with its stack; the request only by route and path — no headers, no body.
 */
export function reportServerError(door: string, c: Context, err: unknown): string {
  const requestId = currentLogContext().reqId ?? 'none';
  const route = routeLabel(c);
  serverErrors.inc({ door, route });
  log.error({ door, route, path: new URL(c.req.url).pathname, err }, 'unhandled error: answered 500');
  return requestId;
}
