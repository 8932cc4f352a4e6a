/**
 * Observing the HTTP doors (the REST API and ACME, both Hono): every request gets an id (`x-request-id`, taken from
 * the client when it is a short token, else a new UUID, and sent back), runs inside a log context carrying it, and
 * ends with one log event and one observation of `ca_http_request_duration_seconds`. Routes are named by their
 * pattern (`/v1/orders/:id`), never by the path: paths carry values that must not reach logs (the token of an
 * e-mail confirmation link, CP 3.2.2.4.4) and would make the metric's series unbounded.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { currentLogContext, log, withLogContext, type LogContext } from './log';
import { httpRequestSeconds, metricsExposition } from './metrics';

/** A client's own request id is kept only when it is a short token (it is echoed into logs and a header). */
const clientRequestId = /^[A-Za-z0-9._:-]{1,64}$/;

/** The order id or serial a route names (`/v1/orders/:id`, ACME `/order/:id`, `/cert/:serial`). */
function routeFields(c: Context, route: string): LogContext {
  const params = c.req.param() as Record<string, string | undefined>;
  const fields: LogContext = {};
  if (/\/orders?\/:id(\/|$)/.test(route)) fields.orderId = params.id;
  if (params.serial) fields.serial = params.serial;
  return fields;
}

export function observeRequests(door: string): MiddlewareHandler {
  return async (c, next) => {
    const offered = c.req.header('x-request-id');
    const reqId = offered && clientRequestId.test(offered) ? offered : randomUUID();
    const startedAt = performance.now();
    // What the request added to its context (e.g. the id of the order it created) goes into its closing event too.
    let context: LogContext = { reqId };
    await withLogContext({ reqId }, async () => {
      await next();
      context = currentLogContext();
    });
    const route = routePath(c);
    const status = c.res.status;
    const seconds = (performance.now() - startedAt) / 1000;
    c.header('x-request-id', reqId);
    httpRequestSeconds.observe({ door, method: c.req.method, route, status: String(status) }, seconds);
    withLogContext({ ...context, ...routeFields(c, route) }, () =>
      log.info({ door, method: c.req.method, route, status, durationMs: Math.round(seconds * 1000) }, 'request'),
    );
  };
}

/** `GET /metrics` of a door: the default registry. */
export async function metricsRoute(c: Context): Promise<Response> {
  const { body, contentType } = await metricsExposition();
  return c.body(body, 200, { 'content-type': contentType });
}
