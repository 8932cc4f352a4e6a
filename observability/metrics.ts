/**
 * The CA's Prometheus metrics, all in prom-client's default registry `register` (other modules register theirs there
 * too, e.g. the doors' `ca_http_server_errors_total`), every name prefixed `ca_`. Each process exposes the registry at
 * `/metrics`: the doors on their own listener, every process on CA_METRICS_PORT when set (metrics-server.ts). The
 * Temporal SDK's own metrics (task latencies, poller and slot counts) are served by its runtime on a port of their
 * own, `ca_temporal_*` (worker/runtime.ts).
 *
 * Labels take values from closed sets only (outcomes, failure kinds, issuance steps, key labels, log names, route
 * patterns), never from request data, so a client cannot grow the series without bound.
 */
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

export { register };

/** Orders that reached a final status: outcome valid | invalid | expired, and for the others the failure kind. */
export const ordersTotal = new Counter({
  name: 'ca_orders_total',
  help: 'Orders that reached a final status, by outcome and failure kind (domain/errors.ts)',
  labelNames: ['outcome', 'kind'] as const,
});

/** One activity attempt of the issuance cycle (docs/ISSUANCE-CYCLE.md), by step and activity. */
export const issuanceStepSeconds = new Histogram({
  name: 'ca_issuance_step_duration_seconds',
  help: 'Duration of one activity attempt of the issuance cycle, by step (docs/ISSUANCE-CYCLE.md), activity and outcome',
  labelNames: ['step', 'activity', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
});

/** One signature by the HSM (PKCS#11 C_Sign), by key label. */
export const hsmSignSeconds = new Histogram({
  name: 'ca_hsm_sign_duration_seconds',
  help: 'Duration of one HSM signature (certificates, precertificates, CRLs, OCSP responses), by key label and outcome',
  labelNames: ['key', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** One add-pre-chain call to a CT log (RFC 6962 4.1), from request to verified SCT. */
export const ctSubmissionSeconds = new Histogram({
  name: 'ca_ct_submission_duration_seconds',
  help: 'Duration of one add-pre-chain submission to a CT log, by log and outcome',
  labelNames: ['log', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
});

/** Why a CT submission failed: refused (4xx), unavailable (5xx, 429, network, timeout), invalid SCT. */
export const ctSubmissionErrors = new Counter({
  name: 'ca_ct_submission_errors_total',
  help: 'Failed add-pre-chain submissions, by log and reason (refused, unavailable, invalid_sct)',
  labelNames: ['log', 'reason'] as const,
});

/** OCSP requests answered, by HTTP method and the response: its OCSPResponseStatus, or not_modified (HTTP 304). */
export const ocspRequests = new Counter({
  name: 'ca_ocsp_requests_total',
  help: 'OCSP requests answered, by method and response status (RFC 6960 4.2.1; not_modified: HTTP 304)',
  labelNames: ['method', 'status'] as const,
});

/** Requests of the HTTP doors (REST API, ACME), by route pattern and status. */
export const httpRequestSeconds = new Histogram({
  name: 'ca_http_request_duration_seconds',
  help: 'Duration of HTTP requests to the doors, by door, method, route pattern and status',
  labelNames: ['door', 'method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

/** Runs `fn`, observing its duration in `histogram` (which has an `outcome` label) with `labels` and outcome ok | error. */
export async function observeDuration<L extends string, T>(histogram: Histogram<L>, labels: Partial<Record<L, string>>, fn: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer(labels);
  const outcome = (o: 'ok' | 'error') => ({ outcome: o }) as Partial<Record<L, string>>;
  try {
    const result = await fn();
    end(outcome('ok'));
    return result;
  } catch (e) {
    end(outcome('error'));
    throw e;
  }
}

let processMetrics = false;

/** The Node.js process metrics (CPU, memory, event loop lag, GC), once per process, as `ca_process_*` / `ca_nodejs_*`. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ prefix: 'ca_' });
}

/** The exposition of the registry: the body and content type of a `/metrics` answer. */
export async function metricsExposition(): Promise<{ body: string; contentType: string }> {
  return { body: await register.metrics(), contentType: register.contentType };
}
