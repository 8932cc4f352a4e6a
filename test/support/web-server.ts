/**
 * Real web servers for the BR 3.2.2.4.18/.19 tests: HTTP on 127.0.0.1:80 and HTTPS on 127.0.0.1:443 (the only
 * authorized ports; the tests run as root), plus one on an unauthorized port (8080) for the redirect rule. Routes are
 * set per test: `route(host, path, handler)`; unknown routes answer 404. The HTTPS certificate is self-signed, made
 * by OpenSSL in a temporary directory (the fetcher does not require a trusted certificate).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface WebServers {
  route(host: string, path: string, handler: Handler): void;
  /** Every request seen: scheme, host header, path. */
  readonly requests: Array<{ scheme: string; port: number; host: string; path: string }>;
  clear(): void;
  stop(): Promise<void>;
}

export async function startWebServers(opts: { extraPorts?: number[] } = {}): Promise<WebServers> {
  const routes = new Map<string, Handler>();
  const requests: WebServers['requests'] = [];
  const handle = (scheme: string, port: number) => (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    requests.push({ scheme, port, host, path: req.url ?? '' });
    const h = routes.get(`${host} ${req.url}`);
    if (h) return h(req, res);
    res.writeHead(404).end('not found');
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'web-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=test'], { stdio: 'ignore' });
  const tls = { key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) };
  rmSync(dir, { recursive: true, force: true });
  const servers: Array<http.Server> = [http.createServer(handle('http', 80)), https.createServer(tls, handle('https', 443))];
  const ports = [80, 443];
  for (const p of opts.extraPorts ?? []) {
    servers.push(http.createServer(handle('http', p)));
    ports.push(p);
  }
  await Promise.all(servers.map((s, i) => new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(ports[i], '127.0.0.1', () => resolve());
  })));
  return {
    route: (host, p, h) => routes.set(`${host.toLowerCase()} ${p}`, h),
    requests,
    clear() {
      routes.clear();
      requests.length = 0;
    },
    stop: () => Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }))).then(() => undefined),
  };
}

/** A handler answering `status` with `body`. */
export const serve = (body: string | Buffer, status = 200, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
};
export const redirect = (status: number, location: string): Handler => (_req, res) => {
  res.writeHead(status, { location }).end();
};
