/**
 * A small HTTP listener answering `GET /metrics` from the default registry: every process gets one on CA_METRICS_PORT
 * (config/main.ts `runMain`; 0 = none), which is how Prometheus scrapes the workers, which have no HTTP door.
 */
import http from 'node:http';
import { log } from './log';
import { metricsExposition } from './metrics';

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Answers a `/metrics` request; false when the request is for another path (the caller answers it). */
export function answerMetrics(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  metricsExposition().then(
    ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
    (err: unknown) => {
      log.error({ err }, 'metrics exposition failed');
      res.writeHead(500).end();
    },
  );
  return true;
}

export async function startMetricsServer(listen: { host: string; port: number }): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (!answerMetrics(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return {
    url: `http://${listen.host}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
