/**
 * The OCSP responder as a process of its own (production: the host of the certificates' OCSP URL, e.g.
 * dv.g4.ocsp.pubcert.jprs.jp, scaled apart from the application API). The same responder core and HTTP binding as
 * the route the API mounts (api/ocsp.ts), on bare node:http: no framework between the socket and a cached,
 * pre-signed response (docs/BENCHMARKS.md: the framework costs more than the lookup). It holds no key and never
 * talks to Temporal; it reads PostgreSQL and LISTENs for re-signed serials.
 * Run: `tsx api/ocsp-server.ts` (port CA_OCSP_PORT, default 8081).
 */
import http from 'node:http';
import type { CaConfig } from '../config';
import { closableServer, closeInOrder, runMain } from '../config/main';
import { createDb } from '../db/client';
import { log } from '../observability/log';
import { answerMetrics } from '../observability/metrics-server';
import { answerOcspHttp, createOcspResponder } from './ocsp';
import { serverErrors } from './server-errors';

/** RFC 6960 A.1: requests are small (one CertID: ~100 bytes); anything large is refused unread. */
const MAX_REQUEST_BYTES = 16 * 1024;

export function ocspRequestListener(responder: ReturnType<typeof createOcspResponder>): http.RequestListener {
  return (req, res) => {
    // Prometheus's /metrics beside the OCSP paths (observability/metrics.ts).
    if (answerMetrics(req, res)) return;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        res.writeHead(413, { connection: 'close' }).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.writableEnded) return;
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      answerOcspHttp(responder, {
        method: req.method ?? 'GET',
        pathname: q === -1 ? url : url.slice(0, q),
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        ifNoneMatch: req.headers['if-none-match'],
      }).then(
        (a) => {
          if (!a) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not an OCSP endpoint\n');
            return;
          }
          res.writeHead(a.status, { ...a.headers, 'content-length': String(a.status === 304 ? 0 : a.body.length) });
          res.end(a.status === 304 ? undefined : a.body);
        },
        (e: unknown) => {
          // A bug (the responder answers tryLater itself when the database is down): logged and counted like the
          // other doors' 500s (api/server-errors.ts).
          const route = `${req.method ?? 'GET'} /ocsp/:id`;
          serverErrors.inc({ door: 'ocsp', route });
          log.error({ route, err: e }, 'unhandled error: answered 500');
          res.writeHead(500).end();
        },
      );
    });
  };
}

export async function startOcspServer(config: CaConfig, opts: { port?: number; host?: string } = {}) {
  const handle = createDb(config.database.url);
  const responder = createOcspResponder({ db: handle.db, config, clock: () => new Date() });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, ocspRequestListener(responder));
  const host = opts.host ?? config.api.host;
  await new Promise<void>((resolve) => server.listen(opts.port ?? config.ocsp.port, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    responder,
    close: () => closeInOrder(closableServer(server), handle),
  };
}

await runMain(import.meta.url, async (config) => {
  const s = await startOcspServer(config);
  log.info({ url: `${s.url}/ocsp/<issuer id>`, metrics: `${s.url}/metrics` }, 'OCSP responder listening');
  return s;
}, { service: 'ocsp' });
